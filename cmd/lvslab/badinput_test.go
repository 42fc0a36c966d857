package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// TestBadInputNeverReachesAHost feeds every kind of bad input — broken
// YAML, unknown keys, a missing or broken template, a missing file, bad
// expressions, undefined variables, a bad inventory (YAML and INI), bad
// connection variables, bad -e values and flags — to run and lint: each
// exits 4 naming every problem at once with its file:line:col, and no
// host is ever logged in to.
func TestBadInputNeverReachesAHost(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	writeFile(t, dir, "ok.yml", "- hosts: web\n  tasks:\n    - command: \"true\"\n")
	writeFile(t, dir, "parse.yml", `- hosts: web
  gather_fact: false
  tasks:
    - shell: echo
      when: a ==
    - copy: {dest: /tmp/x, contnt: y}
    - nosuchmodule: {x: 1}
    - shell: x
      bogus: 1
    - command: "true"
      changed_when: "rc >"
      until: "("
      retries: 2
    - shell: "{{ inventory_hostname | nosuchfilter }}"
`)
	writeFile(t, dir, "broken.yml", "- hosts: web\n  tasks:\n    - shell: [unclosed\n")
	if err := mkdirAll(dir, "templates"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "templates/bad.tmpl", "line one\nx={{ x \n")
	writeFile(t, dir, "templates/good.tmpl", "x={{ inventory_hostname }}\n")
	writeFile(t, dir, "prepare.yml", `- hosts: web
  vars_files: [missing-vars.yml]
  tasks:
    - command: "true"
- hosts: web
  tasks:
    - name: missing template
      template: {src: nope.tmpl, dest: /tmp/x}
    - name: broken template
      template:
        src: bad.tmpl
        dest: /tmp/y
    - name: fine template
      template: {src: good.tmpl, dest: /tmp/z}
    - name: missing file
      copy: {src: missing-file, dest: /tmp/z}
    - name: undefined in args
      shell: "echo {{ undefined_var }}"
    - name: undefined in when
      command: "true"
      when: undefined_thing == 1
    - name: bad mode
      copy:
        content: x
        dest: /tmp/w
        mode: 9z
`)
	writeFile(t, dir, "badinv.yml", "all:\n  hosts:\n    rs01: {ansible_port: [}\n")
	writeFile(t, dir, "badinv2.yml", "all:\n  childs: {}\n  hosts:\n    rs01:\n      ansible_host: 127.0.0.1\n      ansible_host: twice\n")
	writeFile(t, dir, "badinv.ini", "[web]\nrs01 ansible_host=127.0.0.1 \"unterminated\n[web:vars\n")
	writeFile(t, dir, "badconn.yml", "all:\n  hosts:\n    rs01: {ansible_port: 70000, ansible_ssh_common_args: \"-J\", lvslab_netns: \"a/b\"}\n")
	writeFile(t, dir, "badconn.ini", "[web]\nrs01 ansible_host=127.0.0.1 ansible_port=notaport\n")
	writeFile(t, dir, "broken-vars.yml", "a: [\n")

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"parse errors, every one, across files", []string{"-i", "inv.yml", "parse.yml", "broken.yml"}, []string{
			`parse.yml:2:3: unknown play key "gather_fact"`,
			`parse.yml:5:13: expression "a =="`,
			`parse.yml:6:28: module copy: unknown key "contnt"`,
			`parse.yml:7:7: unknown module or task key "nosuchmodule"`,
			`parse.yml:9:7: unknown module or task key "bogus"`,
			`parse.yml:11:21: expression "rc >"`,
			`parse.yml:12:14: expression "("`,
			`parse.yml:14:14: `, `no filter named "nosuchfilter"`,
			`broken.yml:3:1: did not find expected ',' or ']'`,
		}},
		{"what only rendering finds, every one", []string{"-i", "inv.yml", "prepare.yml"}, []string{
			`prepare.yml:1:3: vars_files: open missing-vars.yml: no such file or directory`,
			`prepare.yml:8:23: module template: src: source "nope.tmpl" not found`,
			`prepare.yml:11:14: module template: src: `, `bad.tmpl:2:`, `template syntax`,
			`prepare.yml:16:19: module copy: src: source "missing-file" not found`,
			`prepare.yml:18:14: undefined variable "undefined_var"`,
			`prepare.yml:21:13: undefined variable "undefined_thing"`,
			`prepare.yml:26:15: module copy: mode: want an octal mode like 0644, got a string`,
		}},
		{"broken YAML inventory", []string{"-i", "badinv.yml", "ok.yml"}, []string{"badinv.yml:3:1: did not find expected node content"}},
		{"inventory errors, every one", []string{"-i", "badinv2.yml", "ok.yml"}, []string{
			`badinv2.yml:2:3: unknown key "childs"`, `badinv2.yml:6:7: duplicate key "ansible_host"`}},
		{"INI inventory errors, every one", []string{"-i", "badinv.ini", "ok.yml"}, []string{
			"badinv.ini:2:29: no closing quotation", `badinv.ini:3:1: invalid section header "[web:vars"`}},
		{"connection variables, every one, where they are set", []string{"-i", "badconn.yml", "ok.yml"}, []string{
			"badconn.yml:3:26: host rs01: ansible_port: 70000 is not a port number",
			"badconn.yml:3:58: host rs01: ansible_ssh_common_args: -J needs a value",
			`badconn.yml:3:78: host rs01: lvslab_netns: "a/b"`}},
		{"INI connection variables", []string{"-i", "badconn.ini", "ok.yml"}, []string{
			"badconn.ini:2:42: host rs01: ansible_port: want a whole number, got notaport"}},
		{"missing -e file", []string{"-i", "inv.yml", "ok.yml", "-e", "@missing.yml"}, []string{"missing.yml"}},
		{"broken -e file", []string{"-i", "inv.yml", "ok.yml", "-e", "@broken-vars.yml"}, []string{"broken-vars.yml:"}},
		{"broken -e mapping", []string{"-i", "inv.yml", "ok.yml", "-e", "{a: [}"}, []string{"-e #1: not a YAML or JSON mapping"}},
		{"-e without =", []string{"-i", "inv.yml", "ok.yml", "-e", "novalue"}, []string{`-e #1: want key=value`}},
		{"-e word without =", []string{"-i", "inv.yml", "ok.yml", "-e", "a=1", "-e", "db_password=x Secr3t"}, []string{`-e #2: word 2 is not key=value`}},
		{"bad --limit", []string{"-i", "inv.yml", "ok.yml", "--limit", "web:&"}, []string{"--limit: invalid host pattern"}},
		{"bad --host-key-checking", []string{"-i", "inv.yml", "ok.yml", "--host-key-checking", "sometimes"}, []string{"--host-key-checking"}},
		{"bad --output", []string{"-i", "inv.yml", "ok.yml", "-o", "xml"}, []string{"--output"}},
		{"missing inventory", []string{"-i", "nope.yml", "ok.yml"}, []string{"nope.yml"}},
		{"missing playbook", []string{"-i", "inv.yml", "nope.yml"}, []string{"nope.yml"}},
		{"no playbook", []string{"-i", "inv.yml"}, []string{"no playbook"}},
	} {
		for _, cmd := range []string{"run", "lint"} {
			_, stderr, code, _ := bounded(t, 30*time.Second, dir, append([]string{cmd}, tc.args...)...)
			if code != 4 {
				t.Errorf("%s: %s: exit %d, want 4\n%s", tc.name, cmd, code, stderr)
				continue
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("%s: %s: stderr lacks %q:\n%s", tc.name, cmd, want, stderr)
				}
			}
			if twice.MatchString(stderr) {
				t.Errorf("%s: %s: a problem with two positions:\n%s", tc.name, cmd, stderr)
			}
		}
	}
	if n := s.Connections(); n != 0 {
		t.Fatalf("bad input made %d SSH logins", n)
	}
	// The fine inputs do reach the host.
	if _, stderr, code, _ := bounded(t, 30*time.Second, dir, "run", "-i", "inv.yml", "ok.yml"); code != 0 || s.Connections() != 1 {
		t.Fatalf("good input: exit %d, %d logins\n%s", code, s.Connections(), stderr)
	}
}

// twice matches a message placed twice ("a.yml:3:7: a.yml:4:14: ...").
var twice = regexp.MustCompile(`(?m)^(lvslab: )?\S+:\d+:\d+: \S+\.yml:\d+:\d+: `)

func mkdirAll(dir, sub string) error { return os.MkdirAll(filepath.Join(dir, sub), 0o755) }
