package playbook

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lvslab/internal/vault"
)

// TestVaultedVarsFile: a vaulted vars file (-e @file, vars_files) is
// decrypted and its values protected; a !vault value of a plain one stays
// a *vault.Value.
func TestVaultedVarsFile(t *testing.T) {
	t.Cleanup(func() { vault.SetDefault(nil) })
	var protected []string
	k := vault.NewKeyring(vault.Secret{ID: "default", Password: []byte("pw")})
	k.OnReveal(func(v ...string) { protected = append(protected, v...) })
	vault.SetDefault(k)
	dir := t.TempDir()
	enc, err := vault.Encrypt([]byte("db_password: hunter22\nlist: [abc1]\n"), []byte("pw"), "")
	if err != nil {
		t.Fatal(err)
	}
	inner, _ := vault.Encrypt([]byte("tok123"), []byte("pw"), "")
	plain := "token: !vault |\n"
	for _, l := range strings.Split(strings.TrimSuffix(string(inner), "\n"), "\n") {
		plain += "  " + l + "\n"
	}
	os.WriteFile(filepath.Join(dir, "v.yml"), enc, 0o600)
	os.WriteFile(filepath.Join(dir, "p.yml"), []byte(plain), 0o600)
	m, err := LoadVarsFile(filepath.Join(dir, "v.yml"))
	if err != nil || m["db_password"] != "hunter22" {
		t.Fatalf("%v %v", m, err)
	}
	if !slices.Contains(protected, "hunter22") || !slices.Contains(protected, "abc1") {
		t.Errorf("protected %q", protected)
	}
	m, err = LoadVarsFile(filepath.Join(dir, "p.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m["token"].(*vault.Value); !ok || slices.Contains(protected, "tok123") {
		t.Fatalf("token %T, protected %q", m["token"], protected)
	} else if s, err := v.Plaintext(); s != "tok123" || err != nil {
		t.Errorf("Plaintext %q %v", s, err)
	}
}
