package inventory

import (
	"reflect"
	"strings"
	"testing"
)

func TestYAMLParse(t *testing.T) {
	inv := mustParse(t, "y.yml", `
all:
  vars:
    n: 1
    f: 1.5
    b: true
    yes11: yes
    off11: Off
    quoted: "yes"
    s: text
    none:
    list: [1, two]
    map: {k: v}
    when: 2001-12-14
  hosts:
    solo:
  children:
    web:
      hosts:
        web[1:3]:
        db-[a:b].example.com: {role: db}
        odd[1:9:4]:
        port:2222:
        "[fe80::1]:2200":
`)
	v := inv.HostVars("solo")
	want := map[string]any{"n": 1, "f": 1.5, "b": true, "yes11": true, "off11": false, "quoted": "yes",
		"s": "text", "none": nil, "list": []any{1, "two"}, "map": map[string]any{"k": "v"}, "when": "2001-12-14"}
	for k, w := range want {
		if !reflect.DeepEqual(v[k], w) {
			t.Errorf("%s = %#v, want %#v", k, v[k], w)
		}
	}
	hosts := []string{"solo", "web1", "web2", "web3", "db-a.example.com", "db-b.example.com", "odd1", "odd5", "odd9", "port", "fe80::1"}
	if got := inv.Hosts(); !reflect.DeepEqual(got, hosts) {
		t.Errorf("hosts = %v, want %v", got, hosts)
	}
	if got := inv.HostVars("db-b.example.com")["role"]; got != "db" {
		t.Errorf("role = %v", got)
	}
	if got := inv.HostVars("port")["ansible_port"]; got != 2222 {
		t.Errorf("port = %#v", got)
	}
	if got := inv.HostVars("fe80::1")["ansible_port"]; got != 2200 {
		t.Errorf("v6 port = %#v", got)
	}
}

func TestYAMLMergeKeysAndAliases(t *testing.T) {
	inv := mustParse(t, "m.yml", `
all:
  vars:
    base: &base {user: root, port: 22}
  children:
    web:
      hosts:
        a: {<<: *base, port: 2200}
        b: *base
        c: {<<: [{x: 1}, {x: 2, y: 2}]}
`)
	if v := inv.HostVars("a"); v["user"] != "root" || v["port"] != 2200 {
		t.Errorf("a = %v", v)
	}
	if v := inv.HostVars("b"); v["port"] != 22 {
		t.Errorf("b = %v", v)
	}
	if v := inv.HostVars("c"); v["x"] != 1 || v["y"] != 2 {
		t.Errorf("c = %v", v)
	}
}

func TestYAMLSameGroupTwice(t *testing.T) {
	inv := mustParse(t, "t.yml", `
web: {hosts: {w1: {a: 1}}, vars: {g: 1}}
lb:
  children:
    web: {hosts: {w2: }, vars: {h: 2}}
    ungrouped:
`)
	web := inv.Group("web")
	if !reflect.DeepEqual(web.Hosts, []string{"w1", "w2"}) || web.Vars["g"] != 1 || web.Vars["h"] != 2 {
		t.Errorf("web = %+v", web)
	}
	if !reflect.DeepEqual(web.Parents, []string{"lb"}) {
		t.Errorf("web parents = %v", web.Parents)
	}
}

func TestYAMLEmpty(t *testing.T) {
	for _, src := range []string{"", "---\n", "~\n", "# just a comment\n"} {
		inv := mustParse(t, "e.yml", src)
		if len(inv.Hosts()) != 0 || !reflect.DeepEqual(inv.Groups(), []string{"all", "ungrouped"}) {
			t.Errorf("%q: hosts %v groups %v", src, inv.Hosts(), inv.Groups())
		}
	}
}

func TestYAMLErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"not a mapping", "- a\n- b\n", []string{`e.yml:1:1: inventory must be a mapping of group names to groups, not a list`}},
		{"unknown key", "all:\n  vars: {}\n  host:\n    h1:\n", []string{`e.yml:3:3: unknown key "host" in group "all": want hosts, vars or children`}},
		{"group not mapping", "web: [a, b]\n", []string{`e.yml:1:6: group "web" must be a mapping with hosts, vars or children, not a list`}},
		{"hosts list", "web:\n  hosts:\n    - h1\n", []string{`e.yml:3:5: hosts of group "web" must be a mapping, not a list`}},
		{"host vars scalar", "web:\n  hosts:\n    h1: 22\n", []string{`e.yml:3:9: variables of host "h1" must be a mapping, not the scalar "22"`}},
		{"vars list", "web:\n  vars: [a]\n", []string{`e.yml:2:9: vars of group "web" must be a mapping, not a list`}},
		{"children scalar", "web:\n  children: db\n", []string{`e.yml:2:13: children of group "web" must be a mapping, not the scalar "db"`}},
		{"duplicate host", "web:\n  hosts:\n    h1:\n    h1:\n", []string{`e.yml:4:5: duplicate key "h1" (first at line 3)`}},
		{"duplicate nested", "web:\n  vars:\n    m: {a: 1, a: 2}\n", []string{`e.yml:3:15: duplicate key "a" (first at line 3)`}},
		{"bad range", "web:\n  hosts:\n    rs[03:1]:\n    rs[1:2:0]:\n    rs[a:3]:\n    rs[01:3]:\n", []string{
			`e.yml:3:5: host "rs[03:1]": range [03:1] must have zero-padded begin and end of equal length`,
			`e.yml:4:5: host "rs[1:2:0]": range [1:2:0]: step must be a positive integer`,
			`e.yml:5:5: host "rs[a:3]": range [a:3] bounds must both be numbers or both single letters`,
			`e.yml:6:5: host "rs[01:3]": range [01:3] must have zero-padded begin and end of equal length`,
		}},
		{"bad group name", "\"web servers\":\n  hosts: {a: }\n", []string{`e.yml:1:1: invalid group name "web servers": no whitespace, ':', ',', '[' or ']', and no leading '!', '&' or '~'`}},
		{"priority", "web:\n  vars: {ansible_group_priority: high}\n", []string{`e.yml:2:34: ansible_group_priority of group "web" must be an integer, not high`}},
		{"syntax", "web:\n  hosts: {a: }\n bad\n", []string{`e.yml:3:1: did not find expected key`}},
		{"two documents", "web:\n---\ndb:\n", []string{`e.yml:2:1: a second YAML document; a file holds one`}},
		{"collects all", "web:\n  hostz: {}\n  hosts: [x]\ndb:\n  vars: 3\n  children:\n    web:\n      foo: 1\n", []string{
			`e.yml:2:3: unknown key "hostz" in group "web": want hosts, vars or children`,
			`e.yml:3:10: hosts of group "web" must be a mapping, not a list`,
			`e.yml:5:9: vars of group "db" must be a mapping, not the scalar "3"`,
			`e.yml:8:7: unknown key "foo" in group "web": want hosts, vars or children`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErrors(t, "e.yml", tt.src); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestYAMLAliasBomb(t *testing.T) {
	src := `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
`
	src = "all:\n  vars:\n" + indent(src, "    ") + "    h: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	errs := parseErrors(t, "bomb.yml", src)
	if len(errs) != 1 || !strings.Contains(errs[0], "expands to more than") {
		t.Errorf("errors = %v", errs)
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}
