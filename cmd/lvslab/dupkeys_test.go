package main

import (
	"strings"
	"testing"
)

// TestDuplicateTaskKeyExits4: lint refuses a task with `when:` twice with
// the second key's position and exit 4.
func TestDuplicateTaskKeyExits4(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "inv.yml", "all:\n  hosts:\n    a:\n")
	writeFile(t, dir, "pb.yml", "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n      when: false\n      when: true\n")
	_, stderr, code := lvslab(t, dir, "lint", "-i", "inv.yml", "pb.yml")
	if want := `pb.yml:5:7: duplicate key "when" (first at line 4)`; code != exitBadInput || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, want %d with %q:\n%s", code, exitBadInput, want, stderr)
	}
}
