package playbook

import "testing"

// meta is a task keyword, also by its FQCN, as roles write it.
func TestMetaByFQCN(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "pb.yml", `- hosts: web
  tasks:
    - ansible.builtin.meta: flush_handlers
    - ansible.legacy.meta: end_host
`)
	pb, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	ts := pb.Plays[0].Tasks
	if ts[0].Module != "meta" || ts[0].Meta != "flush_handlers" || ts[1].Meta != "end_host" {
		t.Fatalf("meta tasks: %+v %+v", ts[0].TaskExt, ts[1].TaskExt)
	}
}
