package main

import (
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// TestExtraVarsAreOneValueEach runs a playbook against a real sshd with -e
// values that hold commas: each -e is one value (JSON lists, a password
// with a comma), never split into two variables.
func TestExtraVarsAreOneValueEach(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	writeFile(t, dir, "show.yml", `- hosts: web
  gather_facts: false
  tasks:
    - debug:
        msg: 'a=[{{ .a }}] pw={{ len .db_password }} sites={{ len .sites }} b=[{{ .b }}]'
`)
	out, stderr, code, _ := bounded(t, 30*time.Second, dir, "run", "-i", "inv.yml", "show.yml",
		"-e", `a="hello, world"`, "-e", "db_password=Secr3t,lvs_mode=dr", "-e", `{"sites": [{"name": "a"}, {"name": "b"}]}`,
		"-e", "b=1 c=2")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if want := "a=[hello, world] pw=18 sites=2 b=[1]"; !strings.Contains(out, want) {
		t.Fatalf("output lacks %q:\n%s", want, out)
	}
	if strings.Contains(out+stderr, "Secr3t") {
		t.Fatalf("the password is printed:\n%s\n%s", out, stderr)
	}
}
