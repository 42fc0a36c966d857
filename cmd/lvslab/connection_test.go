package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocalConnection runs tasks on this machine, without SSH: hosts whose
// ansible_connection is local, set by group_vars beside the playbook over
// the inventory's [web:vars] ssh (group_vars files beat inventory group
// variables; a host-line value would beat both), and the implicit
// localhost of a play that targets localhost when the inventory has none.
// Two -i are merged.
func TestLocalConnection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	writeFile(t, dir, "inv.ini", "[web]\nbox ansible_host=192.0.2.1\n[web:vars]\nansible_connection=ssh\n")
	writeFile(t, dir, "more.yml", "web:\n  hosts:\n    box2: {ansible_host: 192.0.2.2}\n")
	if err := os.MkdirAll(filepath.Join(dir, "pb", "group_vars"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "pb/group_vars/web.yml", "ansible_connection: local\n")
	writeFile(t, dir, "pb/site.yml", `- hosts: web
  gather_facts: false
  tasks:
    - copy:
        content: "from web\n"
        dest: `+out+`/web.txt
- hosts: localhost
  gather_facts: false
  tasks:
    - command: touch `+out+`/implicit
`)
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := lvslab(t, dir, "run", "-i", "inv.ini", "-i", "more.yml", "pb/site.yml")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if data, err := os.ReadFile(filepath.Join(out, "web.txt")); err != nil || string(data) != "from web\n" {
		t.Errorf("web.txt: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(out, "implicit")); err != nil {
		t.Errorf("implicit localhost: %v", err)
	}
	if !strings.Contains(stdout, "box2") || !strings.Contains(stdout, "localhost") {
		t.Errorf("recap lacks box2 or localhost:\n%s", stdout)
	}
}

// TestUnknownConnection: an ansible_connection lvslab has not is bad input,
// named with its host and place, before any connection.
func TestUnknownConnection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "inv.ini", "[web]\nrs00\nrs01 ansible_connection=winrm\n")
	writeFile(t, dir, "pb.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: \"true\"\n")
	stdout, stderr, code := lvslab(t, dir, "run", "-i", "inv.ini", "pb.yml")
	if code != 4 {
		t.Fatalf("exit %d, want 4\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"inv.ini:3:", "host rs01", "ansible_connection", `"winrm"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// -e overrides it, as every connection variable.
	stdout, stderr, code = lvslab(t, dir, "lint", "-i", "inv.ini", "-i", "extra1,extra2:2222,", "-e", "ansible_connection=local", "pb.yml")
	if code != 0 || !strings.Contains(stdout, "4 host(s)") {
		t.Errorf("lint with -e ansible_connection=local and a host list: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
