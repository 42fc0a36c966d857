package module

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// The file writer against real sshd hosts: what a failed validation, a full
// disk and a dropped connection leave behind.

// sshdFiles starts an sshd and connects to it; dir (made before the server
// starts, so that mounts in it are seen by sshd) holds conf = "good v1\n",
// mode 0640.
func sshdFiles(t *testing.T, dir string) (*sshtest.Server, *host.SSH, string) {
	t.Helper()
	srv := sshtest.Start(t, sshtest.Options{})
	h, err := host.Dial(context.Background(), srv.SSHConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	conf := filepath.Join(dir, "conf")
	if err := os.WriteFile(conf, []byte("good v1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	return srv, h, conf
}

// dirHolds waits until dir holds exactly names (sorted), for removals that
// run as a remote shell exits.
func dirHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	want := strings.Join(names, " ")
	var got string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		ents, _ := os.ReadDir(dir)
		var have []string
		for _, e := range ents {
			have = append(have, e.Name())
		}
		sort.Strings(have)
		if got = strings.Join(have, " "); got == want {
			return
		}
	}
	t.Errorf("%s holds %q, want %q", dir, got, want)
}

func fileIs(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	fi, serr := os.Stat(path)
	if err != nil || serr != nil || string(b) != content || fi.Mode().Perm() != mode {
		t.Errorf("%s: %q %v (%v %v), want %q %v", path, b, fi.Mode().Perm(), err, serr, content, mode)
	}
}

// TestValidateAndBackupOnSSHD: a configuration that fails validation never
// replaces the working one and leaves nothing behind (no temporary file, no
// backup); one that passes replaces it keeping its mode, and each
// replacement keeps a timestamped backup — two in the same second too.
func TestValidateAndBackupOnSSHD(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, h, conf := sshdFiles(t, dir)
	env := testEnv(debian12, nil)
	copyOf := func(content string) Module {
		return newModule(t, "copy", fmt.Sprintf("content: %q\ndest: %s\nvalidate: grep -q good %%s\nbackup: true", content, conf))
	}
	res, err := copyOf("broken\n").Apply(context.Background(), h, env)
	if err != nil || !res.Failed || !strings.Contains(res.Msg, "failed to validate") {
		t.Fatalf("broken config: %+v %v", res, err)
	}
	fileIs(t, conf, "good v1\n", 0o640)
	dirHolds(t, dir, "conf")

	for _, v := range []string{"good v2\n", "good v3\n"} {
		if res := apply(t, copyOf(v), h, env); !res.Changed || res.Failed {
			t.Fatalf("%q: %+v", v, res)
		}
		fileIs(t, conf, v, 0o640)
	}
	backups, _ := filepath.Glob(conf + ".*~")
	sort.Strings(backups)
	if len(backups) != 2 {
		t.Fatalf("backups %v, want two", backups)
	}
	name := regexp.MustCompile(`^conf\.\d{14}(\.\d+)?~$`)
	seen := map[string]bool{}
	for _, b := range backups {
		if !name.MatchString(filepath.Base(b)) {
			t.Errorf("backup name %s", b)
		}
		data, _ := os.ReadFile(b)
		seen[string(data)] = true
		if fi, _ := os.Stat(b); fi.Mode().Perm() != 0o640 {
			t.Errorf("backup %s mode %v", b, fi.Mode().Perm())
		}
	}
	if !seen["good v1\n"] || !seen["good v2\n"] {
		t.Errorf("backups hold %v, want v1 and v2", seen)
	}
}

// TestValidateConnectionDropped drops the connection while the validator
// runs: the task fails as unreachable, the working file stays, and the
// validated temporary file is removed, not renamed into place.
func TestValidateConnectionDropped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, h, conf := sshdFiles(t, dir)
	marker := fmt.Sprintf("2.%d", time.Now().UnixNano()%1000000)
	m := newModule(t, "copy", fmt.Sprintf("content: \"good v2\\n\"\ndest: %s\nvalidate: sleep %s; grep -q good %%s", conf, marker))
	errc := make(chan error, 1)
	go func() {
		_, err := m.Apply(context.Background(), h, testEnv(debian12, nil))
		errc <- err
	}()
	for end := time.Now().Add(10 * time.Second); exec.Command("pgrep", "-f", "sleep "+marker).Run() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the validator never ran")
		}
	}
	srv.DropConnections()
	select {
	case err := <-errc:
		if !errors.Is(err, host.ErrUnreachable) {
			t.Errorf("apply: %v, want unreachable", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("apply still running 20s after its connection dropped")
	}
	dirHolds(t, dir, "conf")
	fileIs(t, conf, "good v1\n", 0o640)
}

// TestCopyDiskFullOnSSHD fills a 64 KiB tmpfs with a copy (plain, and with
// validate and backup): the task fails, naming the cause, the old file is
// byte-identical and nothing is left behind; a small copy then works.
func TestCopyDiskFullOnSSHD(t *testing.T) {
	t.Parallel()
	sshtest.Require(t)
	dir, err := os.MkdirTemp("", "lvslab-full-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { // after the server stops
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
		os.Remove(dir)
	})
	_, h, conf := sshdFiles(t, dir)
	env := testEnv(debian12, nil)
	big := strings.Repeat("good ", 1<<18)
	for _, extra := range []string{"", "\nvalidate: grep -q good %s\nbackup: true"} {
		m := newModule(t, "copy", fmt.Sprintf("content: %q\ndest: %s%s", big, conf, extra))
		res, err := m.Apply(context.Background(), h, env)
		if err == nil && !res.Failed {
			t.Fatalf("a 1.25 MiB copy into 64 KiB succeeded: %+v", res)
		}
		if errors.Is(err, host.ErrUnreachable) {
			t.Errorf("a full disk is not an unreachable host: %v", err)
		}
		if err == nil || !strings.Contains(err.Error(), "no space left") {
			t.Errorf("error does not say the disk is full: %v %+v", err, res)
		}
		dirHolds(t, dir, "conf")
		fileIs(t, conf, "good v1\n", 0o640)
	}
	if res := apply(t, newModule(t, "copy", "content: \"good v2\\n\"\ndest: "+conf), h, env); !res.Changed {
		t.Fatalf("small copy: %+v", res)
	}
	fileIs(t, conf, "good v2\n", 0o640)
}

// TestTemplateUndefinedVariableWritesNothing: an undefined variable inside a
// template file fails the task naming the variable and the template file;
// nothing is written.
func TestTemplateUndefinedVariableWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, h, conf := sshdFiles(t, dir)
	base := t.TempDir()
	os.MkdirAll(filepath.Join(base, "templates"), 0o755)
	os.WriteFile(filepath.Join(base, "templates", "app.conf.tmpl"), []byte("port={{ port }}\nname={{ no_such_var }}\n"), 0o644)
	env := testEnv(debian12, map[string]any{"port": 80})
	env.BaseDir = base
	_, err := newModule(t, "template", "src: app.conf.tmpl\ndest: "+conf).Apply(context.Background(), h, env)
	if err == nil || !strings.Contains(err.Error(), `undefined variable "no_such_var"`) ||
		!strings.Contains(err.Error(), filepath.Join(base, "templates", "app.conf.tmpl")) {
		t.Fatalf("apply: %v, want the variable and the template named", err)
	}
	dirHolds(t, dir, "conf")
	fileIs(t, conf, "good v1\n", 0o640)
}
