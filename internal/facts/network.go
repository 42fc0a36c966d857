package facts

import (
	"net/netip"
	"strconv"
	"strings"
)

// linkTypes maps ip's link/TYPE to the type Ansible reads from
// /sys/class/net/IF/type.
var linkTypes = map[string]string{"ether": "ether", "loopback": "loopback", "ppp": "ppp",
	"infiniband": "infiniband", "none": "tunnel"}

// network sets the interface facts as Ansible's setup does on Linux:
// interfaces, one fact per interface (and per address label, eth0:0 as
// eth0_0), default_ipv4, all_ipv4_addresses, and lvslab's addresses. It
// reads `ip -o -4 route get 8.8.8.8`, `ip -o link show`, `ip -o -4 addr
// show` and the bridge and bonding directories of /sys/class/net.
func network(f map[string]any, route string, links, addrs, sys []string) {
	ifs := map[string]map[string]any{}
	var order []string
	add := func(name string, m map[string]any) {
		if _, ok := ifs[name]; !ok {
			order = append(order, name)
		}
		ifs[name] = m
	}
	for _, line := range links {
		if dev, m := link(line); dev != "" {
			add(dev, m)
		}
	}
	for _, p := range sys {
		// /sys/class/net/br0/bridge, /sys/class/net/bond0/bonding, /sys/class/net/br0/brif/eth1
		rest, ok := strings.CutPrefix(p, "/sys/class/net/")
		parts := strings.Split(rest, "/")
		m := ifs[parts[0]]
		if !ok || m == nil {
			continue
		}
		switch {
		case len(parts) == 2 && parts[1] == "bridge":
			m["type"] = "bridge"
			if m["interfaces"] == nil {
				m["interfaces"] = []any{}
			}
		case len(parts) == 2 && parts[1] == "bonding":
			m["type"] = "bonding"
		case len(parts) == 3 && parts[1] == "brif":
			list, _ := m["interfaces"].([]any)
			m["interfaces"] = append(list, parts[2])
		}
	}
	def := defaultRoute(route)
	all := []any{}
	byDev := map[string]any{}
	var parsed []ipv4
	for _, line := range addrs {
		if a, ok := parseAddr(line); ok {
			parsed = append(parsed, a)
			list, _ := byDev[a.dev].([]any)
			byDev[a.dev] = append(list, a.cidr)
		}
	}
	// Primary addresses first, then secondary ones, as setup asks ip.
	for _, secondary := range []bool{false, true} {
		for _, a := range parsed {
			if a.secondary != secondary {
				continue
			}
			dev := ifs[a.dev]
			if dev == nil {
				dev = map[string]any{"device": a.dev}
				add(a.dev, dev)
			}
			v4 := a.facts()
			target := dev
			if a.label != a.dev {
				target = map[string]any{} // setup starts a label's facts afresh at each of its addresses
				add(a.label, target)
			}
			if _, has := target["ipv4"]; !secondary && !has {
				target["ipv4"] = v4
			} else {
				list, _ := target["ipv4_secondaries"].([]any)
				target["ipv4_secondaries"] = append(list, v4)
			}
			if secondary && a.label != a.dev {
				list, _ := dev["ipv4_secondaries"].([]any)
				dev["ipv4_secondaries"] = append(list, v4)
			}
			if def["address"] == a.addr {
				for _, k := range []string{"broadcast", "netmask", "network", "prefix"} {
					def[k] = v4[k]
				}
				def["mtu"], def["type"], def["alias"] = dev["mtu"], dev["type"], a.label
				if mac, ok := dev["macaddress"]; ok {
					def["macaddress"] = mac
				}
			}
			if !strings.HasPrefix(a.addr, "127.") {
				all = append(all, a.addr)
			}
		}
	}
	names := make([]any, len(order))
	for i, name := range order {
		name = strings.ReplaceAll(name, ":", "_")
		names[i] = name
		f[strings.ReplaceAll(name, "-", "_")] = ifs[order[i]]
	}
	f["interfaces"] = names
	f["default_ipv4"] = def
	f["all_ipv4_addresses"] = all
	f["addresses"] = byDev
}

// link reads a line of `ip -o link show`:
// 2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP ...\    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff
func link(line string) (string, map[string]any) {
	f := strings.Fields(line)
	if len(f) < 3 {
		return "", nil
	}
	dev := strings.TrimSuffix(f[1], ":")
	if at := strings.IndexByte(dev, '@'); at > 0 {
		dev = dev[:at]
	}
	m := map[string]any{"device": dev, "type": "unknown",
		"promisc": strings.Contains(f[2], "PROMISC")}
	for i := 3; i+1 < len(f); i++ {
		switch w := f[i]; {
		case w == "mtu":
			if n, err := strconv.Atoi(f[i+1]); err == nil {
				m["mtu"] = n
			}
		case w == "state":
			m["active"] = f[i+1] != "DOWN"
		case strings.HasPrefix(w, "link/"):
			if t, ok := linkTypes[w[len("link/"):]]; ok {
				m["type"] = t
			}
			if mac := f[i+1]; strings.Count(mac, ":") == 5 && mac != "00:00:00:00:00:00" {
				m["macaddress"] = mac
			}
		}
	}
	return dev, m
}

// defaultRoute reads `ip -o -4 route get 8.8.8.8`:
// 8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \    cache
func defaultRoute(route string) map[string]any {
	def := map[string]any{}
	f := strings.Fields(route)
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "dev":
			def["interface"] = f[i+1]
		case "src":
			def["address"] = f[i+1]
		case "via":
			if f[i+1] != "8.8.8.8" {
				def["gateway"] = f[i+1]
			}
		}
	}
	return def
}

type ipv4 struct {
	dev, label, addr, cidr string
	prefix                 int
	broadcast              string
	secondary              bool
}

// parseAddr reads a line of `ip -o -4 addr show`:
// 2: eth0    inet 192.168.30.107/24 brd 192.168.30.255 scope global secondary eth0:0\       valid_lft forever ...
func parseAddr(line string) (ipv4, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || f[2] != "inet" {
		return ipv4{}, false
	}
	a := ipv4{dev: strings.TrimSuffix(f[1], ":"), prefix: 32}
	a.addr, a.cidr = f[3], f[3]
	if addr, bits, ok := strings.Cut(f[3], "/"); ok {
		a.addr = addr
		if n, err := strconv.Atoi(bits); err == nil && n >= 0 && n <= 32 {
			a.prefix = n
		}
	} else {
		a.cidr += "/32"
	}
	if ip, err := netip.ParseAddr(a.addr); err != nil || !ip.Is4() {
		return ipv4{}, false
	}
	a.label = a.dev
	for i := 4; i < len(f); i++ {
		w := f[i]
		if strings.HasSuffix(w, `\`) {
			// the label ends the address's line: ip -o joins the next with a backslash
			a.label = strings.TrimSuffix(w, `\`)
			break
		}
		switch {
		case w == "brd" && i+1 < len(f):
			a.broadcast = f[i+1]
		case w == "secondary":
			a.secondary = true
		}
		if i == len(f)-1 {
			a.label = w
		}
	}
	if a.label == "" {
		a.label = a.dev
	}
	return a, true
}

// facts is the address as setup's ipv4 fact of an interface.
func (a ipv4) facts() map[string]any {
	p := netip.MustParseAddr(a.addr)
	mask := netip.PrefixFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), a.prefix).Masked().Addr()
	return map[string]any{
		"address":   a.addr,
		"broadcast": a.broadcast,
		"netmask":   mask.String(),
		"network":   netip.PrefixFrom(p, a.prefix).Masked().Addr().String(),
		"prefix":    strconv.Itoa(a.prefix),
	}
}
