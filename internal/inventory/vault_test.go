package inventory

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"lvslab/internal/vault"
)

// TestVault: a vaulted group_vars file and a vaulted inventory are
// decrypted when loaded and their strings protected; a !vault value stays
// a *vault.Value, decrypted only when used, so that without a password an
// inventory whose vaulted values are not used still loads.
func TestVault(t *testing.T) {
	t.Cleanup(func() { vault.SetDefault(nil) })
	enc := func(plain string) string {
		b, err := vault.Encrypt([]byte(plain), []byte("pw"), "")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"inv.yml":              "web:\n  hosts:\n    w1:\n      token: !vault |\n" + indent(enc("tok-en-123"), "        "),
		"more.ini":             enc("[db]\nd1 db_pass=sekrit99\n"),
		"group_vars/web/v.yml": enc("db_password: hunter22\nport: 5432\n"),
	})
	var protected []string
	k := vault.NewKeyring(vault.Secret{ID: "default", Password: []byte("pw")})
	k.OnReveal(func(v ...string) { protected = append(protected, v...) })
	vault.SetDefault(k)
	inv, err := Load(filepath.Join(dir, "inv.yml"), filepath.Join(dir, "more.ini"))
	if err != nil {
		t.Fatal(err)
	}
	w1 := inv.HostVars("w1")
	if w1["db_password"] != "hunter22" || w1["port"] != 5432 {
		t.Errorf("w1 %v", w1)
	}
	if inv.HostVars("d1")["db_pass"] != "sekrit99" {
		t.Errorf("d1 %v", inv.HostVars("d1"))
	}
	v, ok := w1["token"].(*vault.Value)
	if !ok {
		t.Fatalf("token %T", w1["token"])
	}
	for _, s := range []string{"hunter22", "sekrit99"} {
		if !slices.Contains(protected, s) {
			t.Errorf("%s not protected: %q", s, protected)
		}
	}
	if slices.Contains(protected, "tok-en-123") {
		t.Error("the !vault value was decrypted before it was used")
	}
	if p, err := v.Plaintext(); p != "tok-en-123" || err != nil || !slices.Contains(protected, "tok-en-123") {
		t.Errorf("Plaintext %q %v", p, err)
	}

	vault.SetDefault(nil)
	writeFiles(t, dir, map[string]string{"group_vars/web/v.yml": "x: 1\n"})
	if _, err := Load(filepath.Join(dir, "inv.yml")); err != nil {
		t.Errorf("an unused !vault value needs no password: %v", err)
	}
	_, err = Load(filepath.Join(dir, "more.ini"))
	if !errors.Is(err, vault.ErrNoPassword) {
		t.Errorf("vaulted inventory without a password: %v", err)
	}
}
