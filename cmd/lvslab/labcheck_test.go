package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/inventory"
)

// labState is what a lab host's LVS and LNMP configuration is: the IPVS
// table, the iptables rules (without counters), the sysctls the modes set,
// addresses, routes, and the hashes of the files the playbooks write.
const labState = `{ ipvsadm-save -n 2>/dev/null | sort
iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
sysctl -a 2>/dev/null | grep -E '^net\.ipv4\.(ip_forward|conf\.[a-z0-9]+\.arp_(ignore|announce)) '
ip -o addr show | awk '{$1=""; print}' | sort
ip route show table all | sort
for d in /etc/nginx /etc/php /etc/sysctl.d /etc/iptables /etc/ipvsadm.rules /etc/default/ipvsadm /etc/mysql /app /etc/network/interfaces.d /etc/systemd/network; do
  [ -e "$d" ] && find "$d" -xdev \( -type f -o -type l \) -exec sha256sum {} + 2>/dev/null
done | sort
find /etc /app -xdev -name '.lvslab-*' 2>/dev/null; } 2>&1`

// labSnapshot returns the state of the lab hosts.
func labSnapshot(t *testing.T, inv *inventory.Inventory, hosts []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range hosts {
		cfg, err := host.ConfigFromVars(name, inv.HostVars(name), host.Defaults{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		h, err := host.Dial(ctx, cfg)
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", name, err)
		}
		res, err := h.Run(ctx, labState, host.RunOpts{})
		h.Close()
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = res.Stdout
	}
	return out
}

// TestE2ECheckModeChangesNothing runs the bring-up playbook in check mode
// on the live lab, for the mode that is up and for each other mode (what a
// switch would do): the IPVS table, iptables, sysctls, addresses, routes and
// files of every host are identical before and after. It never changes the
// lab: LVSLAB_E2E=1 and a lab inventory are needed. LVSLAB_E2E_LIMIT
// (a host pattern) limits it to some of the lab's hosts.
func TestE2ECheckModeChangesNothing(t *testing.T) {
	invPath := e2eInventory(t)
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	hosts := inv.Hosts()
	limit := os.Getenv("LVSLAB_E2E_LIMIT")
	if limit != "" {
		if hosts, err = inv.Match(limit); err != nil {
			t.Fatal(err)
		}
	}
	before := labSnapshot(t, inv, hosts)
	site, err := filepath.Abs(filepath.Join(root, "playbooks", "site.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"", "nat", "dr", "fwmark"} {
		args := []string{"run", "-i", invPath, site, "--check", "--diff", "-o", "json", "-T", "60s"}
		if mode != "" {
			args = append(args, "-e", "lvs_mode="+mode)
		}
		if limit != "" {
			args = append(args, "--limit", limit)
		}
		out, stderr, code, took := bounded(t, 20*time.Minute, root, args...)
		t.Logf("check mode %q: exit %d in %s", mode, code, took.Round(time.Second))
		if code != 0 {
			t.Errorf("check mode %q: exit %d\n%s\n%s", mode, code, tail(out, 3000), stderr)
		}
		after := labSnapshot(t, inv, hosts)
		for name, b := range before {
			if after[name] != b {
				t.Errorf("check mode %q changed %s:\n%s", mode, name, lineDiff(b, after[name]))
			}
		}
	}
}

// lineDiff lists the lines only in a (-) and only in b (+).
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ia, ib := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !ib[l] {
			out = append(out, "-"+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ia[l] {
			out = append(out, "+"+l)
		}
	}
	return strings.Join(out, "\n")
}
