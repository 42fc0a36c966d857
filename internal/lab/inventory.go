package lab

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Site is an nginx virtual host of the lab.
type Site struct{ Name, Root string }

// Sites are the lab's virtual hosts (at least two, for multi-SNI).
var Sites = []Site{{"www.along.com", "/app/website1"}, {"www.along2.com", "/app/website2"}}

// inventoryYAML renders the lab's Ansible YAML inventory. Hosts are reached
// on their management addresses from the lab's namespace (lvslab_netns); the
// tutorial's addresses are in dip, rip and the group variables.
func inventoryYAML(l *Lab) string {
	var b strings.Builder
	p := l.Paths
	fmt.Fprintf(&b, "# The local lab, written by `lvslab lab create` on %s.\n", l.Created.UTC().Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(&b, "# Every host is dialled from the network namespace lvslab_netns, on its\n")
	fmt.Fprintf(&b, "# management address (%s0/%d); the lab's own addresses are below.\n", mgmtNet, mgmtPrefix)
	b.WriteString("all:\n  vars:\n")
	vars := [][2]string{
		{"ansible_user", "root"},
		{"ansible_ssh_private_key_file", q(p.Key())},
		{"ansible_ssh_common_args", q("-o UserKnownHostsFile=" + shellQuote(p.KnownHosts()) + " -o StrictHostKeyChecking=yes")},
		{"lvs_mode", "nat"},
		{"vip", VIP},
		{"vip_dr", VIPDR},
		{"vip_ports", "[80, 443]"},
		{"scheduler", "wrr"},
		{"persistence_timeout", "0"},
		{"fwmark", "99"},
		{"ssl", "false"},
	}
	if n := countHosts(l.Hosts, func(h Host) bool { return h.Group == GroupDirector }); n > 1 {
		// The VIP and the DIP float between the directors: --ha by default.
		vars = append(vars, [2]string{"lvs_ha", "true"})
	}
	for _, v := range vars {
		fmt.Fprintf(&b, "    %s: %s\n", v[0], v[1])
	}
	b.WriteString("    sites:\n")
	for _, s := range Sites {
		fmt.Fprintf(&b, "      - {name: %s, root: %s}\n", q(s.Name), q(s.Root))
	}
	b.WriteString("  children:\n")
	for _, g := range []string{GroupDirector, GroupRealServers, GroupClients} {
		fmt.Fprintf(&b, "    %s:\n      hosts:\n", g)
		for _, h := range l.Hosts {
			if h.Group == g {
				fmt.Fprintf(&b, "        %s: {%s}\n", h.Name, hostVars(p.Name, h))
			}
		}
	}
	return b.String()
}

// hostVars are a host's inventory variables, as a YAML flow mapping body.
func hostVars(labNetns string, h Host) string {
	kv := [][2]string{{"ansible_host", h.MgmtAddr()}, {"lvslab_netns", labNetns}}
	switch h.Group {
	case GroupDirector:
		kv = append(kv, [2]string{"dip", DIP}, [2]string{"vip_iface", nicOn(h, BridgePublic)}, [2]string{"dip_iface", nicOn(h, BridgePrivate)})
	case GroupRealServers:
		kv = append(kv, [2]string{"rip", h.addrOn(BridgePrivate)}, [2]string{"weight", fmt.Sprint(h.Weight)}, [2]string{"rip_iface", nicOn(h, BridgePrivate)})
	case GroupClients:
		kv = append(kv, [2]string{"client_ip", h.addrOn(BridgePublic)})
	}
	parts := make([]string, len(kv))
	for i, v := range kv {
		parts[i] = v[0] + ": " + v[1]
	}
	return strings.Join(parts, ", ")
}

// countHosts counts the hosts for which is holds.
func countHosts(hosts []Host, is func(Host) bool) int {
	n := 0
	for _, h := range hosts {
		if is(h) {
			n++
		}
	}
	return n
}

// nicOn names the host's interface on bridge.
func nicOn(h Host, bridge string) string {
	for _, n := range h.NICs {
		if n.Bridge == bridge {
			return n.Name
		}
	}
	return ""
}

// shellQuote quotes s for a shell-style word list (ssh arguments), only
// when it has characters that need it.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-+:@=,%", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// q renders s as a YAML scalar, quoted only when it must be.
func q(s string) string {
	b, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	out := strings.TrimSuffix(string(b), "\n")
	if strings.ContainsAny(out, "\n") || strings.HasPrefix(out, "|") || strings.HasPrefix(out, ">") {
		return fmt.Sprintf("%q", s)
	}
	// Flow context forbids some plain scalars that block context allows.
	if strings.ContainsAny(out, ",[]{}") && !strings.HasPrefix(out, "'") && !strings.HasPrefix(out, "\"") {
		return fmt.Sprintf("%q", s)
	}
	return out
}

// knownHosts renders known_hosts: each host's key under its management
// address, its lab addresses and its name.
func knownHosts(l *Lab) string {
	var b strings.Builder
	for _, h := range l.Hosts {
		names := []string{h.MgmtAddr()}
		for _, n := range h.NICs {
			if n.Bridge != BridgeMgmt {
				names = append(names, n.IP())
			}
		}
		names = append(names, h.Name)
		key := l.HostKeys[h.Name]
		fmt.Fprintf(&b, "%s %s\n", strings.Join(names, ","), key)
	}
	return b.String()
}
