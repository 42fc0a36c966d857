package module

import (
	"strings"
	"testing"
)

// TestIPVSTun adds a TUN (ipip, -i) virtual service as the tun mode's
// director does (tasks/director-tun.yml), and finds it converged once the
// table holds it.
func TestIPVSTun(t *testing.T) {
	args := `
address: 192.168.30.100
port: 80
scheduler: wrr
realservers:
  - {address: 192.168.30.107, forwarding: tun, weight: 3}
  - {address: 192.168.30.7, forwarding: tun, weight: 1}
`
	f := probeFake(ipvsHost{sysctl: ipvsSysctlsSet}.stdout())
	res := apply(t, newModule(t, "ipvs", args), f, familyEnv("Debian"))
	if !res.Changed || res.Failed || !strings.Contains(res.Msg, "added TCP 192.168.30.100:80") {
		t.Fatalf("changed=%v failed=%v msg=%q", res.Changed, res.Failed, res.Msg)
	}
	goldenShell(t, "lab/ipvs_tun", f.Calls, true)
	if cmds := strings.Join(res.Data["commands"].([]string), "\n"); !strings.Contains(cmds, "-r 192.168.30.107:80 -i -w 3") {
		t.Errorf("no -i real server in:\n%s", cmds)
	}
	live := "-A -t 192.168.30.100:80 -s wrr\n-a -t 192.168.30.100:80 -r 192.168.30.107:80 -i -w 3\n-a -t 192.168.30.100:80 -r 192.168.30.7:80 -i -w 1\n"
	f = probeFake(ipvsConverged(live).stdout())
	if res := apply(t, newModule(t, "ipvs", args), f, familyEnv("Debian")); res.Changed || len(f.Calls) != 1 {
		t.Errorf("converged tun service: changed=%v calls=%d msg=%q", res.Changed, len(f.Calls), res.Msg)
	}
}
