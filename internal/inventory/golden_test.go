package inventory

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// goldenCase is testdata/ansible/*/case.json; gen.py there writes
// golden.json beside it from ansible-core 2.14.
type goldenCase struct {
	Sources     []string `json:"sources"`
	PlaybookDir string   `json:"playbook_dir"`
}

type golden struct {
	List     map[string]json.RawMessage `json:"list"`
	Host     map[string]map[string]any  `json:"host"`
	Patterns map[string][]string        `json:"patterns"`
}

type goldenGroup struct {
	Hosts    []string `json:"hosts"`
	Children []string `json:"children"`
}

// magicVars are the variables HostVars adds that ansible-inventory does
// not print.
var magicVars = []string{"inventory_hostname", "inventory_hostname_short", "group_names", "groups", "inventory_file", "inventory_dir"}

// TestAnsibleGolden loads every case with Load (and ReadPlaybookVars) and
// compares it with what ansible-inventory --list and --host and ansible
// PATTERN --list-hosts said of it: the groups with their own hosts and
// children in order, the hosts each group and pattern selects in order,
// and every host's variables with their types.
func TestAnsibleGolden(t *testing.T) {
	cases, _ := filepath.Glob(filepath.Join("testdata", "ansible", "*", "case.json"))
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, f := range cases {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var c goldenCase
			var g golden
			readJSON(t, f, &c)
			readJSON(t, filepath.Join(dir, "golden.json"), &g)
			var srcs []string
			for _, s := range c.Sources {
				if p := filepath.Join(dir, s); fileExists(p) || !strings.Contains(s, ",") {
					s = p
				}
				srcs = append(srcs, s)
			}
			inv, err := Load(srcs...)
			if err != nil {
				t.Fatal(err)
			}
			if c.PlaybookDir != "" {
				if err := inv.ReadPlaybookVars(filepath.Join(dir, c.PlaybookDir)); err != nil {
					t.Fatal(err)
				}
			}
			compareGolden(t, inv, g)
		})
	}
}

func compareGolden(t *testing.T, inv *Inventory, g golden) {
	t.Helper()
	var names []string
	for name, raw := range g.List {
		if name == "_meta" {
			continue
		}
		names = append(names, name)
		var want goldenGroup
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		got := inv.Group(name)
		if got == nil {
			t.Errorf("group %s: missing", name)
			continue
		}
		if name != "all" && !equalList(got.Hosts, want.Hosts) {
			t.Errorf("group %s: hosts %v, ansible-inventory %v", name, got.Hosts, want.Hosts)
		}
		if !equalList(got.Children, want.Children) {
			t.Errorf("group %s: children %v, ansible-inventory %v", name, got.Children, want.Children)
		}
	}
	for _, name := range inv.Groups() {
		if !slices.Contains(names, name) && (len(inv.Group(name).Hosts) > 0 || len(inv.Group(name).Children) > 0) {
			t.Errorf("group %s: not in ansible-inventory --list", name)
		}
	}
	for p, want := range g.Patterns {
		got, err := inv.Match(p)
		if err != nil || !equalList(got, want) {
			t.Errorf("Match(%q) = %v, %v; ansible --list-hosts %v", p, got, err, want)
		}
	}
	var meta struct {
		Hostvars map[string]map[string]any `json:"hostvars"`
	}
	decodeNumbers(t, g.List["_meta"], &meta)
	for _, h := range inv.Hosts() {
		compareVars(t, "--list", h, inv.HostVars(h), meta.Hostvars[h])
	}
	for h, want := range g.Host {
		delete(want, "ansible_python_interpreter") // the controller's python: nothing to lvslab
		compareVars(t, "--host", h, inv.HostVars(h), want)
	}
}

// compareVars compares a host's variables, less the magic ones, with
// ansible-inventory's, numbers by their JSON spelling (1 is not 1.0).
func compareVars(t *testing.T, what, h string, got, want map[string]any) {
	t.Helper()
	if got == nil {
		t.Errorf("%s %s: no such host", what, h)
		return
	}
	for _, k := range magicVars {
		delete(got, k)
	}
	if want == nil {
		want = map[string]any{}
	}
	if g := pyJSON(got); !reflect.DeepEqual(g, normNumbers(want)) {
		t.Errorf("%s %s:\n got %v\nwant %v", what, h, g, normNumbers(want))
	}
}

// pyJSON gives v as Python's json module would print it, read back with
// numbers kept as their text.
func pyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = pyJSON(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = pyJSON(e)
		}
		return l
	case int:
		return json.Number(strconv.Itoa(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if math.Abs(x) < 1e16 {
			s = strconv.FormatFloat(x, 'f', -1, 64)
		}
		if !strings.ContainsAny(s, ".eEIN") {
			s += ".0"
		}
		return json.Number(s)
	}
	return v
}

// normNumbers drops a json.Number's needless spelling differences: none
// today, it returns v.
func normNumbers(v map[string]any) map[string]any { return v }

func decodeNumbers(t *testing.T, raw []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	decodeNumbers(t, data, v)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// equalList compares lists, nil and empty alike.
func equalList(a, b []string) bool { return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b) }
