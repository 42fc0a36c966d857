package module

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

// httpcheckServer is a TLS server presenting a certificate per SNI name and
// answering "real server rsN" in turn, like two real servers behind rr.
func httpcheckServer(t *testing.T) (srv *httptest.Server, sni *httpcheckSNI) {
	t.Helper()
	certs := map[string]tls.Certificate{}
	for _, name := range []string{"www.along.com", "www.other.com"} {
		c, k, err := GenerateSelfSigned([]string{name, "127.0.0.1"}, "ecdsa", 30)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		certs[name] = pair
	}
	sni = &httpcheckSNI{}
	var n atomic.Int64
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "broken" {
			w.WriteHeader(502)
		}
		fmt.Fprintf(w, "real server rs0%d\nhost %s\n", n.Add(1)%2+1, r.Host)
	}))
	srv.TLS = &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		sni.add(h.ServerName)
		c, ok := certs[h.ServerName]
		if !ok {
			c = certs["www.other.com"]
		}
		return &c, nil
	}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, sni
}

// httpcheckSNI records the server names of TLS handshakes.
type httpcheckSNI struct {
	mu    sync.Mutex
	names []string
}

func (s *httpcheckSNI) add(n string) { s.mu.Lock(); s.names = append(s.names, n); s.mu.Unlock() }

// take returns the names recorded since the last take.
func (s *httpcheckSNI) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.names
	s.names = nil
	return n
}

func TestHTTPCheckAgainstServer(t *testing.T) {
	srv, seen := httpcheckServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	froms := []string{"controller"}
	if _, err := exec.LookPath("curl"); err == nil {
		froms = append(froms, "host")
	} else {
		t.Log("curl not installed: host mode not tested")
	}
	for _, from := range froms {
		t.Run(from, func(t *testing.T) {
			seen.take()
			args := fmt.Sprintf("{url: 'https://127.0.0.1:%s/test.html', sni: www.along.com, count: 6, expect_body: 'real server', from: %s}", port, from)
			res, err := newModule(t, "http_check", args).Apply(context.Background(), &localExec{}, &Env{})
			if err != nil || res.Failed {
				t.Fatalf("failed: %v %q %v", err, res.Msg, res.Data["failures"])
			}
			answers := res.Data["answers"].(map[string]int)
			if answers["real server rs01"] != 3 || answers["real server rs02"] != 3 {
				t.Errorf("answers %v", answers)
			}
			if got := strings.Join(res.Data["cert_names"].([]string), " "); got != "127.0.0.1 www.along.com" {
				t.Errorf("cert names %q", got)
			}
			if sets := res.Data["cert_sets"].(map[string]int); sets["127.0.0.1,www.along.com"] != 6 {
				t.Errorf("cert sets %v", sets)
			}
			if st := res.Data["statuses"].(map[string]int); st["200"] != 6 {
				t.Errorf("statuses %v", st)
			}
			if ips := res.Data["remote_ips"].(map[string]int); ips["127.0.0.1"] != 6 {
				t.Errorf("remote ips %v", ips)
			}
			if names := seen.take(); len(names) < 6 || names[0] != "www.along.com" {
				t.Errorf("SNI seen %v (want a new connection per request)", names)
			}
		})
		t.Run(from+"/mismatch", func(t *testing.T) {
			args := fmt.Sprintf("{url: 'https://www.along.com:%s/', resolve: 127.0.0.1, host_header: broken, count: 2, expect_body_regex: '^nope', from: %s}", port, from)
			res, err := newModule(t, "http_check", args).Apply(context.Background(), &localExec{}, &Env{})
			if err != nil || !res.Failed {
				t.Fatalf("not failed: %v %q", err, res.Msg)
			}
			f := res.Data["failures"].([]string)
			if len(f) != 2 || !strings.Contains(f[0], "status 502 (want 200)") || !strings.Contains(f[0], "does not match") {
				t.Errorf("failures %q", f)
			}
			if !strings.Contains(fmt.Sprint(res.Data["answers"]), "real server") {
				t.Errorf("answers %v", res.Data["answers"])
			}
		})
	}
	res, _ := newModule(t, "http_check", "{url: 'http://127.0.0.1:1/', from: controller, timeout: 2}").Apply(context.Background(), nil, &Env{})
	if !res.Failed || len(res.Data["failures"].([]string)) != 1 {
		t.Errorf("refused connection: %v %v", res.Failed, res.Data["failures"])
	}
}

func TestHTTPCheckScriptGolden(t *testing.T) {
	f := fakeAnswering("lvslab-nocurl\n")
	res := apply(t, newModule(t, "http_check", "{url: 'https://172.17.1.6/lnmp.php', sni: www.along.com, count: 10, host_header: www.along.com, timeout: 3}"), f, &Env{})
	if !res.Failed || !strings.Contains(res.Msg, "curl is not installed") {
		t.Errorf("nocurl: %v %q", res.Failed, res.Msg)
	}
	goldenShell(t, "lab/httpcheck_https_sni", f.Calls, true)
	f = fakeAnswering("")
	apply(t, newModule(t, "http_check", "{url: 'http://[2001:db8::6]:8080/', resolve: '2001:db8::7', insecure: false}"), f, &Env{})
	goldenShell(t, "lab/httpcheck_http_v6", f.Calls, true)
}

func TestHTTPCheckParse(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	c, _, _ := GenerateSelfSigned([]string{"www.along.com", "along.com"}, "ecdsa", 3)
	out := strings.Join([]string{
		"noise",
		"lvslab-answer|1|0|" + b64("200|172.17.1.6|Subject:CN = www.along.com\nX509v3 Subject Alternative Name:DNS:www.along.com\n"+string(c)) + "|" + b64("real server rs01\r\nmore") + "|",
		"lvslab-answer|2|0|" + b64("404|172.17.1.6|") + "|" + b64("not found") + "|",
		"lvslab-answer|3|7|" + b64("000||") + "||" + b64("curl: (7) Failed to connect"),
		"lvslab-cert|" + b64(string(c)),
	}, "\n")
	answers, fallback := httpcheckParse(out)
	if len(answers) != 3 || len(fallback) == 0 {
		t.Fatalf("answers %d fallback %d", len(answers), len(fallback))
	}
	w, err := newModule(t, "http_check", "{url: 'https://www.along.com/', count: 4}").(*HTTPCheck).want()
	if err != nil {
		t.Fatal(err)
	}
	res := w.judge(answers, fallback)
	if !res.Failed || res.Data["answers"].(map[string]int)["real server rs01"] != 1 {
		t.Fatalf("%v %v", res.Failed, res.Data)
	}
	f := strings.Join(res.Data["failures"].([]string), "\n")
	for _, w := range []string{"request 2: status 404", "request 3: curl exited 7: curl: (7) Failed to connect", "only 3 of 4"} {
		if !strings.Contains(f, w) {
			t.Errorf("failures lack %q:\n%s", w, f)
		}
	}
	if got := strings.Join(res.Data["cert_names"].([]string), ","); got != "along.com,www.along.com" {
		t.Errorf("cert names %s", got)
	}
}

// fakeAnswering returns a fake answering every command with stdout.
func fakeAnswering(stdout string) *hosttest.Fake {
	return hosttest.New().On(".", host.Result{Stdout: stdout})
}
