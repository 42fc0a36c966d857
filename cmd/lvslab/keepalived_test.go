package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/golden"
	"lvslab/internal/lvs"
	"lvslab/internal/playbook"
	"lvslab/internal/tmpl"
)

// haVars returns a director's variables as tasks/director-ha.yml sees them
// when it renders templates/keepalived.conf.j2: the --ha inventory, extra
// on top, vars/lvs.yml and vars/ha.yml, Debian facts, then the task file's
// set_facts in order, for every director (hostvars carry each one's
// lvs_ha_src, as they do once the set_fact ran on every host of the play).
func haVars(t *testing.T, host string, extra map[string]any) map[string]any {
	t.Helper()
	inv := "testdata/ha-inventory.yml"
	all := map[string]map[string]any{}
	for _, d := range []string{"lvs-server", "lvs-server2"} {
		vars := derivedVars(t, inv, d, extra)
		ha, err := playbook.LoadVarsFile(filepath.Join(root, "playbooks/vars/ha.yml"))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range ha {
			r, err := tmpl.RenderValue("vars/ha.yml "+k, v, vars)
			if err != nil {
				t.Fatalf("vars/ha.yml %s: %v", k, err)
			}
			vars[k] = r
		}
		// Each director's own address on the VRRP interface.
		own := map[string]string{"lvs-server": "172.17.1.7", "lvs-server2": "172.17.1.5"}[d]
		vars["facts"].(map[string]any)["addresses"] = map[string]any{"eth0": []any{own + "/16"}, "eth1": []any{"192.168.30.10" + own[len(own)-1:] + "/24"}, "eth2": []any{"10.254.0.6/24"}}
		for k, v := range setFacts(t, "tasks/director-ha.yml", vars) {
			vars[k] = v
		}
		all[d] = vars
	}
	hostvars := all[host]["hostvars"].(map[string]any)
	for d, vars := range all {
		hv := hostvars[d].(map[string]any)
		hv["lvs_ha_src"] = vars["lvs_ha_src"]
	}
	return all[host]
}

// TestHADevices checks the interfaces director-ha.yml picks: the VIP's
// (public in NAT, the real servers' segment otherwise), the DIP's, and the
// director's own VRRP address.
func TestHADevices(t *testing.T) {
	for _, c := range []struct{ mode, vip, dip, src string }{
		{"nat", "eth0", "eth1", "172.17.1.7"}, {"dr", "eth1", "eth1", "192.168.30.107"}, {"tun", "eth1", "eth1", "192.168.30.107"},
	} {
		v := haVars(t, "lvs-server", map[string]any{"lvs_mode": c.mode})
		if v["lvs_ha_vip_device"] != c.vip || v["lvs_ha_dip_device"] != c.dip || v["lvs_ha_src"] != c.src {
			t.Errorf("%s: vip device %v, dip device %v, vrrp address %v; want %s %s %s", c.mode, v["lvs_ha_vip_device"], v["lvs_ha_dip_device"], v["lvs_ha_src"], c.vip, c.dip, c.src)
		}
	}
}

// haCases are the keepalived configurations the tests render: every mode,
// and the options of vars/ha.yml.
var haCases = []struct {
	name  string
	extra map[string]any
}{
	{"nat", map[string]any{"lvs_mode": "nat"}},
	{"dr", map[string]any{"lvs_mode": "dr"}},
	{"fwmark", map[string]any{"lvs_mode": "fwmark", "vip_ports": []any{80, 443}}},
	{"tun", map[string]any{"lvs_mode": "tun", "ssl": false}},
	{"options", map[string]any{"lvs_mode": "dr", "lvs_nopreempt": true, "lvs_vrrp_unicast": true, "lvs_health_check": "tcp",
		"lvs_sorry_server": "192.168.30.254 80", "lvs_inhibit_on_failure": true, "lvs_quorum": 2, "lvs_sync_daemon": false,
		"lvs_check_interval": 5, "lvs_check_retries": 4, "persistence_timeout": 60, "scheduler": "wlc"}},
	{"digest", map[string]any{"lvs_mode": "nat", "lvs_check_digest": "9b3a0c85a887a256d6939da88aabd8cd", "lvs_vrrp_unicast": true, "ssl": false}},
}

func renderKeepalived(t *testing.T, host string, extra map[string]any, override map[string]any) []byte {
	t.Helper()
	vars := haVars(t, host, extra)
	for k, v := range override {
		vars[k] = v
	}
	return renderTemplate(t, "keepalived.conf.j2", vars)
}

// TestKeepalivedGolden renders templates/keepalived.conf.j2 for both
// directors of the --ha inventory in every mode and with the options.
func TestKeepalivedGolden(t *testing.T) {
	for _, c := range haCases {
		var all bytes.Buffer
		for _, d := range []string{"lvs-server", "lvs-server2"} {
			fmt.Fprintf(&all, "==> %s <==\n%s\n", d, renderKeepalived(t, d, c.extra, nil))
		}
		golden.Check(t, filepath.Join("testdata", "keepalived-"+c.name+".conf.golden"), all.Bytes())
	}
	nat := string(renderKeepalived(t, "lvs-server", haCases[0].extra, nil))
	for _, want := range []string{"state MASTER", "priority 150", "vrrp_sync_group VG_LVSLAB", "192.168.30.106/24 dev eth1 label eth1:1",
		"lb_kind NAT", "real_server 192.168.30.107 80", "weight 3", "HTTP_GET", "SSL_GET", "virtualhost www.along.com", "lvs_sync_daemon eth0 VI_LVSLAB"} {
		if !strings.Contains(nat, want) {
			t.Errorf("nat configuration lacks %q", want)
		}
	}
	if b := string(renderKeepalived(t, "lvs-server2", haCases[0].extra, nil)); !strings.Contains(b, "state BACKUP") || !strings.Contains(b, "priority 140") {
		t.Errorf("the second director is not BACKUP at 140")
	}
	// 443 served without ssl (the lab's vip_ports [80, 443], --ssl=false):
	// no HTTPS to ask, but a real server that stops listening must still
	// leave that service.
	plain := string(renderKeepalived(t, "lvs-server", map[string]any{"lvs_mode": "dr", "vip_ports": []any{80, 443}, "ssl": false}, nil))
	if i := strings.Index(plain, "virtual_server 192.168.30.100 443"); i < 0 || !strings.Contains(plain[i:], "TCP_CHECK {\n            connect_port 443") || strings.Contains(plain, "SSL_GET") {
		t.Errorf("443 without ssl is not checked by a connection:\n%s", plain)
	}
	prio := string(renderKeepalived(t, "lvs-server2", haCases[0].extra, map[string]any{"lvs_ha_priorities": []any{100, 200}}))
	if !strings.Contains(prio, "state MASTER") {
		t.Errorf("the director of the highest lvs_priority is not MASTER")
	}
}

// localInterface is an interface of this machine, for keepalived -t,
// which refuses a configuration naming an interface that does not exist.
func localInterface(t *testing.T) string {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 && i.Flags&net.FlagUp != 0 {
			return i.Name
		}
	}
	return "lo"
}

// TestKeepalivedAcceptsTheConfiguration runs keepalived's own check
// (`keepalived -t -f FILE`, the validate of director-ha.yml) on every
// rendered configuration and scheduler, with this machine's interface in
// place of the lab's. Skipped without keepalived (scripts/setup installs
// it).
func TestKeepalivedAcceptsTheConfiguration(t *testing.T) {
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived is not installed (scripts/setup installs it): its -t check is not run")
	}
	dev := localInterface(t)
	devs := map[string]any{"lvs_ha_vip_device": dev, "lvs_ha_dip_device": dev, "lvs_ha_vrrp_device": dev}
	check := func(name string, conf []byte) {
		p := filepath.Join(t.TempDir(), "keepalived.conf")
		if err := os.WriteFile(p, conf, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-t", "-f", p).CombinedOutput()
		if err != nil {
			t.Errorf("%s: keepalived -t -f: %v\n%s\n%s", name, err, out, conf)
		}
	}
	for _, c := range haCases {
		for _, d := range []string{"lvs-server", "lvs-server2"} {
			check(c.name+" "+d, renderKeepalived(t, d, c.extra, devs))
		}
	}
	for _, s := range lvs.Schedulers {
		check("scheduler "+s, renderKeepalived(t, "lvs-server", map[string]any{"lvs_mode": "dr", "scheduler": s}, devs))
		check("fwmark scheduler "+s, renderKeepalived(t, "lvs-server", map[string]any{"lvs_mode": "fwmark", "fwmark_scheduler": s}, devs))
	}
	// The oracle refuses what it must: a broken configuration fails.
	bad := bytes.Replace(renderKeepalived(t, "lvs-server", haCases[1].extra, devs), []byte("lb_algo wrr"), []byte("lb_algo nosuch"), 1)
	p := filepath.Join(t.TempDir(), "bad.conf")
	if err := os.WriteFile(p, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(bin, "-t", "-f", p).Run(); err == nil {
		t.Error("keepalived -t passes an unknown scheduler: it is no check")
	}
}

// TestLintHA lints the shipped playbooks for --ha in every mode, on the
// two-director inventory.
func TestLintHA(t *testing.T) {
	for _, mode := range lvs.Modes {
		args := []string{"lvslab", "lint", "-i", "testdata/ha-inventory.yml", "-e", "lvs_mode=" + mode}
		for _, pb := range shippedPlaybooks {
			args = append(args, filepath.Join(root, "playbooks", pb))
		}
		if err := newApp().Run(args); err != nil {
			t.Errorf("lint --ha mode=%s:\n%v", mode, err)
		}
	}
}
