package vault

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ansibleVault runs ansible-vault, skipping the test where it is not
// installed (ansible-core 2.14 is the oracle).
func ansibleVault(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("ansible-vault"); err != nil {
		t.Skip("ansible-vault not installed")
	}
	cmd := exec.Command("ansible-vault", args...)
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1")
	cmd.Dir = t.TempDir() // no ./ansible.cfg of the caller
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible-vault %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, path, text string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDecryptAnsibleVault opens files ansible-vault encrypt wrote, 1.1 and
// 1.2 with a label, with short, long and non-ASCII plaintexts.
func TestDecryptAnsibleVault(t *testing.T) {
	dir := t.TempDir()
	pw := writeFile(t, filepath.Join(dir, "pw"), "correct horse\n", 0o600)
	for _, c := range []struct{ name, plain, id string }{
		{"empty-ish", "x", ""},
		{"block", "0123456789abcdef", ""},
		{"yaml", "db_password: s3cret\nport: 5432\n", ""},
		{"label", "token: abc\n", "dev"},
		{"unicode", "naïve: ünïcödé ✓\n", "prod"},
		{"long", strings.Repeat("line of text\n", 200), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := writeFile(t, filepath.Join(dir, c.name), c.plain, 0o600)
			id := pw
			if c.id != "" {
				id = c.id + "@" + pw
			}
			ansibleVault(t, "encrypt", "--vault-id", id, f)
			data, _ := os.ReadFile(f)
			e, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]string{true: "1.2", false: "1.1"}[c.id != ""]; e.Version != want || e.ID != c.id {
				t.Errorf("header %s;%s, want %s;%s", e.Version, e.ID, want, c.id)
			}
			k := NewKeyring(Secret{ID: "other", Password: []byte("nope")}, Secret{ID: "x", Password: []byte("correct horse")})
			got, err := k.Decrypt(data, f)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.plain {
				t.Errorf("got %q, want %q", got, c.plain)
			}
		})
	}
}

// TestEncryptForAnsible checks that ansible-vault view opens what Encrypt
// writes.
func TestEncryptForAnsible(t *testing.T) {
	dir := t.TempDir()
	pw := writeFile(t, filepath.Join(dir, "pw"), "pw2", 0o600)
	for _, id := range []string{"", "lab"} {
		plain := "a: 1\nb: [x, y]\n"
		data, err := Encrypt([]byte(plain), []byte("pw2"), id)
		if err != nil {
			t.Fatal(err)
		}
		f := writeFile(t, filepath.Join(dir, "f"+id), string(data), 0o600)
		if got := ansibleVault(t, "view", "--vault-password-file", pw, f); got != plain {
			t.Errorf("id %q: ansible-vault view %q, want %q", id, got, plain)
		}
	}
}

// TestEncryptString decodes the !vault values of ansible-vault
// encrypt_string lazily: nothing is decrypted until Plaintext, and a
// value needs a password only then.
func TestEncryptString(t *testing.T) {
	dir := t.TempDir()
	pw := writeFile(t, filepath.Join(dir, "pw"), "s", 0o600)
	out := ansibleVault(t, "encrypt_string", "--vault-password-file", pw, "--name", "db_password", "hunter22")
	doc := "plain: 1\n" + out + "\nnested:\n  list: [a]\n"
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := Decode("vars.yml", n.Content[0], &m); err != nil {
		t.Fatal(err)
	}
	v, ok := m["db_password"].(*Value)
	if !ok {
		t.Fatalf("db_password is %T, want *Value", m["db_password"])
	}
	if !strings.HasPrefix(v.Where, "vars.yml:2:") || strings.Contains(v.String(), "hunter22") {
		t.Errorf("Where %q, String %q", v.Where, v.String())
	}
	t.Cleanup(func() { SetDefault(nil) })

	SetDefault(nil)
	vars := map[string]any{"unused": 1}
	Reveal(vars, nil) // nothing vaulted: no password needed
	if _, err := v.Plaintext(); !errors.Is(err, ErrNoPassword) || !strings.Contains(err.Error(), "vars.yml:2:") {
		t.Errorf("without a password: %v", err)
	}

	var revealed []string
	k := NewKeyring(Secret{ID: DefaultID, Password: []byte("s")})
	k.OnReveal(func(v ...string) { revealed = append(revealed, v...) })
	SetDefault(k)
	var m2 map[string]any
	if err := Decode("vars.yml", n.Content[0], &m2); err != nil {
		t.Fatal(err)
	}
	Reveal(m2, func(string, error) any { t.Fatal("bad"); return nil })
	if m2["db_password"] != "hunter22" || m2["plain"] != 1 {
		t.Errorf("revealed %v", m2)
	}
	if len(revealed) != 1 || revealed[0] != "hunter22" {
		t.Errorf("Reveal hook got %q", revealed)
	}
}

// TestWrongPassword: the error names the file, the vault's id and the ids
// tried; IDMatch tries only the header's.
func TestWrongPassword(t *testing.T) {
	data, err := Encrypt([]byte("x: 1\n"), []byte("right"), "prod")
	if err != nil {
		t.Fatal(err)
	}
	k := NewKeyring(Secret{ID: "default", Password: []byte("wrong")}, Secret{ID: "dev", Password: []byte("wrong2")})
	_, err = k.Decrypt(data, "group_vars/all/vault.yml")
	var ve *Error
	if !errors.As(err, &ve) || !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"group_vars/all/vault.yml", `vault id "prod"`, `"default", "dev"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	k = NewKeyring(Secret{ID: "dev", Password: []byte("right")})
	k.IDMatch = true
	if _, err := k.Decrypt(data, "f"); err == nil {
		t.Error("IDMatch: decrypted with another id's password")
	}
	k.IDMatch = false
	if _, err := k.Decrypt(data, "f"); err != nil {
		t.Errorf("another id's password, without IDMatch: %v", err)
	}
}

// TestSources reads passwords as Ansible does: a file trimmed, a script's
// output, a -client script given --vault-id, a prompt only on a terminal.
func TestSources(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "pw.txt"), "  filepw \n", 0o600)
	script := writeFile(t, filepath.Join(dir, "pw.sh"), "#!/bin/sh\necho scriptpw\n", 0o700)
	client := writeFile(t, filepath.Join(dir, "my-client.sh"), "#!/bin/sh\necho \"client:$2\"\n", 0o700)
	empty := writeFile(t, filepath.Join(dir, "empty"), "\n", 0o600)
	k, err := Load(Sources{IDs: []string{"dev@" + script, "prod@" + client}, PasswordFiles: []string{file}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dev:scriptpw", "prod:client:prod", "default:filepw"}
	for i, s := range k.secrets {
		if got := s.ID + ":" + string(s.Password); got != want[i] {
			t.Errorf("secret %d: %q, want %q", i, got, want[i])
		}
	}
	if _, err := Load(Sources{Ask: true}); !errors.Is(err, ErrNoTerminal) {
		t.Errorf("--ask-vault-pass without a terminal: %v", err)
	}
	k, err = Load(Sources{Ask: true, IDs: []string{"lab@prompt"}, Prompt: func(p string) ([]byte, error) { return []byte(p), nil }})
	if err != nil || string(k.secrets[0].Password) != "Vault password (lab):" || string(k.secrets[1].Password) != "Vault password:" {
		t.Errorf("prompts: %v %v", k, err)
	}
	if _, err := Load(Sources{PasswordFiles: []string{empty}}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty password file: %v", err)
	}
	if _, err := Load(Sources{IDs: []string{filepath.Join(dir, "missing")}}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}
