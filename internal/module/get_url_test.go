package module

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestGetURLFake(t *testing.T) {
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	args := "url: http://repo/x.tgz\ndest: /opt/x.tgz\nchecksum: sha256:" + sum
	st := "st=81a4 0 0 5 1 1 1 1 1 1 8 4096 0 root root\n"
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := hosttest.New().On(`^d=`, host.Result{Stdout: "tool=curl\nexists=1\n" + st + "dsum=" + sum + "\n"})
		if res := apply(t, newModule(t, "get_url", args), f, env); res.Changed || res.Msg != "file already exists" || len(f.Calls) != 1 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		f = hosttest.New().On(`^d=`, host.Result{Stdout: "tool=curl\n"}).
			On(`^d=.*\nt=`, host.Result{Stdout: "status=200\nrc=0\nsrc=aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d  -\nmd5=5d41402abc4b2a76b9719d911017c592  -\nsize=5\nsum=" + sum + "  -\nmoved=1\n" + st})
		res := apply(t, newModule(t, "get_url", args), f, env)
		if !res.Changed || len(f.Calls) != 2 || (!check && (res.Msg != "OK (5 bytes)" || res.Data["status_code"] != 200 || res.Data["mode"] != "0644")) {
			t.Errorf("download, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/get_url", f.Calls, false)
		}
	}
	f := hosttest.New().On(`^d=`, host.Result{Stdout: ""})
	if res := apply(t, newModule(t, "get_url", args), f, testEnv(debian12, nil)); !res.Failed || !strings.Contains(res.Msg, "neither curl nor wget") {
		t.Errorf("no tool: %+v", res)
	}
	f = hosttest.New().On(`^d=`, host.Result{Stdout: "tool=wget\n"}).On(`^d=.*\nt=`, host.Result{Stdout: "status=404\nrc=8\n"})
	if res := apply(t, newModule(t, "get_url", "url: https://repo/x\ndest: /x\nurl_username: u\nurl_password: secret"), f, testEnv(debian12, nil)); !res.Failed || res.Msg != "Request failed" ||
		res.Data["status_code"] != 404 || strings.Contains(strings.Join(f.Calls, ""), "secret") || f.Stdins[1] != "secret" {
		t.Errorf("404: %+v %q", res, f.Calls)
	}
	_, err := newModuleErr("get_url", "{url: 'file:///x', checksum: 'crc:12', timeout: 0, headers: {'a:b': c}}")
	for _, want := range []string{"url must be", "dest is required", `checksum algorithm "crc"`, "timeout must be positive", "not a valid header"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}

// getURLServer serves /x.tgz ("hello", last modified an hour ago), /h
// with the header X-Token: t1 and /strict with the basic credentials u:pw
// (without them it answers 404, as GitHub's API: no 401 asks for them),
// and answers 404 elsewhere, on loopback where the sshd host reaches it.
func getURLServer(t *testing.T) *httptest.Server {
	mod := time.Now().Add(-time.Hour)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, _ := r.BasicAuth(); r.URL.Path == "/strict" && user == "u" && pass == "pw" {
			r.URL.Path = "/x.tgz"
		}
		if r.URL.Path != "/x.tgz" && r.URL.Path != "/h" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/h" && r.Header.Get("X-Token") != "t1" {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		http.ServeContent(w, r, "x.tgz", mod, strings.NewReader("hello"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestGetURLOnSSHD compares get_url through a real sshd (curl on the
// host) with Ansible's get_url of the same URLs.
func TestGetURLOnSSHD(t *testing.T) {
	t.Parallel()
	srv := getURLServer(t)
	sum := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte("hello")))
	to := func(extra map[string]any) func(string) map[string]any {
		return func(dir string) map[string]any {
			m := map[string]any{"url": srv.URL + "/x.tgz", "dest": filepath.Join(dir, "x.tgz")}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
	}
	skip := []string{"src", "elapsed", "status_code"}
	compareWithAnsible(t, "get_url", []oracleCase{
		{name: "new", files: map[string]string{}, args: to(nil), skip: skip},
		{name: "checksum", files: map[string]string{}, args: to(map[string]any{"checksum": sum, "mode": "0600"}), skip: skip},
		{name: "replace", files: map[string]string{"x.tgz": "old"}, args: to(map[string]any{"force": true}), skip: skip},
		{name: "bad checksum", files: map[string]string{}, args: to(map[string]any{"checksum": "sha1:0000"}), skip: append(skip, "checksum_src", "md5sum", "dest")},
		{name: "into directory", files: map[string]string{"d/keep": ""}, args: func(dir string) map[string]any {
			return map[string]any{"url": srv.URL + "/x.tgz", "dest": filepath.Join(dir, "d")}
		}, skip: skip},
		{name: "headers", files: map[string]string{}, args: func(dir string) map[string]any {
			return map[string]any{"url": srv.URL + "/h", "dest": filepath.Join(dir, "h"), "headers": map[string]any{"X-Token": "t1"}, "force": true}
		}, skip: skip},
		{name: "404", files: map[string]string{}, args: func(dir string) map[string]any {
			return map[string]any{"url": srv.URL + "/nope", "dest": filepath.Join(dir, "nope")}
		}, skip: append(skip, "response", "url")},
		{name: "force_basic_auth", files: map[string]string{}, args: func(dir string) map[string]any {
			return map[string]any{"url": srv.URL + "/strict", "dest": filepath.Join(dir, "s"), "url_username": "u", "url_password": "pw", "force_basic_auth": true}
		}, skip: skip},
		{name: "credentials sent only when asked", files: map[string]string{}, args: func(dir string) map[string]any {
			return map[string]any{"url": srv.URL + "/strict", "dest": filepath.Join(dir, "s"), "url_username": "u", "url_password": "pw"}
		}, skip: append(skip, "response", "url")},
	})
}
