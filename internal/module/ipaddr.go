package module

import (
	"context"
	"errors"
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

	prefix netip.Prefix
}

// Validate fills defaults and checks the address.
func (m *IPAddress) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := labState(&m.State); err != nil {
		errs = append(errs, err)
	}
	if p, err := netip.ParsePrefix(m.Address); err == nil {
		if m.Prefix != nil && *m.Prefix != p.Bits() {
			bad("prefix %d contradicts address %s", *m.Prefix, m.Address)
		}
		m.prefix = p
	} else if a, err := netip.ParseAddr(m.Address); err == nil {
		bits := a.BitLen()
		if m.Prefix != nil {
			bits = *m.Prefix
		}
		if bits < 0 || bits > a.BitLen() {
			bad("prefix must be 0-%d, not %d", a.BitLen(), bits)
		} else {
			m.prefix = netip.PrefixFrom(a.WithZone(""), bits)
		}
	} else {
		bad("address %q is not an IP address or address/prefix", m.Address)
	}
	if !labIfName(m.Device) || strings.Contains(m.Device, ":") {
		bad("device must be an interface name such as eth0 or lo, not %q", m.Device)
	}
	if m.Label != "" {
		if !labIfName(m.Label) || (m.Label != m.Device && !strings.HasPrefix(m.Label, m.Device+":")) {
			bad("label %q must be the device name or start with %q, at most 15 characters", m.Label, m.Device+":")
		}
		if m.prefix.Addr().Is6() {
			bad("labels are for ipv4 addresses only")
		}
	}
	if m.Broadcast != "" {
		if b, err := netip.ParseAddr(m.Broadcast); err != nil || !b.Is4() || !m.prefix.Addr().Is4() {
			bad("broadcast %q must be an ipv4 address, for an ipv4 address", m.Broadcast)
		}
	}
	return errors.Join(errs...)
}

// Unit returns the name of the systemd unit that persists the address.
func (m *IPAddress) Unit() string {
	return "lvslab-addr-" + m.Device + "-" + m.prefix.Addr().String() + ".service"
}

func (m *IPAddress) addArgs() string {
	a := []string{m.prefix.String(), "dev", m.Device}
	if m.Label != "" {
		a = append(a, "label", m.Label)
	}
	if m.Broadcast != "" {
		a = append(a, "broadcast", m.Broadcast)
	}
	if m.NoPrefixRoute != nil && *m.NoPrefixRoute {
		a = append(a, "noprefixroute")
	}
	return strings.TrimSpace(ipvsJoin(a))
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

// matches reports whether live has every attribute m declares.
func (m *IPAddress) matches(live addrLive) bool {
	return live.prefix == m.prefix &&
		(m.Label == "" || live.label == m.Label) &&
		(m.Broadcast == "" || live.broadcast == m.Broadcast) &&
		(m.NoPrefixRoute == nil || live.noPrefixRoute == *m.NoPrefixRoute)
}

// Apply converges the address: one inspect command, then at most one command.
func (m *IPAddress) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	persist := m.State == "present" && labBool(m.Persist, true)
	p, err := labInspect(ctx, h, "ip_address", labProbes(append([]string{
		labProbe("addrs", "ip -o addr show dev "+host.Quote(m.Device)+" 2>&1"),
		labProbe("ssh", `echo "${SSH_CONNECTION:-}"`),
	}, labUnitProbes(m.Unit())...)...))
	if err != nil {
		return Result{}, err
	}
	if !p.ok("addrs") {
		return Result{Failed: true, Msg: fmt.Sprintf("ip addr show dev %s: %s", m.Device, p.text("addrs"))}, nil
	}
	var live *addrLive
	for _, a := range addrParse(p.text("addrs")) {
		if a.prefix.Addr() == m.prefix.Addr() {
			live = &a
			break
		}
	}
	ssh := strings.Fields(p.text("ssh"))
	carriesSSH := live != nil && len(ssh) == 4 && ssh[2] == m.prefix.Addr().String()
	var steps []string
	switch {
	case m.State == "present" && live == nil:
		steps = append(steps, "ip addr add "+m.addArgs())
	case live == nil || (m.State == "present" && m.matches(*live)):
	case carriesSSH:
		return Result{Failed: true, Msg: fmt.Sprintf("%s on %s carries this SSH connection; not deleting it (live %s, label %q, brd %q)",
			live.prefix.Addr(), m.Device, live.prefix, live.label, live.broadcast)}, nil
	case m.State == "absent":
		steps = append(steps, "ip addr del "+host.Quote(live.prefix.String())+" dev "+host.Quote(m.Device))
	default:
		steps = append(steps, "ip addr del "+host.Quote(live.prefix.String())+" dev "+host.Quote(m.Device), "ip addr add "+m.addArgs())
	}
	unit := m.unitText()
	steps = append(steps, labUnitSteps(p, m.Unit(), unit, persist)...)
	data := map[string]any{"address": m.prefix.String(), "device": m.Device, "unit": m.Unit(), "commands": steps}
	if live != nil {
		data["live"] = map[string]any{"address": live.prefix.String(), "label": live.label, "broadcast": live.broadcast, "noprefixroute": live.noPrefixRoute}
	}
	res := Result{Changed: len(steps) > 0, Data: data}
	if len(steps) == 0 || env.Check {
		return res, nil
	}
	if _, failed, err := labApplyScript(ctx, h, "ip_address", steps); err != nil || failed != nil {
		if failed != nil {
			return *failed, nil
		}
		return Result{}, err
	}
	return res, nil
}

func (m *IPAddress) unitText() string {
	return labUnitText(fmt.Sprintf("lvslab address %s on %s", m.prefix, m.Device),
		"/sbin/ip addr replace "+m.addArgs(), "/sbin/ip addr del "+host.Quote(m.prefix.String())+" dev "+host.Quote(m.Device))
}

// labUnitDir is where the lab modules write their systemd units.
const labUnitDir = "/etc/systemd/system/"

// labUnitText returns a oneshot unit running start at boot and stop (failure ignored) on stop.
func labUnitText(desc, start, stop string) string {
	return "# Managed by lvslab: do not edit.\n[Unit]\nDescription=" + desc +
		"\nWants=network-online.target\nAfter=network-online.target\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=" +
		start + "\nExecStop=-" + stop + "\n\n[Install]\nWantedBy=multi-user.target\n"
}

// labUnitProbes inspect unit: its file and whether it is enabled.
func labUnitProbes(unit string) []string {
	return []string{
		labProbe("unit", labCat(labUnitDir+unit)),
		labProbe("enabled", labUnitEnabled(unit)),
	}
}

// labUnitEnabled prints "enabled" when unit, wanted by multi-user.target,
// is enabled: systemctl is-enabled without starting systemctl (a third of
// a second on a slow host).
func labUnitEnabled(unit string) string {
	return "[ -L " + host.Quote(labUnitDir+"multi-user.target.wants/"+unit) + " ] && echo enabled"
}

// labUnitSteps returns the steps that install and enable unit with content
// (want) or disable and remove it (!want).
func labUnitSteps(p labProbeResult, unit, content string, want bool) []string {
	path := host.Quote(labUnitDir + unit)
	exists := p.ok("unit")
	enabled := strings.TrimSpace(p.text("enabled")) == "enabled"
	var steps []string
	switch {
	case want && p.out["unit"] != content:
		steps = append(steps, labWriteFile(labUnitDir+unit, content), "systemctl daemon-reload", "systemctl enable "+host.Quote(unit))
	case want && !enabled:
		steps = append(steps, "systemctl enable "+host.Quote(unit))
	case !want && exists:
		steps = append(steps, "systemctl disable --now "+host.Quote(unit), "rm -f "+path, "systemctl daemon-reload")
	}
	if len(steps) > 0 && want {
		steps = append([]string{"umask 022"}, steps...)
	}
	return steps
}
