package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/inventory"
	"lvslab/internal/lab"
	"lvslab/internal/lvs"
)

// e2eDirectors returns the live lab's inventory when its director group
// holds two or more hosts (`lvslab lab create --directors 2`), else skips.
func e2eDirectors(t *testing.T) string {
	inv := e2eInventory(t)
	i, err := inventory.Load(inv)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := i.Match("director"); len(d) < 2 {
		t.Skipf("%s has %d director(s): --ha needs two (lvslab lab create --directors 2)", inv, len(d))
	}
	return inv
}

// leftNothing runs a playbook that fails on any director or real server
// where an LVS mode left something: keepalived's configuration or process,
// a VIP, an IPVS service, tunl0, a sysctl file of lvslab.
func leftNothing(t *testing.T, bin, inv string) {
	t.Helper()
	cfg := lvsConfig(t, inv)
	pb := filepath.Join(t.TempDir(), "left.yml")
	check := `
- hosts: director:realservers
  gather_facts: false
  tasks:
    - name: nothing of any LVS mode left
      shell: |
        left=""
        [ -e /etc/keepalived/keepalived.conf ] && left="$left keepalived.conf"
        pidof keepalived >/dev/null && left="$left keepalived-running"
        for vip in ` + cfg.vips + `; do ip -o -4 addr show | grep -q " $vip/" && left="$left vip-$vip"; done
        command -v ipvsadm >/dev/null && ipvsadm -S -n | grep -q '^-A' && left="$left ipvs-services"
        [ -d /sys/class/net/tunl0 ] && left="$left tunl0"
        ls /etc/sysctl.d/ 2>/dev/null | grep -q lvslab && grep -qs 'arp_\|rp_filter' /etc/sysctl.d/*lvslab* && left="$left sysctl"
        echo "left:$left"
        [ -z "$left" ]
      changed_when: false
`
	if err := os.WriteFile(pb, []byte(check), 0o600); err != nil {
		t.Fatal(err)
	}
	mustOK(t, runLvslab(t, bin, "run", "-i", inv, pb), "nothing left after down")
}

type e2eLVS struct{ vips string }

func lvsConfig(t *testing.T, inv string) e2eLVS {
	i, err := inventory.Load(inv)
	if err != nil {
		t.Fatal(err)
	}
	var vips []string
	for _, mode := range []string{"nat", "dr"} {
		c, err := lvs.NewConfig(i, map[string]any{"lvs_mode": mode})
		if err != nil {
			t.Fatal(err)
		}
		if mode == "nat" && len(c.Directors) == 1 {
			// One director's NAT VIP and DIP are its own interfaces'
			// addresses (lab create configures them): they stay.
			continue
		}
		vips = append(vips, c.VIP)
		if c.DIP != "" && len(c.Directors) > 1 {
			vips = append(vips, c.DIP) // floats with --ha
		}
	}
	return e2eLVS{vips: strings.Join(vips, " ")}
}

// TestE2EHA brings --ha up in dr and nat on a two-director lab: verify
// through the MASTER, a second up with changed=0, status naming the MASTER,
// the failover drill (drillThrough), drain/undrain through keepalived's configuration, down leaving nothing;
// then a switch from --ha to one director and back.
func TestE2EHA(t *testing.T) {
	inv := e2eDirectors(t)
	bin := e2eBinary(t)
	for _, mode := range []string{"dr", "nat"} {
		t.Run(mode, func(t *testing.T) {
			upTwice(t, bin, inv, "--mode", mode, "--ha", "--ssl=false")
			st := runLvslab(t, bin, "status", "-i", inv)
			mustOK(t, st, "status")
			if !strings.Contains(st.out, "MASTER") || !strings.Contains(st.out, "BACKUP") {
				t.Errorf("status names no MASTER and BACKUP:\n%s", tail(st.out, 3000))
			}
			drillThrough(t, bin, inv)
			dr := runLvslab(t, bin, "drain", "-i", inv, "rs01")
			mustOK(t, dr, "drain rs01")
			if !strings.Contains(dr.out, "(keepalived)") || !strings.Contains(dr.out, "-> 0") {
				t.Errorf("drain did not change keepalived's configuration:\n%s", dr.out)
			}
			st = runLvslab(t, bin, "status", "-i", inv)
			if !strings.Contains(st.out, "drained or failed") {
				t.Errorf("status after drain shows no weight 0:\n%s", tail(st.out, 3000))
			}
			mustOK(t, runLvslab(t, bin, "undrain", "-i", inv, "rs01"), "undrain rs01")
			mustOK(t, runLvslab(t, bin, "verify", "-i", inv), "verify after undrain")
			mustOK(t, runLvslab(t, bin, "down", "-i", inv, "--output", "json"), "down")
			again := runLvslab(t, bin, "down", "-i", inv, "--output", "json")
			mustOK(t, again, "second down")
			if n := again.totalChanged(); n != 0 {
				t.Errorf("second down: changed=%d, want 0:\n  %s", n, strings.Join(again.changed, "\n  "))
			}
			leftNothing(t, bin, inv)
		})
	}
	t.Run("switch", func(t *testing.T) {
		upTwice(t, bin, inv, "--mode", "dr", "--ha", "--ssl=false")
		upTwice(t, bin, inv, "--mode", "dr", "--ha=false", "--ssl=false")
		upTwice(t, bin, inv, "--mode", "nat", "--ha", "--ssl=false")
		mustOK(t, runLvslab(t, bin, "down", "-i", inv), "down")
		leftNothing(t, bin, inv)
	})
}

// TestE2ETun brings the tun mode up (the real servers' VIP on tunl0, the
// director's -i), verifies that replies bypass the director, changes a
// weight live, and takes it down leaving no tunl0, VIP or sysctl.
func TestE2ETun(t *testing.T) {
	inv := e2eInventory(t)
	requireIPIP(t, inv)
	bin := e2eBinary(t)
	upTwice(t, bin, inv, "--mode", "tun", "--ssl=false", "--ha=false")
	w := runLvslab(t, bin, "weight", "-i", inv, "rs01", "3")
	mustOK(t, w, "weight rs01 3")
	if !strings.Contains(w.out, "(ipvsadm)") {
		t.Errorf("weight did not edit the table:\n%s", w.out)
	}
	mustOK(t, runLvslab(t, bin, "undrain", "-i", inv, "rs01"), "undrain rs01")
	mustOK(t, runLvslab(t, bin, "down", "-i", inv, "--output", "json"), "down")
	leftNothing(t, bin, inv)
}

// TestE2ETunHA is the tun mode with --ha on a two-director lab.
func TestE2ETunHA(t *testing.T) {
	inv := e2eDirectors(t)
	requireIPIP(t, inv)
	bin := e2eBinary(t)
	upTwice(t, bin, inv, "--mode", "tun", "--ha", "--ssl=false")
	mustOK(t, runLvslab(t, bin, "down", "-i", inv), "down")
	leftNothing(t, bin, inv)
}

// requireIPIP skips a tun test only where the lab's real servers cannot
// decapsulate ipip: they are containers of this machine's kernel (as the
// lab's state records their kind), and that kernel has no CONFIG_NET_IPIP,
// so no namespace can have tunl0 (up --mode tun then fails on them, naming
// the task that loads ipip). Real servers that are VMs (lab create
// --realserver vm) or machines of their own have kernels of their own.
func requireIPIP(t *testing.T, inv string) {
	t.Helper()
	i, err := inventory.Load(inv)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := i.Match("realservers")
	if err != nil || len(rs) == 0 {
		t.Fatalf("%s: no real servers (%v)", inv, err)
	}
	for _, name := range rs {
		ns, _ := i.HostVars(name)["lvslab_netns"].(string)
		if ns == "" {
			continue // not a host of the local lab: its own kernel
		}
		l, err := lab.Running(ns)
		if err != nil {
			t.Fatalf("%s of %s: %v", name, inv, err)
		}
		h, ok := l.Host(name)
		if !ok {
			t.Fatalf("%s: not a host of the lab %s", name, ns)
		}
		if h.Kind == lab.KindContainer && !lab.KernelHasIPIP(context.Background()) {
			t.Skipf("%s is a container sharing this machine's kernel, which has no ipip (no tunl0): "+
				"create the lab with `lvslab lab create --realserver vm` to run the tun mode", name)
		}
	}
}
