package module

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"lvslab/internal/host"
)

// IPAddress declares an address on a device, such as a VIP as a /32 alias
// with a label (eth0:0, lo:0). Only the attributes given are compared: an
// address present with another label, broadcast or noprefixroute flag is
// deleted and added again, unless it carries the SSH connection the module
// runs over, which fails the task instead of cutting the connection.
//
// With persist (the default) the address is restored at boot by a systemd
// unit lvslab-addr-<dev>-<ip>.service (oneshot, `ip addr replace` on start,
// `ip addr del` on stop) enabled in multi-user.target: the same on Debian and
// RedHat, with ifupdown, NetworkManager or systemd-networkd.
type IPAddress struct {
	Address       string `yaml:"address"` // 172.17.100.100/32, or an address with prefix
	Prefix        *int   `yaml:"prefix"`  // default 32 (128 for ipv6) when address has none
	Device        string `yaml:"device"`
	Label         string `yaml:"label"`
	Broadcast     string `yaml:"broadcast"`
	NoPrefixRoute *bool  `yaml:"noprefixroute"`
	State         string `yaml:"state"`
	Persist       *bool  `yaml:"persist"`
}

// ipAddressWant is the address an ip_address task wants: its arguments
// with the defaults filled in, and the address with its prefix.
type ipAddressWant struct {
	IPAddress
	prefix netip.Prefix
}

// want defaults and checks the arguments, reporting every problem.
func (m *IPAddress) want() (ipAddressWant, error) {
	var p problems
	w := ipAddressWant{IPAddress: *m}
	w.State = stateArg(m.State, &p)
	if pf, err := netip.ParsePrefix(m.Address); err == nil {
		if m.Prefix != nil && *m.Prefix != pf.Bits() {
			p.add("prefix %d contradicts address %s", *m.Prefix, m.Address)
		}
		w.prefix = pf
	} else if a, err := netip.ParseAddr(m.Address); err == nil {
		bits := a.BitLen()
		if m.Prefix != nil {
			bits = *m.Prefix
		}
		if bits < 0 || bits > a.BitLen() {
			p.add("prefix must be 0-%d, not %d", a.BitLen(), bits)
		} else {
			w.prefix = netip.PrefixFrom(a.WithZone(""), bits)
		}
	} else {
		p.add("address %q is not an IP address or address/prefix", m.Address)
	}
	if !ifName(m.Device) || strings.Contains(m.Device, ":") {
		p.add("device must be an interface name such as eth0 or lo, not %q", m.Device)
	}
	if m.Label != "" {
		if !ifName(m.Label) || (m.Label != m.Device && !strings.HasPrefix(m.Label, m.Device+":")) {
			p.add("label %q must be the device name or start with %q, at most 15 characters", m.Label, m.Device+":")
		}
		if w.prefix.Addr().Is6() {
			p.add("labels are for ipv4 addresses only")
		}
	}
	if m.Broadcast != "" {
		if b, err := netip.ParseAddr(m.Broadcast); err != nil || !b.Is4() || !w.prefix.Addr().Is4() {
			p.add("broadcast %q must be an ipv4 address, for an ipv4 address", m.Broadcast)
		}
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *IPAddress) Validate() error { _, err := m.want(); return err }

// unit returns the name of the systemd unit that persists the address.
func (w ipAddressWant) unit() string {
	return "lvslab-addr-" + w.Device + "-" + w.prefix.Addr().String() + ".service"
}

func (w ipAddressWant) addArgs() string {
	a := []string{w.prefix.String(), "dev", w.Device}
	if w.Label != "" {
		a = append(a, "label", w.Label)
	}
	if w.Broadcast != "" {
		a = append(a, "broadcast", w.Broadcast)
	}
	if boolArg(w.NoPrefixRoute, false) {
		a = append(a, "noprefixroute")
	}
	return quoteWords(a)
}

// addrLive is one address as `ip -o addr show` reports it.
type addrLive struct {
	prefix        netip.Prefix
	label         string
	broadcast     string
	noPrefixRoute bool
}

// addrParse parses `ip -o addr show dev DEV`, e.g.
// "2: eth0    inet 172.17.100.100/32 brd 172.17.100.100 scope global eth0:0\       valid_lft forever ...".
func addrParse(out string) []addrLive {
	var addrs []addrLive
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || (f[2] != "inet" && f[2] != "inet6") {
			continue
		}
		p, err := netip.ParsePrefix(f[3])
		if err != nil {
			continue
		}
		a := addrLive{prefix: p}
		for i := 4; i < len(f); i++ {
			t := f[i]
			switch {
			case t == "brd" && i+1 < len(f):
				a.broadcast = f[i+1]
				i++
			case (t == "scope" || t == "peer" || t == "metric" || t == "proto") && i+1 < len(f):
				i++
			case t == "noprefixroute":
				a.noPrefixRoute = true
			case strings.HasSuffix(t, `\`):
				if l := strings.TrimSuffix(t, `\`); f[2] == "inet" && (l == f[1] || strings.HasPrefix(l, f[1]+":")) {
					a.label = l
				}
				i = len(f)
			case f[2] == "inet" && (t == f[1] || strings.HasPrefix(t, f[1]+":")):
				a.label = t
			}
		}
		addrs = append(addrs, a)
	}
	return addrs
}

// matches reports whether live has every attribute w declares.
func (w ipAddressWant) matches(live addrLive) bool {
	return live.prefix == w.prefix &&
		(w.Label == "" || live.label == w.Label) &&
		(w.Broadcast == "" || live.broadcast == w.Broadcast) &&
		(w.NoPrefixRoute == nil || live.noPrefixRoute == *w.NoPrefixRoute)
}

// Apply converges the address: one inspect command, then at most one command.
func (m *IPAddress) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "ip_address", probes(append([]string{
		probe("addrs", "ip -o addr show dev "+host.Quote(w.Device)+" 2>&1"),
		probe("ssh", `echo "${SSH_CONNECTION:-}"`),
	}, unitProbes(w.unit())...)...))
	if err != nil {
		return Result{}, err
	}
	if !in.ok("addrs") {
		return Result{Failed: true, Msg: fmt.Sprintf("ip addr show dev %s: %s", w.Device, in.text("addrs"))}, nil
	}
	var live *addrLive
	for _, a := range addrParse(in.text("addrs")) {
		if a.prefix.Addr() == w.prefix.Addr() {
			live = &a
			break
		}
	}
	steps, res := w.plan(in, live)
	if res.Failed {
		return res, nil
	}
	return runSteps(ctx, h, env, "ip_address", steps, res)
}

// plan returns the steps that converge the address, live as the host has
// it (nil: not there), and the result they make; a failed result when
// the address to delete carries the SSH connection.
func (w ipAddressWant) plan(in inspection, live *addrLive) ([]string, Result) {
	ssh := strings.Fields(in.text("ssh"))
	carriesSSH := live != nil && len(ssh) == 4 && ssh[2] == w.prefix.Addr().String()
	var steps []string
	switch {
	case w.State == "present" && live == nil:
		steps = append(steps, "ip addr add "+w.addArgs())
	case live == nil || (w.State == "present" && w.matches(*live)):
	case carriesSSH:
		return nil, Result{Failed: true, Msg: fmt.Sprintf("%s on %s carries this SSH connection; not deleting it (live %s, label %q, brd %q)",
			live.prefix.Addr(), w.Device, live.prefix, live.label, live.broadcast)}
	case w.State == "absent":
		steps = append(steps, "ip addr del "+w.delArgs(live.prefix))
	default:
		steps = append(steps, "ip addr del "+w.delArgs(live.prefix), "ip addr add "+w.addArgs())
	}
	steps = append(steps, unitSteps(in, w.unit(), w.unitText(), w.State == "present" && boolArg(w.Persist, true))...)
	data := map[string]any{"address": w.prefix.String(), "device": w.Device, "unit": w.unit(), "commands": steps}
	if live != nil {
		data["live"] = map[string]any{"address": live.prefix.String(), "label": live.label, "broadcast": live.broadcast, "noprefixroute": live.noPrefixRoute}
	}
	return steps, Result{Changed: len(steps) > 0, Data: data}
}

func (w ipAddressWant) unitText() string {
	return unitText(fmt.Sprintf("lvslab address %s on %s", w.prefix, w.Device),
		"/sbin/ip addr replace "+w.addArgs(), "/sbin/ip addr del "+w.delArgs(w.prefix))
}

// delArgs returns the arguments of ip addr del for p on the device.
func (w ipAddressWant) delArgs(p netip.Prefix) string {
	return quoteWords([]string{p.String(), "dev", w.Device})
}
