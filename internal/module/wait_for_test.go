package module

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/hosttest"
)

func TestWaitForScriptGolden(t *testing.T) {
	f := hosttest.New()
	apply(t, newModule(t, "wait_for", "port: 80\ndelay: 2\ntimeout: 30"), f, testEnv(debian12, nil))
	apply(t, newModule(t, "wait_for", "port: 3306\nstate: stopped"), f, testEnv(debian12, nil))
	apply(t, newModule(t, "wait_for", "path: /run/php/php8.2-fpm.sock"), f, testEnv(debian12, nil))
	apply(t, newModule(t, "wait_for", "path: /var/log/nginx/error.log\nsearch_regex: 'started'"), f, testEnv(debian12, nil))
	if len(f.Commands()) != 4 {
		t.Fatalf("one round trip per wait: %q", f.Commands())
	}
	goldenShell(t, "core/wait_for", f.Commands(), false)
}

func TestWaitForPortLocal(t *testing.T) {
	skipShort(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "SSH-2.0-OpenSSH_9.2\r\n")
			c.Close()
		}
	}()
	l := &localExec{}
	env := testEnv(debian12, nil)
	res := apply(t, newModule(t, "wait_for", fmt.Sprintf("port: %d\ntimeout: 5", port)), l, env)
	if res.Failed || res.Changed {
		t.Fatalf("open port: %+v", res)
	}
	res = apply(t, newModule(t, "wait_for", fmt.Sprintf("port: %d\ntimeout: 5\nsearch_regex: OpenSSH", port)), l, env)
	if res.Failed {
		t.Fatalf("banner: %+v", res)
	}
	ln.Close()
	res = apply(t, newModule(t, "wait_for", fmt.Sprintf("port: %d\ntimeout: 5\nstate: stopped", port)), l, env)
	if res.Failed {
		t.Fatalf("closed port, stopped: %+v", res)
	}
	res = apply(t, newModule(t, "wait_for", fmt.Sprintf("port: %d\ntimeout: 1", port)), l, env)
	if !res.Failed || res.Msg != fmt.Sprintf("timeout after 1s waiting for 127.0.0.1:%d to be started", port) && !strings.HasPrefix(res.Msg, "timeout after") {
		t.Fatalf("closed port: %+v", res)
	}
	// Check mode tries once, and says "not yet" instead of failing.
	check := testEnv(debian12, nil)
	check.Check = true
	start := time.Now()
	res = apply(t, newModule(t, "wait_for", fmt.Sprintf("port: %d", port)), l, check)
	if res.Failed || !res.Skipped || time.Since(start) > 5*time.Second {
		t.Fatalf("check: %+v", res)
	}
}

func TestWaitForPathLocal(t *testing.T) {
	skipShort(t)
	p := filepath.Join(t.TempDir(), "ready")
	go func() {
		time.Sleep(500 * time.Millisecond)
		os.WriteFile(p, []byte("server started\n"), 0644)
	}()
	l := &localExec{}
	res := apply(t, newModule(t, "wait_for", "path: "+p+"\ntimeout: 10\nsearch_regex: 'start(ed)?'"), l, testEnv(debian12, nil))
	if res.Failed {
		t.Fatalf("res %+v", res)
	}
	res = apply(t, newModule(t, "wait_for", "path: "+p+"\ntimeout: 1\nstate: absent\nmsg: still there"), l, testEnv(debian12, nil))
	if !res.Failed || res.Msg != "still there" {
		t.Fatalf("res %+v", res)
	}
}

func TestWaitForCancel(t *testing.T) {
	skipShort(t)
	l := &localExec{}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newModule(t, "wait_for", "path: /nonexistent/lvslab\ntimeout: 60").Apply(ctx, l, testEnv(debian12, nil))
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
}

func TestWaitForValidation(t *testing.T) {
	for args, want := range map[string]string{
		"port: 80\npath: /x":       "not both",
		"port: 70000":              "out of range",
		"port: 80\nstate: present": "is for path",
		"search_regex: x":          "needs port or path",
		"port: 80\nsleep: 0":       "sleep must be at least 1",
		"port: 80\nstate: drained": `state "drained"`,
	} {
		if _, err := newModuleErr("wait_for", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", args, err, want)
		}
	}
}

// skipShort skips a wait_for test that runs the real script on this
// machine: it polls once a second, so each takes 1-2 s.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("wait_for: -short leaves out the runs of the real script, which poll once a second (1-2 s each)")
	}
}
