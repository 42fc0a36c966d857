package runner

import (
	"os"
	"path/filepath"
	"testing"

	"lvslab/internal/report"
)

// TestSetupGathersFacts: a play without fact gathering that runs setup has
// Ansible's facts from then on, as variables and in ansible_facts.
func TestSetupGathersFacts(t *testing.T) {
	f := newSSHDFixture(t, "a")
	f.inv.groups["web"] = []string{"a"}
	path := filepath.Join(t.TempDir(), "setup.yml")
	os.WriteFile(path, []byte(`- hosts: all
  gather_facts: false
  tasks:
    - setup: {gather_subset: ["!all"]}
    - name: after setup
      copy: {dest: "{{ root }}/facts", content: "{{ ansible_system }} {{ ansible_facts.system }} {{ ansible_os_family is defined }}\n"}
      when: ansible_facts.system == 'Linux'
`), 0o644)
	rec, _ := f.runFile(t, path, false)
	for _, res := range rec.results {
		if res.Task == "after setup" && res.Status != report.Changed {
			t.Fatalf("after setup: %s %v", res.Status, res.Err)
		}
	}
	b, err := os.ReadFile(filepath.Join(f.roots["a"], "facts"))
	if err != nil || string(b) != "Linux Linux True\n" {
		t.Fatalf("facts file: %q, %v", b, err)
	}
}
