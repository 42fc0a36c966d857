package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/module"
	"lvslab/internal/playbook"
)

// writeTree writes files (path relative to dir: content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, text := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLintRoles: a role that is not there and a bad meta are errors of
// Load at their file:line; a template missing in a role, an undefined
// variable in a role's template and a missing include_vars file are errors
// of Prepare at the task's file:line; none connects.
func TestLintRoles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"site.yml": "- hosts: all\n  gather_facts: false\n  roles:\n    - ghost\n    - badmeta\n",
		"roles/badmeta/meta/main.yml": "dependencies:\n  - role: ok\n  - {vars: {a: 1}}\nweird: 1\n",
		"roles/ok/tasks/main.yml":     "- debug: msg=ok\n",
	})
	_, err := playbook.Load(filepath.Join(dir, "site.yml"), module.Default())
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"site.yml:4:7: the role \"ghost\" was not found in " + filepath.Join(dir, "roles", "ghost"),
		"roles/badmeta/meta/main.yml:3:5: role entry has no role name",
		"roles/badmeta/meta/main.yml:4:1: unknown role meta key \"weird\"",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}

	writeTree(t, dir, map[string]string{
		"site2.yml": "- hosts: all\n  gather_facts: false\n  roles:\n    - web\n",
		"roles/web/tasks/main.yml": "- name: conf\n  ansible.builtin.template:\n    src: missing.j2\n    dest: /tmp/x\n" +
			"- ansible.builtin.template:\n    src: typo.j2\n    dest: /tmp/y\n" +
			"- block:\n    - include_vars: nothere.yml\n  rescue:\n    - debug: msg={{ ansible_failed_result.msg }}\n",
		"roles/web/templates/typo.j2": "port={{ web_prot }}\n",
		"roles/web/defaults/main.yml": "web_port: 80\n",
	})
	f := newFixture(t, "a")
	f.opts.Modules = module.Default()
	pb, err := playbook.Load(filepath.Join(dir, "site2.yml"), f.opts.Modules)
	if err != nil {
		t.Fatal(err)
	}
	err = Prepare([]*playbook.Playbook{pb}, f.opts)
	if err == nil {
		t.Fatal("prepare: no error")
	}
	web := filepath.Join(dir, "roles", "web")
	for _, want := range []string{
		filepath.Join(web, "tasks/main.yml") + ":3:10: module template: src: source \"missing.j2\" not found",
		filepath.Join(web, "templates/typo.j2") + ":1: undefined variable \"web_prot\"",
		filepath.Join(web, "tasks/main.yml") + ":9:7: include_vars: \"nothere.yml\" not found",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if len(f.dials) != 0 {
		t.Fatalf("prepare connected: %v", f.dials)
	}
}
