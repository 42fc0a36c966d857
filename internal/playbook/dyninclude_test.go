package playbook

import (
	"strings"
	"testing"

	"lvslab/internal/tmpl"
)

// A role's `import_tasks: "{{ ansible_facts.os_family }}.yml"` reads every
// file the name can render to, each of its tasks under the condition that
// the name renders to that file; the including file is no candidate.
func TestTemplatedIncludeTasks(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "tasks/Debian.yml", "- name: deb\n  shell: apt\n")
	write(t, dir, "tasks/RedHat.yml", "- name: rh\n  shell: dnf\n")
	write(t, dir, "tasks/notes.txt", "not yaml\n")
	write(t, dir, "tasks/main.yml", "- import_tasks: \"{{ ansible_facts.os_family }}.yml\"\n  when: enabled\n")
	p := write(t, dir, "site.yml", "- hosts: all\n  tasks:\n    - import_tasks: tasks/main.yml\n")
	pb, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	tasks := pb.Plays[0].Tasks
	if len(tasks) != 2 || tasks[0].Name != "deb" || tasks[1].Name != "rh" {
		t.Fatalf("tasks %+v", tasks)
	}
	for _, tc := range []struct {
		family string
		want   []bool
	}{{"Debian", []bool{true, false}}, {"RedHat", []bool{false, true}}, {"Suse", []bool{false, false}}} {
		vars := map[string]any{"enabled": true, "ansible_facts": map[string]any{"os_family": tc.family}}
		for i, task := range tasks {
			if len(task.When) != 2 || task.When[0].Src != "enabled" {
				t.Fatalf("when %+v", task.When)
			}
			got, err := tmpl.EvalBool("test", task.When[1].Src, vars)
			if err != nil || got != tc.want[i] {
				t.Errorf("%s: %s on %s = %v, %v; want %v", task.Name, task.When[1].Src, tc.family, got, err, tc.want[i])
			}
		}
	}
}

func TestTemplatedIncludeInDirectoryAndExpression(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "apt/install.yml", "- name: apt\n  shell: a\n")
	write(t, dir, "dnf/install.yml", "- name: dnf\n  shell: d\n")
	p := write(t, dir, "site.yml", "- hosts: all\n  tasks:\n    - include_tasks: \"{{ mgr if (mgr not in ['yum']) else 'dnf' }}/install.yml\"\n")
	pb, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	tasks := pb.Plays[0].Tasks
	if len(tasks) != 1 || !tasks[0].IsInclude() || len(tasks[0].Include.Files) != 2 {
		t.Fatalf("tasks %+v", tasks)
	}
	in := tasks[0].Include
	got, err := tmpl.Eval("test", in.Expr, map[string]any{"mgr": "yum"})
	if err != nil || got != in.Files[1].Rel || in.Files[1].Tasks[0].Name != "dnf" {
		t.Fatalf("%s with yum: %v %v, files %+v", in.Expr, got, err, in.Files)
	}
}

func TestTemplatedIncludeMatchingNothing(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "site.yml", "- hosts: all\n  tasks:\n    - include_tasks: \"{{ x }}-setup.yml\"\n")
	if _, err := Load(p, known); err == nil || !strings.Contains(err.Error(), "no file matches") || !strings.Contains(err.Error(), "site.yml:3") {
		t.Fatalf("got %v", err)
	}
}

// A templated include's glob passes over the playbooks, inventories and
// vars files beside it: only lists of tasks are candidates.
func TestTemplatedIncludeSkipsPlaybooksAndVars(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "inc.yml", "- name: inc\n  shell: a\n")
	write(t, dir, "vars.yml", "a: 1\n")
	write(t, dir, "other.yml", "- hosts: all\n  tasks: []\n")
	p := write(t, dir, "site.yml", "- hosts: all\n  tasks:\n    - include_tasks: \"{{ 'inc' }}.yml\"\n")
	pb, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	in := pb.Plays[0].Tasks[0].Include
	if len(in.Files) != 1 || in.Files[0].Rel != "inc.yml" {
		t.Fatalf("candidates %+v", in.Files)
	}
}
