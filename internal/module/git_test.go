package module

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

// TestGitLocal clones a local bare repository with the real git, and
// follows it: converged, a new commit, a tag, local changes, force.
func TestGitLocal(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	sh := func(script string) string {
		t.Helper()
		c := exec.Command("sh", "-c", "set -e; "+script)
		c.Dir = dir
		c.Env = append(c.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x", "HOME="+dir)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	sh("git init -q --bare -b main bare.git && git clone -q bare.git work && cd work && echo 1 > f && git add f && git commit -qm one && git push -q origin main")
	dest := filepath.Join(dir, "dest")
	args := "{repo: '" + filepath.Join(dir, "bare.git") + "', dest: '" + dest + "'}"
	run := func(args string, check bool) Result {
		t.Helper()
		env := familyEnv("Debian")
		env.Check = check
		return apply(t, newModule(t, "git", args), &localExec{}, env)
	}
	if res := run(args, true); !res.Changed || res.Data["before"] != nil {
		t.Fatalf("clone in check mode: %+v", res)
	}
	if res := run(args, false); !res.Changed || res.Failed {
		t.Fatalf("clone: %+v", res)
	}
	if res := run(args, false); res.Changed || res.Failed {
		t.Fatalf("converged: %+v", res)
	}
	two := sh("cd work && echo 2 > f && git commit -qam two && git tag v2 && git push -q --tags origin main && git rev-parse HEAD")
	if res := run(args, false); !res.Changed || res.Data["after"] != two || sh("git -C dest rev-parse HEAD") != two {
		t.Fatalf("update: %+v", res)
	}
	sh("cd work && echo 3 > f && git commit -qam three && git push -q origin main")
	sh("echo local > dest/f")
	if res := run(args, false); !res.Failed || !strings.Contains(res.Msg, "Local modifications exist") {
		t.Fatalf("local changes: %+v", res)
	}
	tagged := strings.Replace(args, "}", ", version: v2, force: true}", 1)
	if res := run(tagged, false); !res.Changed || res.Failed || sh("git -C dest rev-parse HEAD") != two || sh("cat dest/f") != "2" {
		t.Fatalf("force to a tag: %+v", res)
	}
	if res := run(tagged, false); res.Changed {
		t.Fatalf("tag converged: %+v", res)
	}
}

func TestGitFake(t *testing.T) {
	sha := strings.Repeat("a", 40)
	f := probeFake(probeOutput(fakeProbe{"before", "", 1}, fakeProbe{"dirty", "", 128}, fakeProbe{"remote", sha + "\trefs/heads/stable", 0}))
	res := apply(t, newModule(t, "git", "{repo: 'https://example.org/app.git', dest: /srv/app, version: stable, depth: 1}"), f, familyEnv("Debian"))
	if !res.Changed || res.Data["after"] != sha {
		t.Fatalf("clone: %+v", res)
	}
	goldenShell(t, "core/git_clone", f.Calls, true)
	f = hosttest.New().On(".", host.Result{Stdout: "nogit=1\n"})
	if _, err := newModule(t, "git", "{repo: x, dest: /srv/app}").Apply(t.Context(), f, familyEnv("Debian")); err == nil || !strings.Contains(err.Error(), "git is not installed") {
		t.Errorf("no git: %v", err)
	}
	_, err := newModuleErr("git", "{dest: srv, depth: -1, version: '-x'}")
	for _, want := range []string{"repo is required", "dest must be an absolute path", "depth must not be negative", `version "-x"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}
