package module

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCertKeyAlwaysPrivate: under umask 000 the key is created 0600 (the
// certificate 0644); a valid pair whose key others can read is kept and the
// key made 0600 (reported as a change; check mode only reports it).
func TestCertKeyAlwaysPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	key, crt := filepath.Join(dir, "k", "site.key"), filepath.Join(dir, "k", "site.crt")
	m := newModule(t, "cert", "names: [www.along.com]\ncert_path: "+crt+"\nkey_path: "+key+"\ntype: ecdsa")
	mode := func(p string) os.FileMode {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if res := apply(t, m, nil, &Env{}); !res.Changed || mode(key) != 0o600 || mode(crt) != 0o644 {
		t.Fatalf("new pair: %+v, key %v, cert %v", res, mode(key), mode(crt))
	}
	before, _ := os.ReadFile(key)
	os.Chmod(key, 0o644)
	if res, err := m.Apply(context.Background(), nil, &Env{Check: true}); err != nil || !res.Changed || mode(key) != 0o644 {
		t.Fatalf("check mode: %+v %v, key %v", res, err, mode(key))
	}
	if res := apply(t, m, nil, &Env{}); !res.Changed || mode(key) != 0o600 {
		t.Fatalf("readable key: %+v, key %v", res, mode(key))
	}
	if after, _ := os.ReadFile(key); string(after) != string(before) {
		t.Error("the key was made anew")
	}
	if res := apply(t, m, nil, &Env{}); res.Changed {
		t.Fatalf("third run changed: %+v", res)
	}
}
