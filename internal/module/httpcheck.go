package module

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"lvslab/internal/host"
)

// HTTPCheck sends count GET requests, each on a new connection (so that a
// load balancer schedules each one), and counts the answers. It changes
// nothing and also runs in check mode.
//
// By default the requests are made ON the host with curl (one command runs
// them all); from: controller makes them from the controller with net/http.
// sni names the TLS server (and Host) while connecting to the URL's host, and
// resolve connects to an address instead of the URL's host (curl --resolve);
// host_header overrides Host. Redirects are not followed. expect_body and
// expect_body_regex are matched against the first 4 KiB of each body.
//
// Registered data: answers (first body line → count), statuses (code →
// count), remote_ips (address → count), cert_names (every SAN seen),
// cert_sets (the sorted SANs of each answer's certificate → count), failures
// (one line per failed answer), requests. The task fails when any answer
// fails.
type HTTPCheck struct {
	URL             string `yaml:"url"`
	HostHeader      string `yaml:"host_header"`
	SNI             string `yaml:"sni"`
	Resolve         string `yaml:"resolve"`
	Count           int    `yaml:"count"`         // default 1
	ExpectStatus    int    `yaml:"expect_status"` // default 200
	ExpectBody      string `yaml:"expect_body"`
	ExpectBodyRegex string `yaml:"expect_body_regex"`
	Timeout         int    `yaml:"timeout"`  // seconds per request, default 5
	Insecure        *bool  `yaml:"insecure"` // default true: self-signed certificates are accepted
	From            string `yaml:"from"`     // host (default) or controller
}

// httpcheckBodyMax is how much of each body is kept for matching.
const httpcheckBodyMax = 4096

// httpCheckWant is the check an http_check task wants: its arguments with
// the defaults filled in, and what was parsed from them.
type httpCheckWant struct {
	HTTPCheck
	u       *url.URL
	re      *regexp.Regexp
	name    string // server name: TLS SNI and Host
	connect string // where to connect
	port    string
}

// want defaults and checks the arguments, reporting every problem.
func (m *HTTPCheck) want() (httpCheckWant, error) {
	var p problems
	w := httpCheckWant{HTTPCheck: *m}
	u, err := url.Parse(m.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		p.add("url must be an http or https url, not %q", m.URL)
	} else {
		w.u = u
		w.name, w.connect, w.port = u.Hostname(), u.Hostname(), u.Port()
		if w.port == "" {
			w.port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		if m.SNI != "" {
			if u.Scheme != "https" {
				p.add("sni needs an https url")
			}
			w.name = m.SNI
		}
		if m.Resolve != "" {
			w.connect = m.Resolve
			if _, err := netip.ParseAddr(m.Resolve); err != nil {
				p.add("resolve %q is not an IP address", m.Resolve)
			}
		}
	}
	for _, s := range []string{m.SNI, m.HostHeader} {
		if strings.ContainsAny(s, " \t\r\n/'\"\\") {
			p.add("bad server name %q", s)
		}
	}
	w.Count = orDefault(m.Count, 1)
	if w.Count < 1 || w.Count > 100000 {
		p.add("count must be 1-100000, not %d", w.Count)
	}
	w.ExpectStatus = orDefault(m.ExpectStatus, 200)
	if w.ExpectStatus < 100 || w.ExpectStatus > 599 {
		p.add("expect_status must be 100-599, not %d", w.ExpectStatus)
	}
	if m.ExpectBodyRegex != "" {
		if w.re, err = regexp.Compile(m.ExpectBodyRegex); err != nil {
			p.add("expect_body_regex: %w", err)
		}
	}
	w.Timeout = orDefault(m.Timeout, 5)
	if w.Timeout < 1 || w.Timeout > 3600 {
		p.add("timeout must be 1-3600 seconds, not %d", w.Timeout)
	}
	w.From = orDefault(m.From, "host")
	if w.From != "host" && w.From != "controller" {
		p.add("from must be host or controller, not %q", w.From)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *HTTPCheck) Validate() error { _, err := m.want(); return err }

// httpcheckAnswer is one answer (or failure to get one).
type httpcheckAnswer struct {
	status   int
	remoteIP string
	body     []byte
	err      string
	certPEM  []byte
}

// Apply sends the requests and counts the answers.
func (m *HTTPCheck) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	var answers []httpcheckAnswer
	var fallbackCert []byte
	if w.From == "controller" {
		answers = w.fromController(ctx)
	} else {
		res, err := h.Run(ctx, w.script(), host.RunOpts{})
		if err != nil {
			return Result{}, fmt.Errorf("http_check on host: %w", err)
		}
		if strings.Contains(res.Stdout, "lvslab-nocurl") {
			return Result{Failed: true, Msg: "curl is not installed on the host (install it, or use from: controller)"}, nil
		}
		answers, fallbackCert = httpcheckParse(res.Stdout)
		if len(answers) == 0 {
			return Result{Failed: true, Msg: fmt.Sprintf("http_check script printed no answers (rc %d): %s", res.ExitCode, strings.TrimSpace(res.Stderr))}, nil
		}
	}
	return w.judge(answers, fallbackCert), nil
}

// script returns the shell command that makes every request with curl and
// prints one line per answer: lvslab-answer|N|curl rc|meta|body|stderr, the
// last three base64; meta is "code|remote ip|certs" (certs from curl >= 7.88).
func (w httpCheckWant) script() string {
	u := *w.u
	args := []string{"-sS", "--noproxy", "'*'", "-o", `"$t"`, "--max-time", strconv.Itoa(w.Timeout), "-w", `"$W"`}
	if boolArg(w.Insecure, true) {
		args = append(args, "-k")
	}
	if w.name != w.connect {
		u.Host = net.JoinHostPort(w.name, w.port)
		if a, err := netip.ParseAddr(w.connect); err == nil {
			c := a.String()
			if a.Is6() {
				c = "[" + c + "]"
			}
			args = append(args, "--resolve", host.Quote(w.name+":"+w.port+":"+c))
		} else {
			args = append(args, "--connect-to", host.Quote(w.name+":"+w.port+":"+w.connect+":"+w.port))
		}
	}
	if w.HostHeader != "" {
		args = append(args, "-H", host.Quote("Host: "+w.HostHeader))
	}
	args = append(args, host.Quote(u.String()))
	b64 := "base64 | tr -d '\\n'"
	s := []string{
		"command -v curl >/dev/null 2>&1 || { echo lvslab-nocurl; exit 0; }",
		// A private directory (mktemp -d: random, 0700) for the body and
		// curl's stderr: no name in /tmp another user could guess or link.
		`d=$(mktemp -d) || exit 1; trap 'rm -rf -- "$d"' EXIT; t="$d/body"`,
		"W='%{http_code}|%{remote_ip}|'",
		`if curl -V | head -n1 | awk '{split($2,v,"."); exit !(v[1]>7 || (v[1]==7 && v[2]>=88))}'; then W="$W%{certs}"; fi`,
		"i=0",
		"while [ \"$i\" -lt " + strconv.Itoa(w.Count) + " ]; do i=$((i+1)); : > \"$t\"; m=$(curl " + strings.Join(args, " ") + " 2>\"$t.err\"); rc=$?; " +
			"printf 'lvslab-answer|%s|%s|%s|%s|%s\\n' \"$i\" \"$rc\" \"$(printf '%s' \"$m\" | " + b64 + ")\" \"$(head -c " +
			strconv.Itoa(httpcheckBodyMax) + " \"$t\" | " + b64 + ")\" \"$(head -c 512 \"$t.err\" | " + b64 + ")\"; done",
	}
	if w.u.Scheme == "https" {
		c := w.connect
		if a, err := netip.ParseAddr(c); err == nil && a.Is6() {
			c = "[" + c + "]"
		}
		s = append(s, "case \"$W\" in *certs*) ;; *) printf 'lvslab-cert|%s\\n' \"$(echo | openssl s_client -connect "+
			host.Quote(c+":"+w.port)+" -servername "+host.Quote(w.name)+" 2>/dev/null | openssl x509 2>/dev/null | "+b64+")\";; esac")
	}
	s = append(s, `rm -rf -- "$d"`)
	return strings.Join(s, "; ")
}

func httpcheckParse(out string) (answers []httpcheckAnswer, fallbackCert []byte) {
	dec := func(s string) []byte { b, _ := base64.StdEncoding.DecodeString(s); return b }
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		switch {
		case len(f) == 2 && f[0] == "lvslab-cert":
			fallbackCert = dec(f[1])
		case len(f) == 6 && f[0] == "lvslab-answer":
			a := httpcheckAnswer{body: dec(f[4])}
			meta := strings.SplitN(string(dec(f[3])), "|", 3)
			if len(meta) >= 2 {
				a.status, _ = strconv.Atoi(meta[0])
				a.remoteIP = meta[1]
			}
			if len(meta) == 3 {
				a.certPEM = []byte(meta[2])
			}
			if f[2] != "0" {
				a.err = fmt.Sprintf("curl exited %s: %s", f[2], strings.TrimSpace(string(dec(f[5]))))
			}
			answers = append(answers, a)
		}
	}
	return answers, fallbackCert
}

func (w httpCheckWant) fromController(ctx context.Context) []httpcheckAnswer {
	timeout := time.Duration(w.Timeout) * time.Second
	dialer := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, net.JoinHostPort(w.connect, w.port))
		},
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: boolArg(w.Insecure, true), ServerName: w.name}, //nolint:gosec // self-signed lab certificates, by request
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u := *w.u
	u.Host = net.JoinHostPort(w.name, w.port)
	answers := make([]httpcheckAnswer, 0, w.Count)
	for i := 0; i < w.Count && ctx.Err() == nil; i++ {
		var a httpcheckAnswer
		trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
			if ap, err := netip.ParseAddrPort(ci.Conn.RemoteAddr().String()); err == nil {
				a.remoteIP = ap.Addr().String()
			}
		}}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, u.String(), nil)
		if err == nil && w.HostHeader != "" {
			req.Host = w.HostHeader
		}
		var resp *http.Response
		if err == nil {
			resp, err = client.Do(req)
		}
		if err != nil {
			a.err = err.Error()
			answers = append(answers, a)
			continue
		}
		a.status = resp.StatusCode
		a.body, _ = io.ReadAll(io.LimitReader(resp.Body, httpcheckBodyMax))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
			a.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: resp.TLS.PeerCertificates[0].Raw})
		}
		answers = append(answers, a)
	}
	return answers
}

// httpcheckCertNames returns the sorted SANs of the first certificate in text.
func httpcheckCertNames(text []byte) ([]string, bool) {
	i := strings.Index(string(text), "-----BEGIN CERTIFICATE-----")
	if i < 0 {
		return nil, false
	}
	blk, _ := pem.Decode(text[i:])
	if blk == nil {
		return nil, false
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, false
	}
	return certNames(c), true
}

func (w httpCheckWant) judge(answers []httpcheckAnswer, fallbackCert []byte) Result {
	first := map[string]int{}
	statuses := map[string]int{}
	ips := map[string]int{}
	certSets := map[string]int{}
	var names, failures []string
	good := 0
	for i, a := range answers {
		line, _, _ := strings.Cut(string(a.body), "\n")
		line = strings.TrimSpace(line)
		var why []string
		if a.err != "" {
			why = append(why, a.err)
		} else {
			first[line]++
			statuses[strconv.Itoa(a.status)]++
			if a.status != w.ExpectStatus {
				why = append(why, fmt.Sprintf("status %d (want %d)", a.status, w.ExpectStatus))
			}
			if w.ExpectBody != "" && !strings.Contains(string(a.body), w.ExpectBody) {
				why = append(why, fmt.Sprintf("body lacks %q", w.ExpectBody))
			}
			if w.re != nil && !w.re.Match(a.body) {
				why = append(why, fmt.Sprintf("body does not match %q", w.ExpectBodyRegex))
			}
		}
		if a.remoteIP != "" {
			ips[a.remoteIP]++
		}
		if n, ok := httpcheckCertNames(a.certPEM); ok {
			certSets[strings.Join(n, ",")]++
			names = append(names, n...)
		}
		if len(why) > 0 {
			failures = append(failures, fmt.Sprintf("request %d: %s", i+1, strings.Join(why, "; ")))
		} else {
			good++
		}
	}
	if len(answers) < w.Count {
		failures = append(failures, fmt.Sprintf("only %d of %d requests answered", len(answers), w.Count))
	}
	if n, ok := httpcheckCertNames(fallbackCert); ok {
		names = append(names, n...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	keys := make([]string, 0, len(first))
	for k := range first {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("%q x%d", k, first[k]))
	}
	return Result{
		Failed: len(failures) > 0,
		Msg:    fmt.Sprintf("%d/%d answers ok: %s", good, len(answers), strings.Join(summary, ", ")),
		Data: map[string]any{"answers": first, "statuses": statuses, "remote_ips": ips, "cert_names": names,
			"cert_sets": certSets, "failures": failures, "requests": len(answers)},
	}
}
