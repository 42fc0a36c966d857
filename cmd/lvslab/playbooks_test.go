package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"lvslab/internal/facts"
	"lvslab/internal/golden"
	"lvslab/internal/inventory"
	"lvslab/internal/lvs"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/tmpl"
)

// root is the project directory, from cmd/lvslab.
const root = "../.."

// lintInventories are the inventories every shipped playbook must lint
// against: the examples (when present) and a lab-like one.
func lintInventories(t *testing.T) []string {
	invs := []string{"testdata/lab-inventory.yml"}
	for _, p := range []string{"inventory/nat.yml", "inventory/dr.yml", "inventory/nat.ini", "inventory/dr.ini"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			invs = append(invs, filepath.Join(root, p))
		} else {
			t.Logf("%s not present yet: not linted against", p)
		}
	}
	return invs
}

var shippedPlaybooks = []string{"site.yml", "lnmp.yml", "ssl.yml", "nat.yml", "dr.yml", "fwmark.yml", "down.yml"}

// TestLintPlaybooks runs `lvslab lint` on every shipped playbook, for every
// inventory, mode and ssl setting, in process.
func TestLintPlaybooks(t *testing.T) {
	for _, inv := range lintInventories(t) {
		for _, mode := range lvs.Modes {
			for _, ssl := range []string{"false", "true"} {
				args := []string{"lvslab", "lint", "-i", inv, "-e", "lvs_mode=" + mode, "-e", "ssl=" + ssl}
				for _, pb := range shippedPlaybooks {
					args = append(args, filepath.Join(root, "playbooks", pb))
				}
				if err := newApp().Run(args); err != nil {
					t.Errorf("lint %s mode=%s ssl=%s:\n%v", inv, mode, ssl, err)
				}
			}
		}
	}
}

// derivedVars returns host's variables as a play of the shipped playbooks
// sees them: the inventory, extra on top, then playbooks/vars/lvs.yml, then
// what tasks/lnmp-facts.yml sets on a Debian host.
func derivedVars(t *testing.T, invPath, host string, extra map[string]any) map[string]any {
	t.Helper()
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	vars := inv.HostVars(host)
	if vars == nil {
		t.Fatalf("no host %s in %s", host, invPath)
	}
	for k, v := range extra {
		vars[k] = v
	}
	derived, err := playbook.LoadVarsFile(filepath.Join(root, "playbooks/vars/lvs.yml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for k, v := range derived {
		r, err := tmpl.RenderValue("vars/lvs.yml "+k, v, vars)
		if err != nil {
			t.Fatalf("vars/lvs.yml %s: %v", k, err)
		}
		out[k] = r
	}
	for k, v := range out {
		vars[k] = v
	}
	for k, v := range facts.Vars(map[string]any{"os_family": "Debian", "distribution_major_version": "12",
		"addresses":          map[string]any{"eth0": []any{"172.17.1.6/16"}, "eth1": []any{"192.168.30.106/24"}, "eth2": []any{"10.254.0.6/24"}},
		"all_ipv4_addresses": []any{"172.17.1.6", "192.168.30.106", "10.254.0.6"},
		"default_ipv4":       map[string]any{"interface": "eth0"}}) {
		vars[k] = v
	}
	hostvars := map[string]any{}
	for _, h := range inv.Hosts() {
		hostvars[h] = inv.HostVars(h)
	}
	vars["hostvars"] = hostvars
	for k, v := range setFacts(t, "tasks/lnmp-facts.yml", vars) {
		vars[k] = v
	}
	return vars
}

// setFacts renders the set_fact tasks of a task file over vars, one after
// the other, each seeing (in vars) what the earlier ones set.
func setFacts(t *testing.T, file string, vars map[string]any) map[string]any {
	t.Helper()
	tasks, err := playbook.LoadTasks(filepath.Join(root, file), module.Default())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, task := range tasks {
		if task.Module != "set_fact" {
			continue
		}
		n, err := tmpl.RenderNode(task.File, task.Args, vars)
		if err != nil {
			t.Fatalf("%s: %v", task.Pos, err)
		}
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			out[k], vars[k] = v, v
		}
	}
	return out
}

func renderTemplate(t *testing.T, name string, vars map[string]any) []byte {
	t.Helper()
	p := filepath.Join(root, "templates", name)
	text, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tmpl.Render(p, string(text), vars)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

// TestTemplatesGolden renders the templates for rs01 of the lab-like
// inventory, with and without ssl.
func TestTemplatesGolden(t *testing.T) {
	inv := "testdata/lab-inventory.yml"
	for _, ssl := range []bool{false, true} {
		vars := derivedVars(t, inv, "rs01", map[string]any{"ssl": ssl})
		golden.Check(t, filepath.Join("testdata", fmt.Sprintf("nginx-lvslab-ssl-%v.conf.golden", ssl)), renderTemplate(t, "nginx-lvslab.conf.j2", vars))
	}
	vars := derivedVars(t, inv, "rs01", nil)
	vars["site"] = map[string]any{"name": "www.along.com", "root": "/app/website1"}
	var all bytes.Buffer
	for _, n := range []string{"test.html.j2", "site-index.html.j2", "lnmp.php.j2", "nginx-validate.sh.j2"} {
		fmt.Fprintf(&all, "==> %s <==\n%s\n", n, renderTemplate(t, n, vars))
	}
	golden.Check(t, filepath.Join("testdata", "pages.golden"), all.Bytes())
}

// TestRealServerList renders the set_fact that builds the ipvs module's
// realservers and decodes it into the module, as the director's tasks do.
func TestRealServerList(t *testing.T) {
	for _, fwd := range []string{"nat", "dr"} {
		vars := derivedVars(t, "testdata/lab-inventory.yml", "lvs-server", nil)
		vars["lvs_forwarding"] = fwd
		facts := setFacts(t, "tasks/ipvs-realservers.yml", vars)
		js, _ := facts["lvs_realservers_json"].(string)
		want := fmt.Sprintf(`[{"address": "192.168.30.107", "forwarding": %q, "weight": 3}, {"address": "192.168.30.7", "forwarding": %q, "weight": 1}]`, fwd, fwd)
		if js != want {
			t.Errorf("lvs_realservers_json:\n got %s\nwant %s", js, want)
		}
		vars["lvs_realservers_json"] = js
		args := map[string]any{"address": "{{ lvs_vip }}", "port": 80, "scheduler": "{{ lvs_scheduler }}", "realservers": "{{ lvs_realservers_json | from_json }}"}
		var node yaml.Node
		if err := node.Encode(args); err != nil {
			t.Fatal(err)
		}
		r, err := tmpl.RenderNode("ipvs", &node, vars)
		if err != nil {
			t.Fatal(err)
		}
		m, err := module.Default().New("ipvs", r)
		if err != nil {
			t.Fatalf("ipvs module refuses the list: %v", err)
		}
		got, _ := json.Marshal(m)
		if !strings.Contains(string(got), `"Scheduler":"wrr"`) {
			t.Errorf("module: %s", got)
		}
	}
}

// TestVIPDevice renders the director's choice of interface for the DR VIP.
func TestVIPDevice(t *testing.T) {
	vars := derivedVars(t, "testdata/lab-inventory.yml", "lvs-server", map[string]any{"lvs_mode": "dr"})
	f := setFacts(t, "tasks/director-vip-alias.yml", vars)
	if f["lvs_vip_device"] != "eth1" {
		t.Errorf("lvs_vip_device = %v, want eth1 (the interface holding dip)", f["lvs_vip_device"])
	}
	if vars["lvs_vip"] != "192.168.30.100" {
		t.Errorf("lvs_vip in dr = %v, want vip_dr", vars["lvs_vip"])
	}
	vars["vip_device"] = "eth9"
	if f := setFacts(t, "tasks/director-vip-alias.yml", vars); f["lvs_vip_device"] != "eth9" {
		t.Errorf("vip_device is not honoured: %v", f["lvs_vip_device"])
	}
}

// TestDerivedVarsMatchConfig checks that the Go side (lvs.NewConfig, used by
// verify and status) derives what playbooks/vars/lvs.yml derives.
func TestDerivedVarsMatchConfig(t *testing.T) {
	inv, err := inventory.Load("testdata/lab-inventory.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range lvs.Modes {
		for _, ssl := range []bool{false, true} {
			extra := map[string]any{"lvs_mode": mode, "ssl": ssl}
			vars := derivedVars(t, "testdata/lab-inventory.yml", "lvs-server", extra)
			cfg, err := lvs.NewConfig(inv, extra)
			if err != nil {
				t.Fatal(err)
			}
			ports := fmt.Sprint(vars["lvs_ports"])
			checks := [][2]string{
				{fmt.Sprint(vars["lvs_vip"]), cfg.VIP},
				{ports, fmt.Sprint(cfg.Ports)},
				{fmt.Sprint(vars["lvs_ssl"]), fmt.Sprint(cfg.SSL)},
				{fmt.Sprint(vars["lvs_scheduler"]), cfg.Scheduler},
				{fmt.Sprint(vars["lvs_persistence"]), fmt.Sprint(cfg.Persistence)},
				{fmt.Sprint(vars["lvs_fwmark"]), fmt.Sprint(cfg.FWMark)},
			}
			for _, c := range checks {
				if c[0] != c[1] {
					t.Errorf("mode %s ssl %v: playbooks derive %s, lvs.NewConfig %s", mode, ssl, c[0], c[1])
				}
			}
		}
	}
}
