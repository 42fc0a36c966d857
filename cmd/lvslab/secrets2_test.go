package main

import (
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// noLogRegisteredYML registers the results of no_log tasks whose command
// and output hold a value that is no secret variable (so only no_log can
// hide it), prints them every way debug can, and uses their fields in
// conditions.
const noLogRegisteredYML = `- hosts: web
  gather_facts: false
  tasks:
    - name: a no_log command
      command: {argv: [printf, "%s\n", "nl-c4nary"]}
      no_log: true
      register: r
    - {name: var, debug: {var: r}}
    - {name: msg, debug: {msg: "{{ r }}"}}
    - {name: in a list, debug: {msg: ["{{ r }}", 1]}}
    - {name: rendered into text, debug: {msg: "r is {{ r }}"}}
    - name: a failure rendering it
      fail: {msg: "r is {{ r }}"}
      ignore_errors: true
    - {name: through hostvars, debug: {var: "hostvars[inventory_hostname].r"}}
    - name: a copy in a fact
      set_fact: {copied: "{{ r }}"}
    - {name: the copy, debug: {var: copied}}
    - name: its fields in conditions
      debug: {msg: "fields-usable"}
      when: r.rc == 0 and r.stdout == 'nl-' ~ 'c4nary' and r is changed
    - name: a no_log loop
      command: {argv: [printf, "%s\n", "nl-{{ item }}-c4nary"]}
      loop: [a, b]
      no_log: true
      register: l
    - {name: loop var, debug: {var: l}}
    - {name: one result, debug: {var: "l.results[1]"}}
    - name: loop over its results
      debug: {msg: "item-seen"}
      loop: "{{ l.results }}"
      when: item.rc == 0
`

// TestNoLogRegisteredResultCensored: the registered result of a no_log task
// is printed censored ("the output has been hidden ...", as Ansible prints
// the task's own result) by debug var and msg, through hostvars, copied by
// set_fact, and as loop items, in text at every verbosity and in JSON,
// while conditions still read its fields.
func TestNoLogRegisteredResultCensored(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	writeFile(t, dir, "nolog.yml", noLogRegisteredYML)
	for _, args := range [][]string{{}, {"-v"}, {"-vv"}, {"-vvv"}, {"-o", "json"}, {"-o", "json", "-vvv"}} {
		out, stderr, code, _ := bounded(t, 60*time.Second, dir, append([]string{"run", "-i", "inv.yml", "nolog.yml"}, args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, stderr)
		}
		if bad := leaks(out + stderr); len(bad) > 0 {
			t.Errorf("%v: a no_log result printed:\n%s", args, strings.Join(bad, "\n"))
		}
		if n := strings.Count(out, "the output has been hidden due to the fact that 'no_log: true' was specified for this result"); n < 6 || n < 10 && len(args) > 0 {
			t.Errorf("%v: %d censored results, want at least 10:\n%s", args, n, out)
		}
		if !strings.Contains(out, "fields-usable") || strings.Count(out, "item-seen") < 2 && !strings.Contains(strings.Join(args, " "), "json") {
			t.Errorf("%v: conditions did not read the fields:\n%s", args, out)
		}
	}
}
