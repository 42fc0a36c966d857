package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// counted is an httptest server on 127.0.0.1:0 that counts the
// connections it accepted.
type counted struct {
	*httptest.Server
	conns atomic.Int64
}

// newServer starts h on 127.0.0.1:0 (with TLS when tls), counting
// connections.
func newServer(t testing.TB, h http.Handler, tls bool) *counted {
	t.Helper()
	s := &counted{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// okHandler answers 200 with a small body.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("hello\n"))
})

// rawServer accepts connections on 127.0.0.1:0 and hands each to handle
// in a goroutine of its own; it returns the URL of its root. Cleanup closes
// the listener and every connection, and waits for the handlers.
func rawServer(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + "/"
}

// readRequest reads one request's header from br.
func readRequest(br *bufio.Reader) (closeAfter bool, err error) {
	for {
		l, err := br.ReadSlice('\n')
		if err != nil {
			return true, err
		}
		if bytes.EqualFold(bytes.TrimSpace(l), []byte("connection: close")) {
			closeAfter = true
		}
		if len(bytes.TrimSpace(l)) == 0 {
			return closeAfter, nil
		}
	}
}

// serveFixed answers every request of c with answer, closing when the
// request asks for it (or when closeAlways).
func serveFixed(answer string, closeAlways bool) func(net.Conn) {
	b := []byte(answer)
	return func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			closeAfter, err := readRequest(br)
			if err != nil {
				return
			}
			if _, err := c.Write(b); err != nil || closeAfter || closeAlways {
				return
			}
		}
	}
}

// silent reads what c sends and never answers, until c is closed.
func silent(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// opts returns valid closed-loop options against url.
func opts(url string) Options {
	return Options{URL: url, Duration: time.Minute, Concurrency: 2, Requests: 20, Timeout: 5 * time.Second}
}

// mustRun runs o and fails the test on an error.
func mustRun(t testing.TB, o Options) Summary {
	t.Helper()
	s, err := Run(context.Background(), o, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s
}

// sum adds the values of m.
func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// checkConsistent checks the invariants between a Summary's counts.
func checkConsistent(t testing.TB, s Summary) {
	t.Helper()
	if got := sum(s.Failures); got != s.Failed {
		t.Errorf("failures %v add up to %d, failed %d", s.Failures, got, s.Failed)
	}
	if got := s.Completed + s.Failed - s.Failures[CauseOverload]; got != s.Sent {
		t.Errorf("completed %d + failed %d - overload %d = %d, sent %d", s.Completed, s.Failed, s.Failures[CauseOverload], got, s.Sent)
	}
	if got := sum(s.Servers); got != s.Completed {
		t.Errorf("servers %v add up to %d, completed %d", s.Servers, got, s.Completed)
	}
	var completed, failed int64
	for _, iv := range s.Intervals {
		completed += iv.Completed
		failed += iv.Failed
	}
	if completed != s.Completed || failed != s.Failed {
		t.Errorf("intervals add up to %d completed, %d failed; summary %d, %d", completed, failed, s.Completed, s.Failed)
	}
}

// fullListener returns the URL of a listener on 127.0.0.1 whose accept
// queue is full: the SYNs of new connections are dropped, their connect
// never ends.
func fullListener(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 2 { // a backlog of 0 holds one connection; the second waits
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return "http://" + addr + "/"
}

// bothEngines runs test on the event loops (the engine of http:// targets)
// and on the goroutine per connection (that of https://).
func bothEngines(t *testing.T, test func(*testing.T)) {
	t.Helper()
	for _, e := range []struct {
		name       string
		goroutines bool
	}{{"loops", false}, {"goroutines", true}} {
		t.Run(e.name, func(t *testing.T) {
			goroutinesOnly = e.goroutines
			defer func() { goroutinesOnly = false }()
			test(t)
		})
	}
}
