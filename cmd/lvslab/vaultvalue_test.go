package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lvslab/internal/host/sshtest"
	"lvslab/internal/vault"
)

// TestVaultValuesOverSSH: !vault values in group_vars and in a task's
// arguments reach the host decrypted, never the output; one that is never
// used needs no password (it is vaulted under another).
func TestVaultValuesOverSSH(t *testing.T) {
	sshtest.Require(t)
	s := sshtest.Start(t, sshtest.Options{})
	dir := labDir(t, map[string]*sshtest.Server{"w1": s}, "")
	const secret, inArgs = "vv-c4nary-71b2", "va-c4nary-33d0"
	enc := func(plain, pw string) string {
		b, err := vault.Encrypt([]byte(plain), []byte(pw), "")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	writeFile(t, dir, "pw.txt", "right-pw\n")
	os.MkdirAll(filepath.Join(dir, "group_vars"), 0o755)
	writeFile(t, dir, "group_vars/web.yml", "db_token: !vault |\n"+indentLines(enc(secret, "right-pw"), "  ")+
		"never_used: !vault |\n"+indentLines(enc("other", "another-pw"), "  "))
	writeFile(t, dir, "pb.yml", `- hosts: web
  gather_facts: false
  tasks:
    - copy: {dest: "{{ root }}/tok", content: "{{ db_token }}\n"}
    - copy:
        dest: "{{ root }}/arg"
        content: !vault |
`+indentLines(enc(inArgs, "right-pw"), "          ")+`    - command: cat {{ root }}/tok {{ root }}/arg
`)
	out, errOut, code := lvslab(t, dir, "run", "-i", filepath.Join(dir, "inv.yml"), "pb.yml", "--vault-password-file", filepath.Join(dir, "pw.txt"), "-vv")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "c4nary") {
		t.Errorf("a vaulted value is in the output:\n%s\n%s", out, errOut)
	}
	invText, _ := os.ReadFile(filepath.Join(dir, "inv.yml"))
	_, root, _ := strings.Cut(string(invText), "root: ")
	root, _ = strconv.Unquote(strings.SplitN(root, "\n", 2)[0])
	for f, want := range map[string]string{"tok": secret + "\n", "arg": inArgs} {
		if b, err := os.ReadFile(filepath.Join(root, f)); err != nil || string(b) != want {
			t.Errorf("%s: the host got %q, %v; want %q", f, b, err, want)
		}
	}
}
