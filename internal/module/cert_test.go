package module

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestGenerateSelfSigned(t *testing.T) {
	for _, typ := range []string{"rsa", "ecdsa"} {
		certPEM, keyPEM, err := GenerateSelfSigned([]string{"www.along.com", "along.com", "172.17.1.6", "2001:db8::6"}, typ, 10)
		if err != nil {
			t.Fatal(err)
		}
		c, err := certParse(certPEM)
		if err != nil {
			t.Fatal(err)
		}
		key, err := certParseKey(keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject.CommonName != "www.along.com" {
			t.Errorf("%s: CN %q", typ, c.Subject.CommonName)
		}
		if got := strings.Join(certNames(c), " "); got != "172.17.1.6 2001:db8::6 along.com www.along.com" {
			t.Errorf("%s: SANs %s", typ, got)
		}
		if len(c.IPAddresses) != 2 || len(c.DNSNames) != 2 {
			t.Errorf("%s: IPs %v DNS %v", typ, c.IPAddresses, c.DNSNames)
		}
		if err := c.CheckSignatureFrom(c); err != nil {
			t.Errorf("%s: not self-signed: %v", typ, err)
		}
		if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(c.PublicKey) {
			t.Errorf("%s: key does not match", typ)
		}
		switch typ {
		case "rsa":
			if k, ok := key.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 || c.SignatureAlgorithm != x509.SHA256WithRSA {
				t.Errorf("rsa: %T %v", key, c.SignatureAlgorithm)
			}
		case "ecdsa":
			if k, ok := key.(*ecdsa.PrivateKey); !ok || k.Curve.Params().Name != "P-256" || c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
				t.Errorf("ecdsa: %T %v", key, c.SignatureAlgorithm)
			}
		}
		if d := time.Until(c.NotAfter); d < 9*24*time.Hour || d > 10*24*time.Hour {
			t.Errorf("%s: expires in %v", typ, d)
		}
		if !bytes.Contains(keyPEM, []byte("BEGIN PRIVATE KEY")) {
			t.Errorf("%s: key is not PKCS#8", typ)
		}
	}
	if _, _, err := GenerateSelfSigned(nil, "rsa", 1); err == nil {
		t.Error("no names accepted")
	}
}

func certApply(t *testing.T, dir, args string, check bool) Result {
	t.Helper()
	m := newModule(t, "cert", args)
	res, err := m.Apply(t.Context(), nil, &Env{BaseDir: dir, Check: check})
	if err != nil || res.Failed {
		t.Fatalf("apply %s: %v %q", args, err, res.Msg)
	}
	return res
}

func TestCertModule(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	args := "{names: [www.along.com, 172.17.1.6], cert_path: ssl/www.crt, key_path: ssl/www.key, type: ecdsa}"
	crt, key := filepath.Join(dir, "ssl/www.crt"), filepath.Join(dir, "ssl/www.key")

	if res := certApply(t, dir, args, true); !res.Changed || !strings.Contains(res.Msg, "no certificate") {
		t.Fatalf("check mode: %v %q", res.Changed, res.Msg)
	}
	if _, err := os.Stat(crt); !os.IsNotExist(err) {
		t.Fatal("check mode wrote a file")
	}
	if res := certApply(t, dir, args, false); !res.Changed || res.Data["sha256"] == "" {
		t.Fatalf("first run: %v %v", res.Changed, res.Data)
	}
	for path, mode := range map[string]os.FileMode{key: 0o600, crt: 0o644} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v mode %v, want %v", path, err, fi.Mode().Perm(), mode)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "ssl", ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	before, _ := os.ReadFile(crt)
	keyBefore, _ := os.ReadFile(key)
	if res := certApply(t, dir, args, false); res.Changed {
		t.Fatalf("valid pair renewed: %q", res.Msg)
	}
	if after, _ := os.ReadFile(crt); !bytes.Equal(before, after) {
		t.Fatal("valid certificate rewritten")
	}

	renewals := []struct {
		name, args, want string
		setup            func()
	}{
		{"name added", strings.Replace(args, "172.17.1.6]", "172.17.1.6, along.com]", 1), "names differ", nil},
		{"type changed", strings.Replace(args, "type: ecdsa", "type: rsa", 1), "key is not of type rsa", nil},
		{"expiry near", args, "expires", func() { certNow = func() time.Time { return time.Now().Add(800 * 24 * time.Hour) } }},
		{"key replaced", args, "key does not match", func() {
			_, k, _ := GenerateSelfSigned([]string{"x"}, "ecdsa", 1)
			_ = os.WriteFile(key, k, 0o600)
		}},
		{"garbage", args, "does not parse", func() { _ = os.WriteFile(crt, []byte("junk"), 0o644) }},
	}
	for _, r := range renewals {
		certApply(t, dir, args, false) // back to a valid ecdsa pair for args
		if r.setup != nil {
			r.setup()
		}
		res := certApply(t, dir, r.args, false)
		certNow = time.Now
		if !res.Changed || !strings.Contains(res.Msg, r.want) {
			t.Errorf("%s: changed=%v msg=%q", r.name, res.Changed, res.Msg)
		}
	}
	if k, _ := os.ReadFile(key); bytes.Equal(k, keyBefore) {
		t.Error("key never renewed")
	}
}

func TestCertWriteFileUnderUmask(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	p := filepath.Join(dir, "c.pem")
	if err := certWriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v under umask 077", fi.Mode().Perm())
	}
	if err := certWriteFile(filepath.Join(dir, "missing-parent-is-made", "k.pem"), []byte("k"), 0o600); err != nil {
		t.Error(err)
	}
}

func TestCertAbsolutePaths(t *testing.T) {
	dir := t.TempDir()
	args := "{names: [a.example], cert_path: " + filepath.Join(dir, "a.crt") + ", key_path: " + filepath.Join(dir, "a.key") + "}"
	res := certApply(t, "/nonexistent-base", args, false)
	if !res.Changed || res.Data["cert_path"] != filepath.Join(dir, "a.crt") {
		t.Fatalf("%v %v", res.Changed, res.Data)
	}
}
