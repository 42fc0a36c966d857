package module

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestFetchFake(t *testing.T) {
	base := t.TempDir()
	env := testEnv(debian12, nil)
	env.BaseDir = base
	sum := "a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd" // sha1 of "data"
	f := hosttest.New().On(`^p=`, host.Result{Stdout: "sum=" + sum + "  -\n"})
	f.Files["/etc/app.conf"] = hosttest.File{Data: []byte("data")}
	res := apply(t, newModule(t, "fetch", "src: /etc/app.conf\ndest: got"), f, env)
	local := filepath.Join(base, "got/rs01/etc/app.conf")
	if b, _ := os.ReadFile(local); !res.Changed || string(b) != "data" || res.Data["dest"] != local || res.Data["checksum"] != sum ||
		res.Data["md5sum"] != "8d777f385d3dfec8815d20f7496026dc" || res.Data["remote_checksum"] != sum {
		t.Errorf("fetch: %+v %q", res, b)
	}
	goldenShell(t, "core/fetch", f.Calls, false)
	f.Calls = nil
	if res := apply(t, newModule(t, "fetch", "src: /etc/app.conf\ndest: got"), f, env); res.Changed || len(f.Calls) != 1 || res.Data["file"] != "/etc/app.conf" {
		t.Errorf("converged: %+v %q", res, f.Calls)
	}
	res = apply(t, newModule(t, "fetch", "src: /etc/app.conf\ndest: flat/\nflat: true"), f, env)
	if _, err := os.Stat(filepath.Join(base, "flat/app.conf")); err != nil || !res.Changed {
		t.Errorf("flat: %+v %v", res, err)
	}
	f.Files["/etc/app.conf"] = hosttest.File{Data: []byte("changed meanwhile")}
	if res := apply(t, newModule(t, "fetch", "src: /etc/app.conf\ndest: other"), f, env); !res.Failed || res.Msg != "checksum mismatch" {
		t.Errorf("mismatch: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(base, "other/rs01/etc/app.conf")); err == nil {
		t.Error("a file whose checksum failed was kept")
	}
	env.Check = true
	if res := apply(t, newModule(t, "fetch", "src: /etc/app.conf\ndest: x"), f, env); !res.Skipped {
		t.Errorf("check mode: %+v", res)
	}
	env.Check = false
	f = hosttest.New().On(`^p=`, host.Result{Stdout: "kind=missing\n"})
	if res := apply(t, newModule(t, "fetch", "src: /nope\ndest: x\nfail_on_missing: false"), f, env); res.Failed || res.Changed || !strings.Contains(res.Msg, "does not exist") {
		t.Errorf("missing: %+v", res)
	}
	if res := apply(t, newModule(t, "fetch", "src: /nope\ndest: x"), f, env); !res.Failed {
		t.Errorf("missing, fail_on_missing: %+v", res)
	}
	if _, err := newModuleErr("fetch", "{src: /x}"); err == nil || !strings.Contains(err.Error(), "src and dest are required") {
		t.Errorf("validation: %v", err)
	}
}

// TestFetchOnSSHD compares fetch through a real sshd with Ansible's fetch
// (inventory name localhost in both).
func TestFetchOnSSHD(t *testing.T) {
	t.Parallel()
	files := map[string]string{"remote/app.conf": "listen 80;\n"}
	args := func(extra map[string]any) func(string) map[string]any {
		return func(dir string) map[string]any {
			m := map[string]any{"src": filepath.Join(dir, "remote/app.conf"), "dest": filepath.Join(dir, "fetched")}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
	}
	compareWithAnsible(t, "fetch", []oracleCase{
		{name: "tree", files: files, args: args(nil)},
		{name: "flat", files: files, args: func(dir string) map[string]any {
			return map[string]any{"src": filepath.Join(dir, "remote/app.conf"), "dest": dir + "/flat/", "flat": true}
		}},
		{name: "missing", files: files, args: args(map[string]any{"src": "/nonexistent/x", "fail_on_missing": false})},
		{name: "directory", files: files, args: args(map[string]any{"src": "/etc"})},
	})
}
