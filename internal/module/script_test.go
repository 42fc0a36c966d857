package module

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

// scriptEnv is a test env whose task lives in a role's tasks/, with the
// script in the role's files/.
func scriptEnv(t *testing.T, body string) *Env {
	t.Helper()
	role := t.TempDir()
	for _, d := range []string{"tasks", "files"} {
		if err := os.MkdirAll(filepath.Join(role, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(role, "files", "lock.sh"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	env := testEnv(debian12, nil)
	env.BaseDir = filepath.Join(role, "tasks")
	return env
}

func TestScriptFake(t *testing.T) {
	env := scriptEnv(t, "#!/bin/sh\necho locked \"$@\"\n")
	f := hosttest.New().On(`lock`, host.Result{Stdout: "locked a b\n"})
	res := apply(t, newModule(t, "script", "lock.sh a b"), f, env)
	if !res.Changed || res.Failed || len(f.Calls) != 2 || !strings.HasPrefix(f.Calls[0], "upload /tmp/.lvslab-script-") || !strings.Contains(f.Calls[1], "-lock.sh a b") {
		t.Fatalf("res %+v calls %q", res, f.Calls)
	}
	for dst, file := range f.Files {
		if file.Mode != 0o700 || !strings.HasPrefix(string(file.Data), "#!/bin/sh") || !strings.Contains(f.Calls[1], "rm -f -- "+host.Quote(dst)) {
			t.Errorf("uploaded %s %o %q; run %q", dst, file.Mode, file.Data, f.Calls[1])
		}
	}
	env.Check = true
	f = hosttest.New()
	if res := apply(t, newModule(t, "script", "lock.sh a"), f, env); !res.Skipped || len(f.Calls) != 0 {
		t.Errorf("check mode: %+v %q", res, f.Calls)
	}
	env.Check = false
	f = hosttest.New().On(`lvslab-skip|creates`, host.Result{Stdout: skipCreates + "\n"})
	res = apply(t, newModule(t, "script", "creates=/etc/done lock.sh"), f, env)
	if res.Changed || len(f.Calls) != 3 || !strings.HasPrefix(f.Calls[2], "rm -f -- /tmp/.lvslab-script-") {
		t.Errorf("creates: %+v %q", res, f.Calls)
	}
	if res := apply(t, newModule(t, "script", "missing.sh"), hosttest.New(), env); !res.Failed || !strings.Contains(res.Msg, "Could not find or access 'missing.sh'") {
		t.Errorf("missing script: %+v", res)
	}
	if _, err := newModuleErr("script", "chdir=/tmp"); err == nil || !strings.Contains(err.Error(), "no script given") {
		t.Errorf("no script: %v", err)
	}
}

// TestScriptRunsHere runs a script on this machine through the local
// executor: arguments, executable, the exit status, the file removed.
func TestScriptRunsHere(t *testing.T) {
	env := scriptEnv(t, "echo \"args=$*\"; echo err >&2; ls /tmp/.lvslab-script-*-lock.sh >/dev/null && exit 3\n")
	h, err := host.NewLocal("localhost", nil)
	if err != nil {
		t.Fatal(err)
	}
	res := apply(t, newModule(t, "script", "{cmd: \"lock.sh 'x y' z\", executable: /bin/sh}"), h, env)
	if !res.Failed || res.Data["rc"] != 3 || res.Data["stdout"] != "args=x y z" || res.Data["stderr"] != "err" {
		t.Fatalf("res %+v", res)
	}
	if m, _ := filepath.Glob("/tmp/.lvslab-script-*-lock.sh"); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
}

// The free form of a task (`script: lock.sh {{ pkgs }} creates=/x`) is
// Ansible's: command options out, the rest the script and its arguments.
func TestScriptFreeForm(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(`lock.sh a=b c creates=/etc/done`), &n); err != nil {
		t.Fatal(err)
	}
	m, err := KVNode("script", n.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	s, err := Default().New("script", m)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.(*Script).want()
	if err != nil || w.local != "lock.sh" || w.args != "a=b c" || w.Creates != "/etc/done" {
		t.Fatalf("want %+v %v", w, err)
	}
}
