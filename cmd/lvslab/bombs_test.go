package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// aliasChain is a YAML alias chain a few hundred bytes long that expands to
// 10^9 values.
func aliasChain(indent string) string {
	var b strings.Builder
	b.WriteString(indent + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "%sa%d: &a%d [%s]\n", indent, i, i, refs)
	}
	return b.String()
}

// TestAliasBombsInTaskArguments: an alias chain in a task's arguments
// (loop, debug.msg, set_fact, assert.that, command.argv) is refused by lint
// and run with its place, in bounded time and memory, before any login.
func TestAliasBombsInTaskArguments(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	chain := aliasChain("          ")
	for name, task := range map[string]string{
		"loop":    "    - debug: {msg: x}\n      loop:\n" + aliasChain("        "),
		"debug":   "    - debug:\n        msg:\n" + chain,
		"setfact": "    - set_fact:\n        big:\n" + chain,
		"assert":  "    - assert:\n        that:\n" + chain,
		"argv":    "    - command:\n        argv:\n" + chain,
	} {
		pb := "- hosts: web\n  gather_facts: false\n  tasks:\n" + task
		writeFile(t, dir, name+".yml", pb)
		for _, cmd := range []string{"lint", "run"} {
			_, stderr, code, took := bounded(t, 60*time.Second, dir, cmd, "-i", "inv.yml", name+".yml")
			if code != 4 || !strings.Contains(stderr, name+".yml:") || !strings.Contains(stderr, "aliases") {
				t.Errorf("%s %s: exit %d in %s, want 4 naming the file:\n%s", cmd, name, code, took, stderr)
			}
		}
	}
	if n := s.Connections(); n != 0 {
		t.Fatalf("alias bombs made %d SSH logins", n)
	}
}
