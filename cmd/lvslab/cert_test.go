package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"lvslab", "cert", "--name", "www.along.com", "--name", "www.along2.com", "--name", "172.17.1.6", "--out", dir, "--type", "ecdsa", "--days", "90"}
	if err := newApp().Run(args); err != nil {
		t.Fatal(err)
	}
	c := readCert(t, filepath.Join(dir, "www.along.com.crt"))
	if !slices.Equal(c.DNSNames, []string{"www.along.com", "www.along2.com"}) || len(c.IPAddresses) != 1 || c.Subject.CommonName != "www.along.com" {
		t.Errorf("names: CN %s, DNS %v, IP %v", c.Subject.CommonName, c.DNSNames, c.IPAddresses)
	}
	if c.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key %v, want ECDSA", c.PublicKeyAlgorithm)
	}
	st, err := os.Stat(filepath.Join(dir, "www.along.com.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st.Mode(), err)
	}
	// A valid pair is kept.
	if err := newApp().Run(args); err != nil {
		t.Fatal(err)
	}
	if again := readCert(t, filepath.Join(dir, "www.along.com.crt")); !again.Equal(c) {
		t.Error("a valid certificate was made anew")
	}
	// --each: one pair per name.
	if err := newApp().Run([]string{"lvslab", "cert", "--each", "--name", "a.example", "--name", "b.example", "--out", dir}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a.example", "b.example"} {
		if c := readCert(t, filepath.Join(dir, n+".crt")); !slices.Equal(c.DNSNames, []string{n}) || c.PublicKeyAlgorithm != x509.RSA {
			t.Errorf("%s: DNS %v key %v", n, c.DNSNames, c.PublicKeyAlgorithm)
		}
	}
}
