package load

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"time"
)

// client is what every request of a run shares: the address (resolved
// once), the request's bytes, the TLS settings. It is read-only once made.
type client struct {
	addr      netip.AddrPort
	req       []byte
	tls       *tls.Config // nil for http
	timeout   time.Duration
	keepAlive bool
}

// newClient resolves o.URL's address and prebuilds the request; o is valid.
func newClient(ctx context.Context, o *Options) (*client, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, err
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := net.DefaultResolver.LookupPort(ctx, "tcp", port)
	if err != nil {
		return nil, fmt.Errorf("port %q: %w", port, err)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return nil, err
	}
	ip := ips[0]
	for _, a := range ips { // IPv4 first, as most labs are
		if a.Unmap().Is4() {
			ip = a
			break
		}
	}
	cl := &client{addr: netip.AddrPortFrom(ip.Unmap(), uint16(p)), timeout: o.Timeout, keepAlive: o.KeepAlive}
	if u.Scheme == "https" {
		name := o.Host
		if h, _, err := net.SplitHostPort(name); err == nil {
			name = h
		}
		cl.tls = &tls.Config{InsecureSkipVerify: true, ServerName: name} //nolint:gosec // lab certificates are self-signed
	}
	cl.req = request(u.RequestURI(), o.Host, o.KeepAlive)
	return cl, nil
}

// request returns the bytes of a GET of path.
func request(path, host string, keepAlive bool) []byte {
	s := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: lvslab-load\r\nAccept: */*\r\n"
	if !keepAlive {
		s += "Connection: close\r\n"
	}
	return []byte(s + "\r\n")
}

// conn is one worker's connection: the current one (kept between requests
// with keep-alive), its read buffer, and the server names seen (interned so
// that counting them does not allocate). abort may be called from another
// goroutine; everything else belongs to the worker.
type conn struct {
	cl     *client
	rd     reader
	intern func([]byte) string // of the connection's names, made once
	live   bool                // nc is connected and may carry the next request

	mu      sync.Mutex
	nc      net.Conn
	aborted bool
}

func newConn(cl *client) *conn { return &conn{cl: cl, intern: names{}.intern} }

// result is one request's outcome.
type result struct {
	cause  cause // causeNone for a 2xx answer
	status int   // 0 without an answer
	server string
	bytes  int64
	end    time.Time // when the answer was whole, or the request failed
}

// do sends one request and reads its answer, all of it before start +
// the client's timeout; abort cancels it.
func (c *conn) do(start time.Time) result {
	deadline := start.Add(c.cl.timeout)
	for attempt := 0; ; attempt++ {
		reused := c.live
		var res result
		err := c.exchange(deadline, &res)
		if retry(err, reused && attempt == 0, c.rd.n) {
			// A kept connection that the server closed meanwhile: once
			// more on a new one, as browsers do.
			c.drop()
			continue
		}
		res.bytes = c.rd.take()
		res.conclude(err)
		if !c.live {
			c.drop()
		}
		return res
	}
}

// conclude sets res's cause from err, the request's error (nil once the
// answer is whole), and the answer's status; and its end, on an error.
func (res *result) conclude(err error) {
	switch {
	case err != nil:
		res.cause, res.end = causeOf(err), time.Now()
	case res.status < 200 || res.status > 299:
		res.cause = causeStatus
	}
}

// retry reports whether a request that met err goes once more on a new
// connection: it was the first attempt, on a kept connection (first),
// which the server closed before any byte of the answer (read bytes).
func retry(err error, first bool, read int64) bool {
	return err != nil && first && read == 0 && causeOf(err) == causeReset
}

// exchange writes the request and reads the answer, on the kept
// connection or a new one, into res (status, server, end).
func (c *conn) exchange(deadline time.Time, res *result) error {
	var err error
	if c.live {
		err = c.arm(deadline)
	} else {
		err = c.dial(deadline)
	}
	c.live = false
	if err != nil {
		return err
	}
	if _, err := c.nc.Write(c.cl.req); err != nil {
		return err
	}
	status, server, closed, err := c.rd.readAnswer(c.intern)
	res.status, res.server, res.end = status, server, time.Now()
	if err != nil {
		return err
	}
	if c.cl.keepAlive && !closed {
		c.live = true
		return nil
	}
	// The server closes first (the answer said so, or we asked it to), so
	// that TIME_WAIT stays on its side, not on our ephemeral ports. Once the
	// answer is whole, a reset or a timeout while waiting does not matter.
	_ = c.rd.drain()
	return nil
}

// dial connects before deadline (with https, the TLS handshake happens on
// the first write). abort interrupts it.
func (c *conn) dial(deadline time.Time) error {
	fc, err := connectTCP(c.cl.addr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nc = fc
	c.mu.Unlock()
	if err := c.arm(deadline); err != nil {
		return err
	}
	if err := fc.established(); err != nil {
		return err
	}
	var nc net.Conn = fc
	if c.cl.tls != nil {
		nc = tls.Client(fc, c.cl.tls)
		c.mu.Lock()
		c.nc = nc
		c.mu.Unlock()
	}
	c.rd.reset(nc)
	return nil
}

// arm sets the current connection's deadline, unless aborted.
func (c *conn) arm(deadline time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		return context.Canceled
	}
	return c.nc.SetDeadline(deadline)
}

// drop closes the current connection.
func (c *conn) drop() {
	c.mu.Lock()
	nc := c.nc
	c.nc = nil
	c.mu.Unlock()
	c.live = false
	if nc != nil {
		nc.Close()
	}
}

// abort makes the request in progress, and every later one, fail at once.
func (c *conn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	if c.nc != nil {
		_ = c.nc.SetDeadline(time.Unix(1, 0))
	}
}

// names interns the server names of a connection, or of an event loop's
// connections.
type names map[string]string

// intern returns the string of a server name without allocating for names
// seen before; past MaxServers distinct names, OtherServers.
func (m names) intern(b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	if len(m) >= MaxServers {
		return OtherServers
	}
	s := string(b)
	m[s] = s
	return s
}
