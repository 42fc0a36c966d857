package module

import (
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestSlurpFake(t *testing.T) {
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := hosttest.New().On(`^p=`, host.Result{Stdout: "content=aGk=\n"})
		res := apply(t, newModule(t, "slurp", "src: /etc/hostname"), f, env)
		if res.Changed || res.Data["content"] != "aGk=" || res.Data["encoding"] != "base64" || res.Data["source"] != "/etc/hostname" || len(f.Calls) != 1 {
			t.Errorf("check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/slurp", f.Calls, false)
		}
	}
	for kind, msg := range map[string]string{"missing": "file not found: /x", "directory": "source is a directory and must be a file: /x", "unreadable": "file is not readable: /x"} {
		f := hosttest.New().On(`^p=`, host.Result{Stdout: "kind=" + kind + "\n"})
		if res := apply(t, newModule(t, "slurp", "path: /x"), f, testEnv(debian12, nil)); !res.Failed || res.Msg != msg {
			t.Errorf("%s: %+v", kind, res)
		}
	}
	if _, err := newModuleErr("slurp", "{}"); err == nil || !strings.Contains(err.Error(), "src is required") {
		t.Errorf("validation: %v", err)
	}
}

// TestSlurpOnSSHD compares slurp through a real sshd with Ansible's.
func TestSlurpOnSSHD(t *testing.T) {
	t.Parallel()
	src := func(name string) func(string) map[string]any {
		return func(dir string) map[string]any { return map[string]any{"src": filepath.Join(dir, name)} }
	}
	files := map[string]string{"a.txt": "line 1\nline 2 \x00 binary\n", "empty": ""}
	compareWithAnsible(t, "slurp", []oracleCase{
		{name: "file", files: files, args: src("a.txt")},
		{name: "empty", files: files, args: src("empty")},
		{name: "missing", files: files, args: src("nope")},
		{name: "directory", files: files, args: src(".")},
	})
}
