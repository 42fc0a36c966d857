package playbook

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"lvslab/internal/module"
	"lvslab/internal/pos"
)

// argsOf is a task's arguments as Go values (nil for none, a string for a
// scalar).
func argsOf(t *testing.T, n *yaml.Node) any {
	t.Helper()
	if n == nil {
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOneTaskThreeWays: a task written as a mapping, as key=value words and
// with an FQCN (and both) is the same module with the same arguments.
func TestOneTaskThreeWays(t *testing.T) {
	p := write(t, t.TempDir(), "site.yml", `- hosts: web
  tasks:
    - service: {name: nginx, state: started, enabled: "yes"}
    - service: name=nginx state=started enabled=yes
    - ansible.builtin.service: {name: nginx, state: started, enabled: "yes"}
    - ansible.legacy.service: name=nginx state=started enabled=yes
    - service: state=started enabled=yes
      args: {name: nginx, state: stopped}
    - copy:
        src: a
        dest: /b c
        mode: "0644"
    - copy: src=a dest="/b c" mode=0644
    - ansible.builtin.copy: 'src=a dest="/b c" mode=0644'
    - ansible.posix.sysctl: name=net.ipv4.ip_forward value=1 sysctl_set=yes
    - sysctl: {name: net.ipv4.ip_forward, value: "1", sysctl_set: "yes"}
`)
	pb, err := Load(p, module.Default())
	if err != nil {
		t.Fatal(err)
	}
	tasks := pb.Plays[0].Tasks
	for _, g := range [][]int{{0, 1, 2, 3, 4}, {5, 6, 7}, {8, 9}} {
		first := tasks[g[0]]
		for _, i := range g[1:] {
			if tasks[i].Module != first.Module || !reflect.DeepEqual(argsOf(t, tasks[i].Args), argsOf(t, first.Args)) {
				t.Errorf("task %d: %s %v, want %s %v", i+1, tasks[i].Module, argsOf(t, tasks[i].Args), first.Module, argsOf(t, first.Args))
			}
		}
	}
	if tasks[3].Args.Content[2].Line != 6 || tasks[3].Args.Content[2].Column != 42 {
		t.Errorf("state=started of task 4 at %d:%d, want 6:42", tasks[3].Args.Content[2].Line, tasks[3].Args.Content[2].Column)
	}
}

// TestCommandFreeForm: the free form of command and shell is their
// command; options in it, anywhere, and args make it a mapping.
func TestCommandFreeForm(t *testing.T) {
	p := write(t, t.TempDir(), "site.yml", `- hosts: web
  tasks:
    - shell: sysctl -qw net.ipv4.ip_forward=0
    - command: ls -l chdir=/tmp creates=/x
    - ansible.builtin.shell: echo hi
      args:
        chdir: /srv
        executable: /bin/bash
    - command: echo a=b
      args: {cmd: ignored, chdir: /tmp}
    - debug: msg="hello world"
`)
	pb, err := Load(p, module.Default())
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		"sysctl -qw net.ipv4.ip_forward=0",
		map[string]any{"chdir": "/tmp", "creates": "/x", "cmd": "ls -l"},
		map[string]any{"chdir": "/srv", "executable": "/bin/bash", "cmd": "echo hi"},
		map[string]any{"chdir": "/tmp", "cmd": "echo a=b"},
		map[string]any{"msg": "hello world"},
	}
	for i, task := range pb.Plays[0].Tasks {
		if got := argsOf(t, task.Args); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("task %d: %#v, want %#v", i+1, got, want[i])
		}
	}
	if m := pb.Plays[0].Tasks[2].Module; m != "shell" {
		t.Errorf("module %q, want shell", m)
	}
}

// TestFreeFormAndModuleNameErrors: every problem, with its place.
func TestFreeFormAndModuleNameErrors(t *testing.T) {
	p := write(t, t.TempDir(), "bad.yml", `- hosts: web
  tasks:
    - copy: src=a stray dest=/b
    - service: name='nginx
    - community.general.ufw: rule=allow
    - ansible.builtin.servce: name=x
    - shell: echo
      args: chdir=/tmp
    - copy: src=a dst=/b
    - lineinfile: path=/etc/hosts line=x
      sevice: x
`)
	_, err := Load(p, module.Default())
	var errs pos.List
	if !errors.As(err, &errs) {
		t.Fatalf("got %v", err)
	}
	want := []string{
		`bad.yml:3:19: module copy: "stray" is no key=value argument (only command and shell take a free-form command)`,
		`bad.yml:4:16: module service: free-form arguments "name='nginx": unbalanced quotes`,
		`bad.yml:5:7: unknown module or task key "community.general.ufw": lvslab does not support a module of that name`,
		`bad.yml:6:7: unknown module or task key "ansible.builtin.servce": lvslab does not support a module of that name (close: service)`,
		`bad.yml:8:13: args must be a mapping, got the scalar "chdir=/tmp"`,
		`bad.yml:9:19: module copy: unknown key "dst"`,
		`bad.yml:11:7: unknown module or task key "sevice": lvslab does not support a module of that name (close: service)`,
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
