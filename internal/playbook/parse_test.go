package playbook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/pos"
)

type mods map[string]bool

func (m mods) Has(n string) bool { return m[n] }

var known = mods{"shell": true, "copy": true, "debug": true}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEveryErrorWithPosition(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "bad.yml", `- hosts: web
  tasks:
    - name: x
      shell: "echo {{ nope"
      bogus: 1
    - shell: echo
      when: a ==
    - name: no module
- hosts: web
  tsks: []
- name: nohosts
  tasks: []
`)
	_, err := Load(p, known)
	var errs pos.List
	if !errors.As(err, &errs) {
		t.Fatalf("got %v", err)
	}
	want := []string{
		"bad.yml:4:14: module shell: free-form arguments \"echo {{ nope\": unbalanced",
		`bad.yml:5:7: unknown module or task key "bogus"`,
		`bad.yml:7:13: expression "a =="`,
		`bad.yml:8:7: task "no module" has no module`,
		`bad.yml:10:3: unknown play key "tsks"`,
		`bad.yml:11:3: play "nohosts" has no hosts`,
	}
	if len(errs) != len(want) {
		t.Fatalf("want %d errors, got %d:\n%v", len(want), len(errs), err)
	}
	for i, w := range want {
		if !strings.Contains(errs[i].Error(), w) {
			t.Errorf("error %d = %q, want it to contain %q", i, errs[i], w)
		}
	}
}

func TestBrokenYAMLHasLine(t *testing.T) {
	p := write(t, t.TempDir(), "broken.yml", "- hosts: web\n  tasks:\n    - shell: [\n")
	_, err := Load(p, known)
	if err == nil || !strings.Contains(err.Error(), "broken.yml:") {
		t.Fatalf("got %v", err)
	}
}

func TestImportTasksSplicesWithInheritance(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "tasks/inner.yml", "- name: a\n  shell: a\n- name: b\n  shell: b\n  when: y\n")
	p := write(t, dir, "playbooks/site.yml", `- hosts: all
  tags: [site]
  tasks:
    - import_tasks: tasks/inner.yml
      when: x
      tags: [inner]
`)
	pb, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	tasks := pb.Plays[0].Tasks
	if len(tasks) != 2 || tasks[0].Name != "a" {
		t.Fatalf("tasks %+v", tasks)
	}
	if len(tasks[1].When) != 2 || tasks[1].When[0].Src != "x" || tasks[1].When[1].Src != "y" {
		t.Fatalf("when %+v", tasks[1].When)
	}
	if !tasks[0].HasTag([]string{"inner"}, nil) || !tasks[0].HasTag([]string{"site"}, nil) || tasks[0].HasTag([]string{"other"}, nil) {
		t.Fatalf("tags %v", tasks[0].Tags)
	}
	if !strings.HasSuffix(tasks[0].File, filepath.Join("tasks", "inner.yml")) {
		t.Fatalf("file %s", tasks[0].File)
	}
}

// include_tasks is one task, run when reached: its when and tags are its
// own (its tasks keep theirs and the play's), its vars and apply's
// keywords its tasks'.
func TestIncludeTasksIsOneTask(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "tasks/inner.yml", "- name: a\n  shell: a\n- name: b\n  shell: b\n  when: y\n")
	p := write(t, dir, "playbooks/site.yml", `- hosts: all
  tags: [site]
  tasks:
    - include_tasks:
        file: tasks/inner.yml
        apply: {become: true, tags: [applied]}
      when: x
      tags: [inner]
      vars: {v: 1}
    - import_tasks: tasks/inner.yml
      loop: [1]
`)
	_, err := Load(p, known)
	if err == nil || !strings.Contains(err.Error(), "site.yml:11:7: you cannot use loops on 'import_tasks' statements") {
		t.Fatalf("got %v", err)
	}
	os.WriteFile(p, []byte(strings.SplitAfter(string(mustRead(t, p)), "vars: {v: 1}\n")[0]), 0o644)
	pb, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	tasks := pb.Plays[0].Tasks
	if len(tasks) != 1 || !tasks[0].IsInclude() || len(tasks[0].When) != 1 || !tasks[0].HasTag([]string{"inner"}, nil) {
		t.Fatalf("tasks %+v", tasks)
	}
	in := tasks[0].Include.Tasks
	if len(in) != 2 || len(in[1].When) != 1 || in[1].When[0].Src != "y" || in[0].Vars["v"] != 1 || in[0].Become == nil || !*in[0].Become {
		t.Fatalf("included %+v", in)
	}
	if in[0].HasTag([]string{"inner"}, nil) || !in[0].HasTag([]string{"site"}, nil) || !in[0].HasTag([]string{"applied"}, nil) {
		t.Fatalf("tags %v", in[0].Tags)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIncludeCycle(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yml", "- include_tasks: b.yml\n")
	write(t, dir, "b.yml", "- include_tasks: a.yml\n")
	p := write(t, dir, "site.yml", "- hosts: all\n  tasks:\n    - include_tasks: a.yml\n")
	if _, err := Load(p, known); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("got %v", err)
	}
}

func TestSpecialTags(t *testing.T) {
	never := &Task{Tags: []string{"never", "debugonly"}}
	always := &Task{Tags: []string{"always"}}
	plain := &Task{}
	if never.HasTag(nil, nil) || !never.HasTag([]string{"debugonly"}, nil) {
		t.Error("never")
	}
	if !always.HasTag([]string{"x"}, nil) || !plain.HasTag(nil, nil) || plain.HasTag([]string{"x"}, nil) {
		t.Error("always/plain")
	}
	if plain.HasTag(nil, []string{"all"}) || !always.HasTag(nil, []string{"all"}) {
		t.Error("skip all")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("- hosts: all\n  tasks:\n    - shell: echo {{ x }}\n      when: a == 1\n      loop: [1, 2]\n")
	f.Add("- hosts: all\n  handlers:\n    - name: h\n      shell: x\n      listen: y\n")
	f.Add("[")
	f.Fuzz(func(t *testing.T, body string) {
		dir := t.TempDir()
		p := filepath.Join(dir, "f.yml")
		os.WriteFile(p, []byte(body), 0o644)
		pb, err := Load(p, known)
		if err == nil && pb == nil {
			t.Fatal("nil playbook without error")
		}
	})
}

// TestKeywordBooleansAsAnsible: play and task keywords take every spelling
// of Ansible's boolean(), as inventory variables do (ansible.ParseBool):
// `become: "Yes"`, `gather_facts: "n"`, `become: ON`.
func TestKeywordBooleansAsAnsible(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "site.yml", `- hosts: all
  become: "Yes"
  gather_facts: "n"
  tasks:
    - shell: "true"
      become: ON
    - shell: "true"
      become: f
- hosts: all
  become: "maybe"
  tasks: []
`)
	_, err := Load(p, known)
	if err == nil || !strings.Contains(err.Error(), "site.yml:10:11: expected a boolean") || strings.Count(err.Error(), "\n") != 0 {
		t.Fatalf("want one error, at the second play's become: %v", err)
	}
	write(t, dir, "site.yml", strings.Replace(readFile(t, p), "\"maybe\"", "1", 1))
	pb, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	first, second := pb.Plays[0], pb.Plays[1]
	if first.Become == nil || !*first.Become || first.GatherFacts == nil || *first.GatherFacts {
		t.Errorf("play 1: become %v, gather_facts %v; want true, false", first.Become, first.GatherFacts)
	}
	if b := first.Tasks[0].Become; b == nil || !*b {
		t.Errorf("task 1: become %v, want true", b)
	}
	if b := first.Tasks[1].Become; b == nil || *b {
		t.Errorf("task 2: become %v, want false", b)
	}
	if second.Become == nil || !*second.Become {
		t.Errorf("play 2: become %v, want true (1)", second.Become)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
