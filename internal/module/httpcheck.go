package module

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
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

	u       *url.URL
	re      *regexp.Regexp
	name    string // server name: TLS SNI and Host
	connect string // where to connect
	port    string
}

// httpcheckBodyMax is how much of each body is kept for matching.
const httpcheckBodyMax = 4096

// Validate fills defaults and checks the arguments.
func (m *HTTPCheck) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	u, err := url.Parse(m.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		bad("url must be an http or https url, not %q", m.URL)
	} else {
		m.u = u
		m.name, m.connect, m.port = u.Hostname(), u.Hostname(), u.Port()
		if m.port == "" {
			m.port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		if m.SNI != "" {
			if u.Scheme != "https" {
				bad("sni needs an https url")
			}
			m.name = m.SNI
		}
		if m.Resolve != "" {
			m.connect = m.Resolve
			if _, err := netip.ParseAddr(m.Resolve); err != nil {
				bad("resolve %q is not an IP address", m.Resolve)
			}
		}
	}
	for _, s := range []string{m.SNI, m.HostHeader} {
		if strings.ContainsAny(s, " \t\r\n/'\"\\") {
			bad("bad server name %q", s)
		}
	}
	if m.Count == 0 {
		m.Count = 1
	}
	if m.Count < 1 || m.Count > 100000 {
		bad("count must be 1-100000, not %d", m.Count)
	}
	if m.ExpectStatus == 0 {
		m.ExpectStatus = 200
	}
	if m.ExpectStatus < 100 || m.ExpectStatus > 599 {
		bad("expect_status must be 100-599, not %d", m.ExpectStatus)
	}
	if m.ExpectBodyRegex != "" {
		if m.re, err = regexp.Compile(m.ExpectBodyRegex); err != nil {
			bad("expect_body_regex: %w", err)
		}
	}
	if m.Timeout == 0 {
		m.Timeout = 5
	}
	if m.Timeout < 1 || m.Timeout > 3600 {
		bad("timeout must be 1-3600 seconds, not %d", m.Timeout)
	}
	if m.From == "" {
		m.From = "host"
	}
	if m.From != "host" && m.From != "controller" {
		bad("from must be host or controller, not %q", m.From)
	}
	return errors.Join(errs...)
}

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
	var answers []httpcheckAnswer
	var fallbackCert []byte
	if m.From == "controller" {
		answers = m.fromController(ctx)
	} else {
		res, err := h.Run(ctx, m.script(), host.RunOpts{})
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
	return m.judge(answers, fallbackCert), nil
}

// script returns the shell command that makes every request with curl and
// prints one line per answer: lvslab-answer|N|curl rc|meta|body|stderr, the
// last three base64; meta is "code|remote ip|certs" (certs from curl >= 7.88).
func (m *HTTPCheck) script() string {
	u := *m.u
	args := []string{"-sS", "--noproxy", "'*'", "-o", `"$t"`, "--max-time", strconv.Itoa(m.Timeout), "-w", `"$W"`}
	if labBool(m.Insecure, true) {
		args = append(args, "-k")
	}
	if m.name != m.connect {
		u.Host = net.JoinHostPort(m.name, m.port)
		if a, err := netip.ParseAddr(m.connect); err == nil {
			c := a.String()
			if a.Is6() {
				c = "[" + c + "]"
			}
			args = append(args, "--resolve", host.Quote(m.name+":"+m.port+":"+c))
		} else {
			args = append(args, "--connect-to", host.Quote(m.name+":"+m.port+":"+m.connect+":"+m.port))
		}
	}
	if m.HostHeader != "" {
		args = append(args, "-H", host.Quote("Host: "+m.HostHeader))
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
		"while [ \"$i\" -lt " + strconv.Itoa(m.Count) + " ]; do i=$((i+1)); : > \"$t\"; m=$(curl " + strings.Join(args, " ") + " 2>\"$t.err\"); rc=$?; " +
			"printf 'lvslab-answer|%s|%s|%s|%s|%s\\n' \"$i\" \"$rc\" \"$(printf '%s' \"$m\" | " + b64 + ")\" \"$(head -c " +
			strconv.Itoa(httpcheckBodyMax) + " \"$t\" | " + b64 + ")\" \"$(head -c 512 \"$t.err\" | " + b64 + ")\"; done",
	}
	if m.u.Scheme == "https" {
		c := m.connect
		if a, err := netip.ParseAddr(c); err == nil && a.Is6() {
			c = "[" + c + "]"
		}
		s = append(s, "case \"$W\" in *certs*) ;; *) printf 'lvslab-cert|%s\\n' \"$(echo | openssl s_client -connect "+
			host.Quote(c+":"+m.port)+" -servername "+host.Quote(m.name)+" 2>/dev/null | openssl x509 2>/dev/null | "+b64+")\";; esac")
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

func (m *HTTPCheck) fromController(ctx context.Context) []httpcheckAnswer {
	timeout := time.Duration(m.Timeout) * time.Second
	dialer := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, net.JoinHostPort(m.connect, m.port))
		},
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: labBool(m.Insecure, true), ServerName: m.name}, //nolint:gosec // self-signed lab certificates, by request
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u := *m.u
	u.Host = net.JoinHostPort(m.name, m.port)
	answers := make([]httpcheckAnswer, 0, m.Count)
	for i := 0; i < m.Count && ctx.Err() == nil; i++ {
		var a httpcheckAnswer
		trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
			if ap, err := netip.ParseAddrPort(ci.Conn.RemoteAddr().String()); err == nil {
				a.remoteIP = ap.Addr().String()
			}
		}}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, u.String(), nil)
		if err == nil && m.HostHeader != "" {
			req.Host = m.HostHeader
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

func (m *HTTPCheck) judge(answers []httpcheckAnswer, fallbackCert []byte) Result {
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
			if a.status != m.ExpectStatus {
				why = append(why, fmt.Sprintf("status %d (want %d)", a.status, m.ExpectStatus))
			}
			if m.ExpectBody != "" && !strings.Contains(string(a.body), m.ExpectBody) {
				why = append(why, fmt.Sprintf("body lacks %q", m.ExpectBody))
			}
			if m.re != nil && !m.re.Match(a.body) {
				why = append(why, fmt.Sprintf("body does not match %q", m.ExpectBodyRegex))
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
	if len(answers) < m.Count {
		failures = append(failures, fmt.Sprintf("only %d of %d requests answered", len(answers), m.Count))
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
