package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
	"lvslab/internal/inventory"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
)

// captured records the variables each task of captureMod saw, per host, in
// task order.
type captured struct {
	mu   sync.Mutex
	vars map[string][]map[string]any
}

// captureMod records env.Vars; its argument is only there to be read (say
// hostvars to be given them).
type captureMod struct {
	Arg string `yaml:"arg"`
	c   *captured
}

func (m *captureMod) Apply(_ context.Context, _ host.Executor, env *module.Env) (module.Result, error) {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	m.c.vars[env.Host] = append(m.c.vars[env.Host], env.Vars)
	return module.Result{}, nil
}

// failOn fails on the host it names.
type failOn struct {
	Host string `yaml:"host"`
}

func (m *failOn) Apply(_ context.Context, _ host.Executor, env *module.Env) (module.Result, error) {
	return module.Result{Failed: env.Host == m.Host, Msg: "failed as asked"}, nil
}

const magicPlay = `- hosts: all
  tasks:
    - capture: {arg: first}
    - fail_on: {host: 10.9.8.7}
    - capture: {arg: hostvars}
`

// TestMagicVariablesOnRealSSHD runs a play on three sshd hosts from an
// inventory file and checks the variables its tasks see against what
// ansible-playbook 2.14 gives (group_names of an ungrouped host,
// inventory_hostname_short of an address, ansible_play_hosts once a host
// failed ...), and that gathered facts are there under Ansible's names.
func TestMagicVariablesOnRealSSHD(t *testing.T) {
	sshtest.Require(t)
	dir := t.TempDir()
	hostVars := map[string]any{}
	servers := map[string]*sshtest.Server{}
	for _, n := range []string{"rs01", "10.9.8.7", "rs02"} {
		servers[n] = sshtest.Start(t, sshtest.Options{})
		hostVars[n] = servers[n].Vars()
	}
	invDoc := map[string]any{"all": map[string]any{
		"hosts": map[string]any{"10.9.8.7": hostVars["10.9.8.7"]},
		"children": map[string]any{"lvs": map[string]any{"children": map[string]any{"web": map[string]any{
			"hosts": map[string]any{"rs01": hostVars["rs01"], "rs02": hostVars["rs02"]}}}}},
	}}
	b, _ := json.Marshal(invDoc)
	invPath := filepath.Join(dir, "inv.yml")
	pbPath := filepath.Join(dir, "play.yml")
	if err := os.WriteFile(invPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pbPath, []byte(magicPlay), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	c := &captured{vars: map[string][]map[string]any{}}
	reg := module.Default()
	reg.Register("capture", func() module.Module { return &captureMod{c: c} })
	reg.Register("fail_on", func() module.Module { return &failOn{} })
	pb, err := playbook.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Inventory: inv, Modules: reg, Reporter: &recorder{}, Diff: true, Forks: 3,
		SkipTags: []string{"nothing"}, Limit: "all", Version: "test",
		Connect: func(ctx context.Context, name string, _ map[string]any) (host.Executor, error) {
			return host.Dial(ctx, servers[name].SSHConfig())
		}}
	if err := Prepare([]*playbook.Playbook{pb}, opts); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	r := New(opts)
	if err := r.Run(context.Background(), []*playbook.Playbook{pb}); err != ErrHostsFailed {
		t.Fatalf("run: %v, want %v (10.9.8.7 fails)", err, ErrHostsFailed)
	}
	r.Close()

	absInv, _ := filepath.Abs(invPath)
	absDir, _ := filepath.Abs(dir)
	all := []any{"10.9.8.7", "rs01", "rs02"}
	want := map[string]any{
		"inventory_file": absInv, "inventory_dir": filepath.Dir(absInv), "playbook_dir": absDir,
		"groups": map[string]any{"all": all, "ungrouped": []any{"10.9.8.7"},
			"lvs": []any{"rs01", "rs02"}, "web": []any{"rs01", "rs02"}},
		"ansible_play_hosts_all": all, "ansible_play_hosts": all, "ansible_play_batch": all, "play_hosts": all,
		"ansible_play_name":  "all",
		"ansible_check_mode": false, "ansible_diff_mode": true, "ansible_forks": 3, "ansible_limit": "all",
		"ansible_run_tags": []any{"all"}, "ansible_skip_tags": []any{"nothing"},
		"ansible_version": map[string]any{"full": "2.14.0", "major": 2, "minor": 14, "revision": 0, "string": "lvslab test"},
	}
	perHost := map[string]map[string]any{
		"rs01":     {"inventory_hostname": "rs01", "inventory_hostname_short": "rs01", "group_names": []any{"lvs", "web"}},
		"10.9.8.7": {"inventory_hostname": "10.9.8.7", "inventory_hostname_short": "10.9.8.7", "group_names": []any{"ungrouped"}},
	}
	for h, extra := range perHost {
		if len(c.vars[h]) == 0 {
			t.Fatalf("%s: capture did not run", h)
		}
		got := c.vars[h][0]
		for k, w := range merge(want, extra) {
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("%s: %s = %#v, want %#v", h, k, got[k], w)
			}
		}
		if o, _ := got["omit"].(string); !strings.HasPrefix(o, "__omit_place_holder__") || len(o) != len("__omit_place_holder__")+40 {
			t.Errorf("%s: omit = %q", h, o)
		}
		checkFactVars(t, h, got)
	}

	// After 10.9.8.7 failed: out of ansible_play_hosts, still in _all.
	if n := len(c.vars["10.9.8.7"]); n != 1 {
		t.Errorf("10.9.8.7 ran capture %d times after failing", n)
	}
	later := c.vars["rs01"][len(c.vars["rs01"])-1]
	for k, w := range map[string]any{"ansible_play_hosts": []any{"rs01", "rs02"}, "ansible_play_batch": []any{"rs01", "rs02"},
		"play_hosts": []any{"rs01", "rs02"}, "ansible_play_hosts_all": all} {
		if !reflect.DeepEqual(later[k], w) {
			t.Errorf("after a failure: %s = %#v, want %#v", k, later[k], w)
		}
	}
	hv, _ := later["hostvars"].(map[string]any)
	rs02, _ := hv["rs02"].(map[string]any)
	if rs02 == nil {
		t.Fatalf("hostvars has no rs02: %v", later["hostvars"])
	}
	checkFactVars(t, "hostvars rs02", rs02)
	for k, w := range map[string]any{"inventory_hostname": "rs02", "group_names": []any{"lvs", "web"}, "ansible_check_mode": false} {
		if !reflect.DeepEqual(rs02[k], w) {
			t.Errorf("hostvars rs02: %s = %#v, want %#v", k, rs02[k], w)
		}
	}
}

// checkFactVars checks that gathered facts are in vars as Ansible injects
// them: ansible_facts and facts the same map, ansible_NAME for its facts
// and for each interface.
func checkFactVars(t *testing.T, who string, vars map[string]any) {
	t.Helper()
	af, _ := vars["ansible_facts"].(map[string]any)
	if len(af) == 0 {
		t.Errorf("%s: no ansible_facts", who)
		return
	}
	if f, _ := vars["facts"].(map[string]any); reflect.ValueOf(f).Pointer() != reflect.ValueOf(af).Pointer() {
		t.Errorf("%s: facts is not ansible_facts", who)
	}
	for _, k := range []string{"os_family", "distribution", "hostname", "kernel", "pkg_mgr", "service_mgr", "default_ipv4", "memtotal_mb", "processor_vcpus"} {
		if _, ok := af[k]; !ok {
			t.Errorf("%s: ansible_facts has no %s", who, k)
		}
		if !reflect.DeepEqual(vars["ansible_"+k], af[k]) {
			t.Errorf("%s: ansible_%s = %#v, ansible_facts.%s = %#v", who, k, vars["ansible_"+k], k, af[k])
		}
	}
	ifs, _ := af["interfaces"].([]any)
	if len(ifs) == 0 {
		t.Errorf("%s: no interfaces", who)
	}
	for _, i := range ifs {
		name := "ansible_" + strings.ReplaceAll(i.(string), "-", "_")
		if m, _ := vars[name].(map[string]any); m == nil {
			t.Errorf("%s: no %s", who, name)
		}
	}
	if _, ok := vars["ansible_addresses"]; ok {
		t.Errorf("%s: lvslab's own addresses fact is ansible_addresses", who)
	}
}

func TestDropOmitted(t *testing.T) {
	const omit = "__omit_place_holder__x"
	var n yaml.Node
	src := "path: /a\nmode: " + omit + "\nopts:\n  a: " + omit + "\n  b: 1\nlist:\n  - " + omit + "\n  - {c: " + omit + ", d: 2}\n"
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	before, _ := yaml.Marshal(&n)
	got := dropOmitted(n.Content[0], omit)
	var m map[string]any
	if err := got.Decode(&m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"path": "/a", "opts": map[string]any{"b": 1}, "list": []any{omit, map[string]any{"d": 2}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("dropOmitted = %#v, want %#v", m, want)
	}
	if after, _ := yaml.Marshal(&n); string(after) != string(before) {
		t.Errorf("dropOmitted changed its argument:\n%s", after)
	}
}
