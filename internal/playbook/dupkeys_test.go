package playbook

import (
	"strings"
	"testing"
)

// TestDuplicateKeysAreErrors: a key given twice in a play, a task, its
// loop_control or vars is an error at the second key, every one at once,
// where the last one used to win silently.
func TestDuplicateKeysAreErrors(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "dup.yml", `- hosts: web
  vars:
    a: 1
    a: 2
  tasks:
    - debug: {msg: first}
  tasks:
    - name: t
      shell: echo
      when: a == 1
      when: a == 2
      loop: [1]
      loop_control:
        loop_var: x
        loop_var: y
`)
	_, err := Load(p, known)
	if err == nil {
		t.Fatal("duplicate keys accepted")
	}
	for _, want := range []string{
		p + `:4:5: duplicate key "a" (first at line 3)`,
		p + `:7:3: duplicate key "tasks" (first at line 5)`,
		p + `:11:7: duplicate key "when" (first at line 10)`,
		p + `:15:9: duplicate key "loop_var" (first at line 14)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestDuplicateKeyInVarsFile(t *testing.T) {
	p := write(t, t.TempDir(), "vars.yml", "x: 1\ny: 2\nx: 3\n")
	_, err := LoadVarsFile(p)
	if want := p + `:3:1: duplicate key "x" (first at line 1)`; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}
