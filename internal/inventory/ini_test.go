package inventory

import (
	"reflect"
	"strings"
	"testing"
)

func TestINIParse(t *testing.T) {
	inv := mustParse(t, "h.ini", `# a comment
; another
top1 ansible_host=10.0.0.1
[web]
web[01:02] http_port=80 maxRequestsPerChild=808 ratio=0.5 on=true off=False
web03:2222   note="two words" q='x y' # trailing comment
esc a\ b=1 "c=d e"
[db:hosts]
db1 list="[1, 'a']" dict="{'k': 'v', 1: None}" ip=10.0.0.2 mode=0755 neg=-3
[db:vars]
ansible_user = admin
greeting="hello world"
spaced = a value # kept, as Ansible keeps it
num=42 # a Python comment
[app:children]
web
db   # comment
[app:vars]
tier=front
`)
	if got, want := inv.Hosts(), []string{"top1", "web01", "web02", "web03", "esc", "db1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("hosts = %v, want %v", got, want)
	}
	tests := []struct {
		host, key string
		want      any
	}{
		{"top1", "ansible_host", "10.0.0.1"},
		{"web01", "http_port", 80},
		{"web02", "maxRequestsPerChild", 808},
		{"web01", "ratio", 0.5},
		{"web01", "on", "true"}, // literal_eval: a string, as ansible-inventory 2.14
		{"web01", "off", false},
		{"web03", "ansible_port", 2222},
		{"web03", "note", "two words"},
		{"web03", "q", "x y"},
		{"esc", "a b", 1},
		{"esc", "c", "d e"},
		{"db1", "list", []any{1, "a"}},
		{"db1", "dict", map[string]any{"k": "v", "1": nil}},
		{"db1", "ip", "10.0.0.2"},
		{"db1", "mode", "0755"},
		{"db1", "neg", -3},
		{"db1", "ansible_user", "admin"},
		{"db1", "greeting", "hello world"},
		{"db1", "spaced", "a value # kept, as Ansible keeps it"},
		{"db1", "num", 42},
		{"web01", "tier", "front"},
	}
	for _, tt := range tests {
		if got := inv.HostVars(tt.host)[tt.key]; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s = %#v, want %#v", tt.host, tt.key, got, tt.want)
		}
	}
	if got := inv.Group("app").Children; !reflect.DeepEqual(got, []string{"web", "db"}) {
		t.Errorf("app children = %v", got)
	}
	if got := inv.Group("ungrouped").Hosts; !reflect.DeepEqual(got, []string{"top1"}) {
		t.Errorf("ungrouped = %v", got)
	}
}

func TestINIChildBeforeDefinition(t *testing.T) {
	inv := mustParse(t, "c.ini", "[lb:children]\nweb\n[web:vars]\nx=1\n[web]\nw1\n")
	if got := inv.Group("web").Parents; !reflect.DeepEqual(got, []string{"lb"}) {
		t.Errorf("web parents = %v", got)
	}
	if inv.HostVars("w1")["x"] != 1 {
		t.Errorf("x = %v", inv.HostVars("w1")["x"])
	}
}

func TestINIErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"bad header", "[web servers]\nh1\n[db]\nd1\n", []string{
			`e.ini:1:1: invalid section header "[web servers]": want [group], [group:vars] or [group:children], without spaces`}},
		{"unknown type", "  [web:hostz]\nh1\n", []string{`e.ini:1:3: section [web:hostz] has unknown type "hostz": want vars or children`}},
		{"not key=value", "[web]\nh1 a=1 oops b=2\n", []string{`e.ini:2:8: expected key=value host variable, got "oops"`}},
		{"empty key", "[web]\nh1 =1\n", []string{`e.ini:2:4: empty variable name in "=1"`}},
		{"unclosed quote", "[web]\nh1 a=\"x\n", []string{`e.ini:2:6: no closing quotation`}},
		{"bad var line", "[web]\nh1\n[web:vars]\n  novalue\n", []string{`e.ini:4:3: expected key=value, got "novalue"`}},
		{"bad child", "[web]\n[lb:children]\nweb extra\n", []string{`e.ini:3:1: expected a group name, got "web extra"`}},
		{"undefined child", "[lb:children]\nweb\n", []string{`e.ini:2:1: section [lb:children] includes undefined group "web"`}},
		{"undefined vars", "[web:vars]\nx=1\n", []string{`e.ini:1:1: section [web:vars] is for undefined group "web"`}},
		{"bad range", "[web]\nrs[5:1]\n", []string{`e.ini:2:1: host "rs[5:1]": range [5:1] must have begin <= end`}},
		{"bad port", "[web]\nh1:99999\n", []string{`e.ini:2:1: invalid port "99999" in host "h1:99999"`}},
		{"bad priority", "[web]\n[web:vars]\nansible_group_priority=x\n", []string{
			`e.ini:3:1: ansible_group_priority of group "web" must be an integer, not x`}},
		{"bad utf-8", "[web]\nab\xffc\n", []string{`e.ini:2:3: invalid UTF-8`}},
		{"too many hosts", "[web]\nrs[0:65535]\nxs[0:65535]\nys[0:9]\n", []string{
			`e.ini:3:1: inventory has more than 100000 hosts or 2000000 group memberships`}},
		{"collects all", "[web]\nh1 oops\n[db:vars]\nnovalue\n[x:y]\n[lb:children]\nnope\n", []string{
			`e.ini:2:4: expected key=value host variable, got "oops"`,
			`e.ini:4:1: expected key=value, got "novalue"`,
			`e.ini:5:1: section [x:y] has unknown type "y": want vars or children`,
			`e.ini:3:1: section [db:vars] is for undefined group "db"`,
			`e.ini:7:1: section [lb:children] includes undefined group "nope"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErrors(t, "e.ini", tt.src); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestShlexSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []token
	}{
		{"a b", []token{{"a", 1}, {"b", 3}}},
		{`  x="a b"c 'd e'`, []token{{"x=a bc", 3}, {"d e", 12}}},
		{`a\ b c#d e`, []token{{"a b", 1}, {"c", 6}}},
		{`"a\"b\\c\d"`, []token{{`a"b\c\d`, 1}}},
		{`"" x`, []token{{"", 1}, {"x", 4}}},
		{"# all comment", nil},
	}
	for _, tt := range tests {
		got, err := shlexSplit(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("shlexSplit(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`a "b`, `a 'b`, `a\`} {
		if _, err := shlexSplit(bad); err == nil {
			t.Errorf("shlexSplit(%q): no error", bad)
		}
	}
}

func TestParseLiteral(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"42", 42},
		{"-7", -7},
		{"+7", 7},
		{"0", 0},
		{"00", 0},
		{"0755", "0755"},
		{"1.5", 1.5},
		{".5", 0.5},
		{"1e3", 1000.0},
		{"1.2.3", "1.2.3"},
		{"10.0.0.1", "10.0.0.1"},
		{"True", true},
		{"false", "false"}, // not Python: a string
		{"None", nil},
		{"none", "none"},
		{"yes", "yes"},
		{"'quoted'", "quoted"},
		{`"a\tb\x41\u00e9"`, "a\tbAé"},
		{`'a' "b"`, "ab"},
		{"[1, 'two', [3]]", []any{1, "two", []any{3}}},
		{"[]", []any{}},
		{"(1, 2)", []any{1, 2}},
		{"(1,)", []any{1}},
		{"(1)", 1},
		{"{'a': 1, 'b': [True]}", map[string]any{"a": 1, "b": []any{true}}},
		{"{1, 2}", "{1, 2}"},
		{"[1, 2", "[1, 2"},
		{"1 # comment", 1},
		{"abc", "abc"},
		{"", ""},
		{"99999999999999999999999", "99999999999999999999999"},
		{"1_000", 1000}, // Python 3.6+, as ansible-inventory,
		{"/app/website1", "/app/website1"},
	}
	for _, tt := range tests {
		if got := parseLiteral(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseLiteral(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}
