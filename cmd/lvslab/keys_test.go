package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertCommandKeysPrivateUnderAnyUmask runs `lvslab cert` under umask
// 000: the keys are 0600, the certificates 0644; a key made readable
// afterwards is made 0600 again, keeping the pair.
func TestCertCommandKeysPrivateUnderAnyUmask(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "certs")
	run := func() string {
		t.Helper()
		cmd := exec.Command("sh", "-c", `umask 000; exec "$0" cert --each --name www.along.com --name www.along2.com --type ecdsa --out "$1"`, binary, out)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("lvslab cert: %v\n%s", err, b)
		}
		return string(b)
	}
	run()
	check := func() {
		t.Helper()
		for _, n := range []string{"www.along.com", "www.along2.com"} {
			for ext, want := range map[string]os.FileMode{".key": 0o600, ".crt": 0o644} {
				fi, err := os.Stat(filepath.Join(out, n+ext))
				if err != nil || fi.Mode().Perm() != want {
					t.Errorf("%s%s: %v %v, want %v", n, ext, fi.Mode(), err, want)
				}
			}
		}
		if ents, _ := os.ReadDir(out); len(ents) != 4 {
			t.Errorf("%d files in %s, want the four of the two pairs", len(ents), out)
		}
	}
	check()
	os.Chmod(filepath.Join(out, "www.along.com.key"), 0o644)
	if got := run(); !strings.Contains(got, "made 0600") {
		t.Errorf("a readable key was not reported:\n%s", got)
	}
	check()
}
