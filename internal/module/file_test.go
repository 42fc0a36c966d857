package module

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestFileScriptGolden(t *testing.T) {
	f := hosttest.New()
	apply(t, newModule(t, "file", "path: /app/website1\nstate: directory\nmode: 0755\nowner: www-data\ngroup: '33'"), f, testEnv(debian12, nil))
	env := testEnv(debian12, nil)
	env.Check = true
	apply(t, newModule(t, "file", "path: /app/website1\nstate: directory\nmode: 0755\nowner: www-data\ngroup: '33'"), f, env)
	apply(t, newModule(t, "file", "path: /app\nrecurse: true\nowner: www-data"), f, testEnv(debian12, nil))
	apply(t, newModule(t, "file", "path: /etc/nginx/sites-enabled/default\nsrc: ../sites-available/default"), f, testEnv(debian12, nil))
	apply(t, newModule(t, "file", "path: /etc/nginx/sites-enabled/default\nstate: absent"), f, testEnv(debian12, nil))
	if n := len(f.Commands()); n != 5 {
		t.Fatalf("%d calls for 5 tasks: one round trip each expected", n)
	}
	goldenShell(t, "core/file", f.Commands(), false)
}

func TestFileReportsChangesAndFailures(t *testing.T) {
	f := hosttest.New().On(`^p=`, host.Result{Stdout: "changed=state\tabsent\tdirectory\nchanged=mode\t700\t0755\n"})
	env := testEnv(debian12, nil)
	env.Diff = true
	res := apply(t, newModule(t, "file", "path: /d\nstate: directory\nmode: 0755"), f, env)
	if !res.Changed || res.Msg != "state absent -> directory, mode 700 -> 0755" {
		t.Fatalf("res = %+v", res)
	}
	if len(res.Diff) != 1 || res.Diff[0].Before != "state: absent\nmode: 700\n" || res.Diff[0].After != "state: directory\nmode: 0755\n" {
		t.Fatalf("diff = %+v", res.Diff)
	}
	f = hosttest.New().On(`^p=`, host.Result{Stdout: "error=/d exists and is not a directory\n", ExitCode: 3})
	res = apply(t, newModule(t, "file", "path: /d\nstate: directory"), f, env)
	if !res.Failed || res.Msg != "/d exists and is not a directory" {
		t.Fatalf("res = %+v", res)
	}
}

func TestFileLocal(t *testing.T) {
	dir := t.TempDir()
	l := &localExec{}
	env := testEnv(debian12, nil)
	check := testEnv(debian12, nil)
	check.Check = true
	d := filepath.Join(dir, "web root")
	run := func(env *Env, args string) Result {
		t.Helper()
		l.calls = nil
		return apply(t, newModule(t, "file", args), l, env)
	}
	dirArgs := "path: " + d + "\nstate: directory\nmode: 0750\nowner: nobody\ngroup: '0'"
	if res := run(check, dirArgs); !res.Changed {
		t.Fatalf("check: %+v", res)
	}
	if _, err := os.Stat(d); err == nil {
		t.Fatal("check mode created the directory")
	}
	if res := run(env, dirArgs); !res.Changed || res.Failed {
		t.Fatalf("create: %+v", res)
	}
	fi, err := os.Stat(d)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0750 {
		t.Fatalf("stat %v %v", fi, err)
	}
	if res := run(env, dirArgs); res.Changed || len(l.calls) != 1 {
		t.Fatalf("converged: %+v %d calls", res, len(l.calls))
	}
	os.Chmod(d, 0700)
	if res := run(check, dirArgs); !res.Changed || !strings.Contains(res.Msg, "mode 700 -> 0750") {
		t.Fatalf("drift check: %+v", res)
	}
	if fi, _ := os.Stat(d); fi.Mode().Perm() != 0700 {
		t.Fatal("check mode fixed the mode")
	}
	if res := run(env, dirArgs); !res.Changed {
		t.Fatalf("drift: %+v", res)
	}

	// touch, file, recurse
	file := filepath.Join(d, "index.php")
	if res := run(env, "path: "+file+"\nstate: touch\nmode: '0644'"); !res.Changed {
		t.Fatalf("touch: %+v", res)
	}
	if res := run(env, "path: "+file+"\nmode: '0600'"); !res.Changed {
		t.Fatalf("file mode: %+v", res)
	}
	if res := run(env, "path: "+file+"\nmode: '0600'"); res.Changed {
		t.Fatalf("file converged: %+v", res)
	}
	if res := run(env, "path: "+filepath.Join(d, "nope")+"\nstate: file"); !res.Failed || !strings.Contains(res.Msg, "does not exist") {
		t.Fatalf("missing file: %+v", res)
	}
	if res := run(env, "path: "+d+"\nrecurse: true\nowner: daemon\nmode: 0755"); !res.Changed {
		t.Fatalf("recurse: %+v", res)
	}
	if res := run(env, "path: "+d+"\nrecurse: true\nowner: daemon\nmode: 0755"); res.Changed {
		t.Fatalf("recurse converged: %+v", res)
	}

	// link
	link := filepath.Join(dir, "current")
	if res := run(env, "path: "+link+"\nsrc: "+d); !res.Changed {
		t.Fatalf("link: %+v", res)
	}
	if target, _ := os.Readlink(link); target != d {
		t.Fatalf("link -> %q", target)
	}
	if res := run(env, "path: "+link+"\nsrc: "+d); res.Changed {
		t.Fatalf("link converged: %+v", res)
	}
	if res := run(env, "path: "+file+"\nsrc: /etc"); !res.Failed || !strings.Contains(res.Msg, "force") {
		t.Fatalf("link over file: %+v", res)
	}
	if res := run(env, "path: "+d+"\nsrc: /etc\nforce: true"); !res.Failed || !strings.Contains(res.Msg, "is a directory") {
		t.Fatalf("link over dir: %+v", res)
	}

	// absent
	if res := run(check, "path: "+d+"\nstate: absent"); !res.Changed {
		t.Fatalf("absent check: %+v", res)
	}
	if _, err := os.Stat(d); err != nil {
		t.Fatal("check mode removed")
	}
	if res := run(env, "path: "+d+"\nstate: absent"); !res.Changed {
		t.Fatalf("absent: %+v", res)
	}
	if res := run(env, "path: "+d+"\nstate: absent"); res.Changed {
		t.Fatalf("absent converged: %+v", res)
	}
	if _, err := os.Lstat(d); err == nil {
		t.Fatal("still there")
	}
}

func TestFileValidation(t *testing.T) {
	for args, want := range map[string]string{
		"state: directory":                     "path is required",
		"path: /\nstate: absent":               "refusing to remove /",
		"path: /x\nstate: hard":                `state "hard"`,
		"path: /x\nstate: link":                "needs src",
		"path: /x\nrecurse: true\nstate: file": "recurse is only for state directory",
	} {
		if _, err := newModuleErr("file", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", args, err, want)
		}
	}
	w, err := newModule(t, "file", "dest: /x\nsrc: /y").(*File).want()
	if err != nil || w.Path != "/x" || w.State != "link" {
		t.Fatalf("defaults: %+v, %v", w, err)
	}
}
