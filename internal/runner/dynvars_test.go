package runner

import (
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/module"
	"lvslab/internal/playbook"
)

// A role's include_vars of a templated file (first_found over the OS's
// vars files, or "{{ ansible_os_family }}.yml") defines, for lint, the
// variables of every file it may name; a variable none of them has is
// still undefined.
func TestLintTemplatedIncludeVars(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"site.yml": "- hosts: all\n  gather_facts: false\n  roles:\n    - db\n",
		"roles/db/tasks/main.yml": "- include_vars:\n    file: \"{{ lookup('first_found', params) }}\"\n  vars:\n    params: {paths: [vars], files: ['{{ ansible_os_family }}.yml', default.yml]}\n" +
			"- include_vars: \"os-{{ ansible_os_family }}.yml\"\n" +
			"- command: \"echo {{ db_other }}\"\n- command: \"echo {{ db_package }} {{ db_service }}\"\n",
		"roles/db/vars/Debian.yml":    "db_package: mongodb-org\n",
		"roles/db/vars/default.yml":   "db_package: mongodb\n",
		"roles/db/vars/os-RedHat.yml": "db_service: mongod\n",
	})
	f := newFixture(t, "a")
	f.opts.Modules = module.Default()
	pb, err := playbook.Load(filepath.Join(dir, "site.yml"), f.opts.Modules)
	if err != nil {
		t.Fatal(err)
	}
	err = Prepare([]*playbook.Playbook{pb}, f.opts)
	if err == nil || !strings.Contains(err.Error(), `undefined variable "db_other"`) {
		t.Fatalf("prepare: %v", err)
	}
	for _, name := range []string{"db_package", "db_service"} {
		if strings.Contains(err.Error(), name) {
			t.Errorf("%s reported undefined: %v", name, err)
		}
	}
}

// A task whose conditions include one that is false before the run
// (`x is defined` for an x no one sets) is skipped there, though another
// condition reads facts: its arguments need not render (mongodb_install's
// specific_mongodb_version).
func TestLintStaticallyFalseAmongFacts(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"site.yml": "- hosts: all\n  tasks:\n    - command: \"echo {{ version }}\"\n      when:\n        - version is defined\n        - ansible_facts.os_family == 'Debian'\n" +
			"    - command: \"echo {{ other }}\"\n      when: ansible_facts.os_family == 'Debian'\n",
	})
	f := newFixture(t, "a")
	f.opts.Modules = module.Default()
	pb, err := playbook.Load(filepath.Join(dir, "site.yml"), f.opts.Modules)
	if err != nil {
		t.Fatal(err)
	}
	err = Prepare([]*playbook.Playbook{pb}, f.opts)
	if err == nil || strings.Contains(err.Error(), `"version"`) || !strings.Contains(err.Error(), `undefined variable "other"`) {
		t.Fatalf("prepare: %v", err)
	}
}
