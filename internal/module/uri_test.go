package module

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestURIFake(t *testing.T) {
	out := "status=200\nurl=http://api/v1\nrc=0\nh=HTTP/1.1 200 OK\nh=Content-Type: application/json\nh=Content-Length: 8\nh=Set-Cookie: s=1; Path=/\nbody=eyJhIjogMX0=\n"
	f := hosttest.New().On(`curl`, host.Result{Stdout: out})
	res := apply(t, newModule(t, "uri", "url: http://api/v1\nmethod: post\nbody: {a: 1}\nbody_format: json\nreturn_content: true"), f, testEnv(debian12, nil))
	if res.Changed || res.Failed || res.Msg != "OK (8 bytes)" || res.Data["status"] != 200 || res.Data["content_type"] != "application/json" ||
		res.Data["content"] != `{"a": 1}` || res.Data["json"].(map[string]any)["a"] != 1.0 || res.Data["cookies_string"] != "s=1" || f.Stdins[0] != `{"a": 1}` {
		t.Errorf("post: %+v %v", res, f.Stdins)
	}
	goldenShell(t, "core/uri", f.Calls, false)
	f = hosttest.New().On(`curl`, host.Result{Stdout: "status=404\nurl=http://api/x\nrc=0\nh=HTTP/1.1 404 Not Found\nbody=\n"})
	if res := apply(t, newModule(t, "uri", "url: http://api/x\nstatus_code: [200, 201]"), f, testEnv(debian12, nil)); !res.Failed ||
		res.Msg != "Status code was 404 and not [200, 201]: HTTP Error 404: Not Found" {
		t.Errorf("404: %+v", res)
	}
	env := testEnv(debian12, nil)
	env.Check = true
	if res := apply(t, newModule(t, "uri", "url: http://api/x"), hosttest.New(), env); !res.Skipped {
		t.Errorf("check mode: %+v", res)
	}
	f = hosttest.New().On(`curl`, host.Result{Stdout: "curl=0\n"})
	if res := apply(t, newModule(t, "uri", "url: http://api/x"), f, testEnv(debian12, nil)); !res.Failed || !strings.Contains(res.Msg, "curl is not installed") {
		t.Errorf("no curl: %+v", res)
	}
	_, err := newModuleErr("uri", "{url: 'ftp://x', body_format: xml, timeout: -1, follow_redirects: maybe}")
	for _, want := range []string{"url must be", "body_format", "timeout", "follow_redirects"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}

// TestURIOnSSHD compares uri through a real sshd (curl on the host) with
// Ansible's uri against the same httptest server.
func TestURIOnSSHD(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "type": r.Header.Get("Content-Type"), "body": string(body), "token": r.Header.Get("X-Token")})
		case "/text":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "abc"})
			io.WriteString(w, "plain text\n")
		case "/auth", "/strict":
			// /auth asks for credentials with a 401, as most servers;
			// /strict answers 404 without them, as GitHub's API does.
			user, pass, ok := r.BasicAuth()
			switch {
			case !ok && r.URL.Path == "/strict":
				http.NotFound(w, r)
			case !ok || user != "u" || pass != `p w"x`:
				w.Header().Set("WWW-Authenticate", `Basic realm="lab"`)
				http.Error(w, "who are you", http.StatusUnauthorized)
			default:
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]any{"user": user, "method": r.Method, "body": string(body)})
			}
		case "/moved":
			http.Redirect(w, r, "/text", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	req := func(path string, extra map[string]any) func(string) map[string]any {
		return func(string) map[string]any {
			m := map[string]any{"url": srv.URL + path}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
	}
	skip := []string{"date", "connection", "elapsed"}
	compareWithAnsible(t, "uri", []oracleCase{
		{name: "get json", args: req("/echo", nil), skip: skip},
		{name: "post json", args: req("/echo", map[string]any{"method": "POST", "body": map[string]any{"a": 1, "b": []any{"x"}}, "body_format": "json", "headers": map[string]any{"X-Token": "t"}}), skip: append(skip, "json")},
		{name: "form", args: req("/echo", map[string]any{"method": "POST", "body": map[string]any{"a": "1 2"}, "body_format": "form-urlencoded"}), skip: skip},
		{name: "text content", args: req("/text", map[string]any{"return_content": true}), skip: skip},
		{name: "redirect", args: req("/moved", nil), skip: skip},
		{name: "404", args: req("/none", nil), skip: append(skip, "x_content_type_options")},
		{name: "404 wanted", args: req("/none", map[string]any{"status_code": []int{404}}), skip: skip},
		{name: "basic auth after a 401", args: req("/auth", map[string]any{"url_username": "u", "url_password": `p w"x`}), skip: skip},
		{name: "basic auth, post", args: req("/auth", map[string]any{"url_username": "u", "url_password": `p w"x`, "method": "POST", "body": "a body"}), skip: skip},
		{name: "no auth without a 401", args: req("/strict", map[string]any{"url_username": "u", "url_password": `p w"x`}), skip: append(skip, "x_content_type_options")},
		{name: "force_basic_auth", args: req("/strict", map[string]any{"url_username": "u", "url_password": `p w"x`, "force_basic_auth": true}), skip: skip},
		{name: "wrong password", args: req("/auth", map[string]any{"url_username": "u", "url_password": "wrong-pass"}), skip: append(skip, "x_content_type_options")},
	})
}
