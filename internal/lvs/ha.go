package lvs

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"lvslab/internal/ipvs"
)

// Role is what one director of --ha reports: whether it holds the VIP (the
// VRRP MASTER does, its BACKUPs do not) and whether keepalived runs there
// with lvslab's configuration.
type Role struct {
	Director   string
	HasVIP     bool
	Keepalived bool // a keepalived process runs
	Configured bool // lvslab's keepalived configuration is installed
}

// Name is the VRRP role the director plays as lvslab sees it.
func (r Role) Name() string {
	switch {
	case r.HasVIP && r.Keepalived:
		return "MASTER"
	case r.HasVIP:
		return "holds the VIP without keepalived"
	case r.Keepalived:
		return "BACKUP"
	case r.Configured:
		return "keepalived stopped"
	}
	return "no keepalived"
}

// RoleCommand prints, in one round trip, what ParseRole reads.
const RoleCommand = `ip -o -4 addr show 2>/dev/null | awk '{split($4, p, "/"); print "addr=" p[1]}'
pidof keepalived >/dev/null 2>&1 && echo keepalived=running
grep -q '^! Managed by lvslab' ` + KeepalivedConf + ` 2>/dev/null && echo keepalived=configured
true`

// ParseRole reads RoleCommand's output on director for the VIP vip.
func ParseRole(director, out, vip string) Role {
	r := Role{Director: director}
	for _, line := range strings.Split(out, "\n") {
		switch line = strings.TrimSpace(line); line {
		case "addr=" + vip:
			r.HasVIP = true
		case "keepalived=running":
			r.Keepalived = true
		case "keepalived=configured":
			r.Configured = true
		}
	}
	return r
}

// RoleTable shows every director's role.
func RoleTable(roles []Role) *Table {
	t := NewTable("director", "VRRP", "VIP", "keepalived")
	for _, r := range roles {
		t.Add(r.Director, r.Name(), map[bool]string{true: "held", false: "-"}[r.HasVIP],
			map[bool]string{true: "running", false: "not running"}[r.Keepalived])
	}
	return t
}

// PoolTable shows each real server as keepalived's checks leave it in the
// MASTER's IPVS table: in the pool with its weight, inhibited (weight 0
// while the inventory's is not, inhibit_on_failure or a drain), or out
// (keepalived removed it: its check fails), per virtual service. out lists
// those not serving.
func PoolTable(st Status, cfg Config) (t *Table, out []string) {
	t = NewTable("real server", "service", "inventory weight", "live weight", "state")
	t.AlignRight(2, 3)
	for _, key := range cfg.ServiceKeys() {
		svc, ok := st.Services.Find(key)
		for _, s := range cfg.Servers {
			state, live := "out: no virtual service", "-"
			if ok {
				state = "out: removed (its check fails)"
				if d, found := findDest(svc, s.Addr); found {
					live = strconv.Itoa(d.Weight)
					switch {
					case d.Weight > 0:
						state = "in the pool"
					case s.Weight > 0:
						state = "weight 0: drained or failed (inhibit_on_failure)"
					default:
						state = "weight 0 (the inventory's)"
					}
				}
			}
			if !strings.HasPrefix(state, "in the pool") {
				out = append(out, fmt.Sprintf("%s (%s) on %s: %s", s.Name, s.Addr, key, state))
			}
			t.Add(s.Name, key, strconv.Itoa(s.Weight), live, state)
		}
	}
	return t, out
}

// findDest finds the real server at addr in svc, whatever its port.
func findDest(svc ipvs.Service, addr string) (ipvs.Dest, bool) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return ipvs.Dest{}, false
	}
	for _, d := range svc.Dests {
		if d.Addr.Addr() == a {
			return d, true
		}
	}
	return ipvs.Dest{}, false
}
