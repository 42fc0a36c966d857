package inventory

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"lvslab/internal/pos"
)

// mustParse parses an inventory or fails the test.
func mustParse(t *testing.T, name, src string) *Inventory {
	t.Helper()
	inv, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return inv
}

// parseErrors parses an inventory that must fail and returns its errors as
// "file:line:col: msg" lines.
func parseErrors(t *testing.T, name, src string) []string {
	t.Helper()
	_, err := Parse(name, []byte(src))
	if err == nil {
		t.Fatalf("parse %s: no error", name)
	}
	var es pos.List
	if !errors.As(err, &es) {
		t.Fatalf("parse %s: error %T is not Errors: %v", name, err, err)
	}
	var out []string
	for _, e := range es {
		var pe *pos.Error
		if !errors.As(e, &pe) {
			t.Fatalf("error %T is not a *pos.Error: %v", e, e)
		}
		out = append(out, pe.Error())
	}
	return out
}

const precedenceYAML = `
all:
  vars: {v_all: all, v_parent: all, v_child: all, v_host: all, v_same: all}
  children:
    parent:
      vars: {v_parent: parent, v_child: parent, v_host: parent, v_same: parent}
      children:
        child:
          vars: {v_child: child, v_host: child}
          hosts:
            h1: {v_host: host}
            h2:
    bbb:
      vars: {v_same: bbb}
      hosts: {h1: }
    aaa:
      vars: {v_same: aaa}
      hosts: {h1: }
`

func TestPrecedence(t *testing.T) {
	inv := mustParse(t, "p.yml", precedenceYAML)
	got := inv.HostVars("h1")
	want := map[string]any{
		"v_all":    "all",
		"v_parent": "parent",
		"v_child":  "child",
		"v_host":   "host",
		"v_same":   "parent", // parent (depth 1, "parent") beats aaa and bbb (depth 1, earlier names)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("h1 %s = %v, want %v", k, got[k], v)
		}
	}
	if v := inv.HostVars("h2")["v_host"]; v != "child" {
		t.Errorf("h2 v_host = %v, want child", v)
	}
}

func TestPrecedenceSameDepthByName(t *testing.T) {
	inv := mustParse(t, "p.ini", `
[zeta]
h1
[alpha]
h1
[zeta:vars]
x=zeta
[alpha:vars]
x=alpha
`)
	if v := inv.HostVars("h1")["x"]; v != "zeta" {
		t.Errorf("x = %v, want zeta (same depth: later name wins)", v)
	}
}

func TestGroupPriority(t *testing.T) {
	inv := mustParse(t, "p.yml", `
zeta: {hosts: {h1: }, vars: {x: zeta, ansible_group_priority: 1}}
alpha: {hosts: {h1: }, vars: {x: alpha, ansible_group_priority: 10}}
`)
	if v := inv.HostVars("h1")["x"]; v != "alpha" {
		t.Errorf("x = %v, want alpha (higher priority wins)", v)
	}
	if g := inv.Group("alpha"); g.Priority != 10 || g.Vars["ansible_group_priority"] != nil {
		t.Errorf("alpha group = %+v", g)
	}
}

func TestMagicVars(t *testing.T) {
	inv := mustParse(t, "m.yml", `
all:
  hosts:
    lone.example.com:
  children:
    lb:
      children:
        web:
          hosts: {web1.example.com: , web2: }
    db:
      hosts: {web2: }
`)
	v := inv.HostVars("web2")
	if v["inventory_hostname"] != "web2" || v["inventory_hostname_short"] != "web2" {
		t.Errorf("names: %v %v", v["inventory_hostname"], v["inventory_hostname_short"])
	}
	if got := inv.HostVars("web1.example.com")["inventory_hostname_short"]; got != "web1" {
		t.Errorf("short = %v", got)
	}
	if got, want := v["group_names"], []any{"db", "lb", "web"}; !reflect.DeepEqual(got, want) {
		t.Errorf("group_names = %v, want %v", got, want)
	}
	if got := inv.HostVars("lone.example.com")["group_names"]; !reflect.DeepEqual(got, []any{}) {
		t.Errorf("ungrouped group_names = %#v", got)
	}
	groups := v["groups"].(map[string]any)
	want := map[string]any{
		"all":       []any{"lone.example.com", "web2", "web1.example.com"}, // db before lb's child web, as ansible --list-hosts
		"ungrouped": []any{"lone.example.com"},
		"lb":        []any{"web1.example.com", "web2"},
		"web":       []any{"web1.example.com", "web2"},
		"db":        []any{"web2"},
	}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("groups = %v, want %v", groups, want)
	}
	if v["inventory_file"] != "m.yml" || v["inventory_dir"] != "." {
		t.Errorf("inventory_file %v, inventory_dir %v", v["inventory_file"], v["inventory_dir"])
	}
	if inv.HostVars("nope") != nil {
		t.Error("HostVars of an unknown host is not nil")
	}
}

func TestHostVarsIsDeepCopy(t *testing.T) {
	inv := mustParse(t, "c.yml", `
all:
  vars: {sites: [{name: a}], m: {k: v}}
  hosts: {h: }
`)
	v := inv.HostVars("h")
	v["sites"].([]any)[0].(map[string]any)["name"] = "changed"
	v["m"].(map[string]any)["k"] = "changed"
	v["groups"].(map[string]any)["all"].([]any)[0] = "changed"
	v["group_names"] = nil
	again := inv.HostVars("h")
	if again["sites"].([]any)[0].(map[string]any)["name"] != "a" || again["m"].(map[string]any)["k"] != "v" {
		t.Errorf("inventory changed through HostVars: %v", again)
	}
	if again["groups"].(map[string]any)["all"].([]any)[0] != "h" {
		t.Error("groups changed through HostVars")
	}
	g := inv.Group("all")
	g.Vars["m"].(map[string]any)["k"] = "changed"
	g.Hosts[0] = "changed"
	if inv.Group("all").Vars["m"].(map[string]any)["k"] != "v" || inv.Hosts()[0] != "h" {
		t.Error("inventory changed through Group")
	}
}

func TestOrderAndGroups(t *testing.T) {
	inv := mustParse(t, "o.ini", `
zz0
[web]
web2
web1
[db]
db1
web1
[app:children]
web
db
`)
	if got, want := inv.Hosts(), []string{"zz0", "web2", "web1", "db1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Hosts = %v, want %v", got, want)
	}
	if got, want := inv.Groups(), []string{"all", "ungrouped", "web", "db", "app"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Groups = %v, want %v", got, want)
	}
	web := inv.Group("web")
	if !reflect.DeepEqual(web.Parents, []string{"app"}) || web.Depth != 2 || !reflect.DeepEqual(web.Hosts, []string{"web2", "web1"}) {
		t.Errorf("web = %+v", web)
	}
	app := inv.Group("app")
	if !reflect.DeepEqual(app.Children, []string{"web", "db"}) || !reflect.DeepEqual(app.Parents, []string{"all"}) || app.Depth != 1 {
		t.Errorf("app = %+v", app)
	}
	if got := inv.Group("all").Children; !reflect.DeepEqual(got, []string{"ungrouped", "app"}) {
		t.Errorf("all children = %v", got)
	}
	if got := inv.Group("ungrouped").Hosts; !reflect.DeepEqual(got, []string{"zz0"}) {
		t.Errorf("ungrouped = %v", got)
	}
	if inv.Group("nope") != nil || !inv.HasHost("db1") || inv.HasHost("db2") {
		t.Error("Group/HasHost")
	}
}

func TestUngroupedCleared(t *testing.T) {
	// A host listed before any section and again in a group is not ungrouped.
	inv := mustParse(t, "u.ini", "h1\nh2\n[web]\nh1\n")
	if got := inv.Group("ungrouped").Hosts; !reflect.DeepEqual(got, []string{"h2"}) {
		t.Errorf("ungrouped = %v", got)
	}
	inv = mustParse(t, "u.yml", "all: {hosts: {h1: }}\nungrouped: {hosts: {h2: }}\nweb: {hosts: {h2: }}\n")
	if got := inv.Group("ungrouped").Hosts; !reflect.DeepEqual(got, []string{"h1"}) {
		t.Errorf("ungrouped = %v", got)
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            []string
	}{
		{"yaml self", "c.yml", "a:\n  children:\n    a:\n", []string{"c.yml:3:5: group cycle: a -> a"}},
		{"yaml two", "c.yml", "a:\n  children:\n    b:\n      children:\n        a:\n",
			[]string{"c.yml:5:9: group cycle: a -> b -> a"}},
		{"ini three", "c.ini", "[a:children]\nb\n[b:children]\nc\n[c:children]\na\n[a]\n[b]\n[c]\n",
			[]string{"c.ini:6:1: group cycle: a -> b -> c -> a"}},
		{"all as child", "c.ini", "[a:children]\nall\n[a]\n", []string{"c.ini:2:1: group all cannot be a child of group \"a\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErrors(t, tt.file, tt.src); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestConcurrentReads(t *testing.T) {
	inv := mustParse(t, "p.yml", precedenceYAML)
	done := make(chan struct{})
	for i := 0; i < 8; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 50; j++ {
				v := inv.HostVars("h1")
				v["v_all"] = j
				if _, err := inv.Match("parent:!aaa:&*"); err != nil {
					t.Error(err)
				}
				_ = inv.Group("child")
			}
		}()
	}
	for i := 0; i < 8; i++ {
		<-done
	}
}
