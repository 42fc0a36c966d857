package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/report"
)

// TestLoopsOnRealSSHD runs the with_* loops, loop_control and an
// include_tasks with a loop on real sshd hosts and reads what they wrote.
func TestLoopsOnRealSSHD(t *testing.T) {
	f := newFleet(t, 1, 2, 0, 0)
	inc := filepath.Join(t.TempDir(), "inc.yml")
	os.WriteFile(inc, []byte(`- name: inc {{ user.name }}
  shell: echo "{{ user.name }} {{ ui }} {{ ansible_loop.index }}/{{ ansible_loop.length }}" >> {{ root }}/inc
- shell: echo second {{ user.name }} >> {{ root }}/inc
`), 0o644)
	rec, r, err := f.run(t, `- hosts: all
  gather_facts: false
  vars:
    users: {alice: 1, bob: 2}
    groups_of: [{name: g1, members: [m1, m2]}, {name: g2, members: [m3]}]
  tasks:
    - name: dict
      shell: echo {{ item.key }}={{ item.value }} >> {{ root }}/dict
      with_dict: "{{ users }}"
    - name: items
      shell: echo {{ item }} >> {{ root }}/items
      with_items: [[a, b], c]
    - name: seq
      shell: echo {{ item }} {{ idx }} {{ ansible_loop.first }} {{ ansible_loop.last }} {{ ansible_loop.previtem | default('-') }} >> {{ root }}/seq
      with_sequence: start=1 end=3 format=n%02d
      loop_control: {index_var: idx, extended: true, label: "L{{ item }}"}
    - name: sub
      shell: echo {{ item.0.name }}:{{ item.1 }} >> {{ root }}/sub
      with_subelements: [ "{{ groups_of }}", members ]
    - name: nested
      shell: echo {{ item.0 }}{{ item.1 }} >> {{ root }}/nested
      with_nested: [[x, y], [1, 2]]
    - name: together
      shell: echo {{ item.0 }}{{ item.1 }} >> {{ root }}/together
      with_together: [[x, y], [1]]
    - include_tasks: `+inc+`
      loop: [{name: u1}, {name: u2}]
      loop_control: {loop_var: user, index_var: ui, extended: true}
`, 5)
	if err != nil {
		t.Fatalf("run: %v %v", err, rec.results)
	}
	wantStats(t, r, f.healthy, report.Stats{OK: 12, Changed: 10}) // the include counts ok once per item, as in Ansible
	root := f.roots[f.healthy[0]]
	for file, want := range map[string]string{
		"dict":     "alice=1\nbob=2\n",
		"items":    "a\nb\nc\n",
		"seq":      "n01 0 True False -\nn02 1 False False n01\nn03 2 False True n02\n",
		"sub":      "g1:m1\ng1:m2\ng2:m3\n",
		"nested":   "x1\nx2\ny1\ny2\n",
		"together": "x1\ny\n", // None renders empty, as in Ansible
		"inc":      "u1 0 1/2\nsecond u1\nu2 1 2/2\nsecond u2\n",
	} {
		got, _ := os.ReadFile(filepath.Join(root, file))
		if string(got) != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	var labels []string
	for _, res := range rec.results {
		if res.Task == "seq" && res.Host == f.healthy[0] {
			labels = append(labels, res.Item.(string))
		}
	}
	if strings.Join(labels, ",") != "Ln01,Ln02,Ln03" {
		t.Errorf("labels %v", labels)
	}
	if got := strings.Join(rec.tasks[len(rec.tasks)-4:], "|"); got != "inc u1|shell|inc u2|shell" {
		t.Errorf("include loop banners %q", got)
	}
}
