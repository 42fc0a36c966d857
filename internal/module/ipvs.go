package module

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"lvslab/internal/host"
)

// IPVS declares one IPVS virtual service and its real servers, diffed against
// the live table (`ipvsadm -S -n`); only the difference is applied, other
// services are left alone.
//
// Drain semantics: with drain set, a real server that is no longer declared
// is first set to weight 0 (no new connections) and kept while it still has
// active connections; a later run removes it once its ActiveConn is 0. Without
// drain it is removed at once (its connections are then expired, see
// net.ipv4.vs.expire_nodest_conn). A service with state absent is always
// deleted at once.
//
// With save (the default) the module also makes the table survive a reboot:
// the whole table is written where the distribution's ipvsadm service restores
// it (Debian: /etc/ipvsadm.rules with AUTO="true" in /etc/default/ipvsadm;
// RedHat: /etc/sysconfig/ipvsadm with ipvsadm.service enabled), ip_vs is
// listed in /etc/modules-load.d and net.ipv4.vs.expire_nodest_conn=1 in
// /etc/sysctl.d. The runtime sysctl is set whatever save says.
type IPVS struct {
	Protocol    string           `yaml:"protocol"` // tcp (default), udp, sctp
	Address     string           `yaml:"address"`  // the VIP
	Port        int              `yaml:"port"`
	FWMark      uint32           `yaml:"fwmark"`    // instead of address and port
	Scheduler   string           `yaml:"scheduler"` // default wlc, as ipvsadm
	Persistent  int              `yaml:"persistent"`
	Netmask     string           `yaml:"netmask"`
	RealServers []IPVSRealServer `yaml:"realservers"`
	State       string           `yaml:"state"`
	Drain       bool             `yaml:"drain"`
	Save        *bool            `yaml:"save"`

	want IPVSService
}

// IPVSRealServer is one real server as a task declares it.
type IPVSRealServer struct {
	Address    string `yaml:"address"`
	Port       *int   `yaml:"port"`       // default: the service port (0 for fwmark)
	Forwarding string `yaml:"forwarding"` // nat, dr (default, as ipvsadm) or tun
	Weight     *int   `yaml:"weight"`     // default 1
}

// IPVSSchedulers are the schedulers the kernel ships (ipvsadm(8), plus twos from Linux 6.2).
var IPVSSchedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// Validate fills defaults and builds the desired service.
func (m *IPVS) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := labState(&m.State); err != nil {
		errs = append(errs, err)
	}
	s := IPVSService{Scheduler: m.Scheduler, Persistent: m.Persistent}
	if s.Scheduler == "" {
		s.Scheduler = "wlc"
	}
	if !slices.Contains(IPVSSchedulers, s.Scheduler) {
		bad("unknown scheduler %q (one of %s)", s.Scheduler, strings.Join(IPVSSchedulers, " "))
	}
	if m.FWMark != 0 {
		if m.Address != "" || m.Port != 0 || m.Protocol != "" {
			bad("fwmark excludes address, port and protocol")
		}
		s.FWMark = m.FWMark
	} else {
		s.Protocol = m.Protocol
		if s.Protocol == "" {
			s.Protocol = "tcp"
		}
		if !slices.Contains([]string{"tcp", "udp", "sctp"}, s.Protocol) {
			bad("protocol must be tcp, udp or sctp, not %q", s.Protocol)
		}
		a, err := netip.ParseAddr(m.Address)
		switch {
		case m.Address == "":
			bad("address (the VIP) or fwmark is required")
		case err != nil:
			bad("address %q is not an IP address", m.Address)
		}
		if m.Port < 0 || m.Port > 65535 || (m.Port == 0 && m.Persistent == 0) {
			bad("port must be 1-65535 (0 only with persistent), not %d", m.Port)
		}
		s.Addr = netip.AddrPortFrom(a.Unmap(), uint16(m.Port))
	}
	if m.Persistent < 0 || m.Persistent > ipvsMaxTimeout {
		bad("persistent must be 0-%d seconds, not %d", ipvsMaxTimeout, m.Persistent)
	}
	if m.Netmask != "" {
		if m.Persistent == 0 {
			bad("netmask needs persistent > 0")
		} else if nm, err := ipvsNormNetmask(m.Netmask, s.Addr.Addr().Is6()); err != nil {
			errs = append(errs, err)
		} else {
			s.Netmask = nm
		}
	}
	for i, rs := range m.RealServers {
		d, err := m.dest(rs, s)
		if err != nil {
			bad("realservers[%d]: %w", i, err)
			continue
		}
		if _, dup := s.Dest(d.Key()); dup {
			bad("realservers[%d]: %s listed twice", i, d.Key())
			continue
		}
		s.Dests = append(s.Dests, d)
	}
	m.want = s
	return errors.Join(errs...)
}

func (m *IPVS) dest(rs IPVSRealServer, s IPVSService) (IPVSDest, error) {
	a, err := netip.ParseAddr(rs.Address)
	if err != nil {
		return IPVSDest{}, fmt.Errorf("address %q is not an IP address", rs.Address)
	}
	a = a.Unmap()
	d := IPVSDest{Forwarding: IPVSForwarding(rs.Forwarding), Weight: 1}
	if d.Forwarding == "" {
		d.Forwarding = IPVSDirect
	}
	if !slices.Contains([]IPVSForwarding{IPVSNAT, IPVSDirect, IPVSTunnel}, d.Forwarding) {
		return d, fmt.Errorf("forwarding must be nat, dr or tun, not %q", rs.Forwarding)
	}
	if rs.Weight != nil {
		if *rs.Weight < 0 || *rs.Weight > 65535 {
			return d, fmt.Errorf("weight must be 0-65535, not %d", *rs.Weight)
		}
		d.Weight = *rs.Weight
	}
	port := s.Addr.Port()
	if rs.Port != nil {
		if *rs.Port < 0 || *rs.Port > 65535 {
			return d, fmt.Errorf("port must be 0-65535, not %d", *rs.Port)
		}
		if s.FWMark == 0 && d.Forwarding != IPVSNAT && *rs.Port != int(port) {
			return d, fmt.Errorf("a %s real server takes the service port %d, not %d (only nat maps ports)", d.Forwarding, port, *rs.Port)
		}
		port = uint16(*rs.Port)
	}
	v6 := s.Addr.Addr().Is6()
	if s.FWMark == 0 && a.Is6() != v6 && d.Forwarding != IPVSTunnel {
		return d, fmt.Errorf("address %s is not of the VIP's family (only tun mixes families)", a)
	}
	if s.FWMark != 0 && a.Is6() {
		return d, fmt.Errorf("ipv6 real servers of a fwmark service are not supported")
	}
	d.Addr = netip.AddrPortFrom(a, port)
	return d, nil
}

// Apply converges the service: one inspect command, then at most one command
// with every ipvsadm change and the save.
func (m *IPVS) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	p, err := labInspect(ctx, h, "ipvs", m.inspectCmd(env))
	if err != nil {
		return Result{}, err
	}
	table := p.text("table")
	if !p.ok("table") {
		// In check mode an earlier task may only have reported that it
		// would install ipvsadm: the table is then empty, not an error.
		if !env.Check || p.rc["table"] != 127 {
			return Result{Failed: true, Msg: "ipvsadm -S -n failed (is ipvsadm installed and IPVS in the kernel?): " + table}, nil
		}
		table = ""
	}
	live, err := ParseIpvsadmSave(table)
	if err != nil {
		return Result{}, fmt.Errorf("parse ipvsadm -S -n: %w", err)
	}
	plan := m.plan(live, ipvsParseConns(p.text("conns")))
	persist := ipvsPersistence(labFamily(env, p.text("family")), labBool(m.Save, true))
	steps := slices.Concat(plan.cmds, persist.steps(p, plan.after, len(plan.cmds) > 0))

	data := map[string]any{
		"service":  m.want.String(),
		"live":     strings.Split(strings.TrimSpace(FormatIpvsadmSave(live)), "\n"),
		"commands": steps,
		"draining": plan.draining,
	}
	if cur, ok := ipvsFind(live, m.want.Key()); ok {
		data["current"] = cur.String()
	}
	res := Result{Changed: len(steps) > 0, Data: data, Msg: plan.msg()}
	if len(steps) == 0 || env.Check {
		return res, nil
	}
	steps = append([]string{"umask 022"}, steps...)
	if _, failed, err := labApplyScript(ctx, h, "ipvs", steps); err != nil || failed != nil {
		if failed != nil {
			failed.Data["live"] = data["live"]
			return *failed, nil
		}
		return Result{}, err
	}
	return res, nil
}

func (m *IPVS) inspectCmd(env *Env) string {
	svc := ipvsShellArgs(m.want.ServiceArgs())
	probes := []string{
		"[ -e /proc/net/ip_vs ] || modprobe ip_vs 2>/dev/null",
		labProbe("table", "ipvsadm -S -n 2>&1"),
		labProbe("sysctl", "{ read -r v </proc/sys/net/ipv4/vs/expire_nodest_conn; } 2>/dev/null && echo \"$v\""),
		labProbe("family", labFamilyProbe),
	}
	if m.Drain {
		probes = append(probes, labProbe("conns", "ipvsadm -L -n "+svc+" 2>/dev/null"))
	}
	if labBool(m.Save, true) {
		probes = append(probes, ipvsPersistProbes(labProbeFamilies(env))...)
	}
	return labProbes(probes...)
}

// ipvsPlan is the difference between the declared service and the live table.
type ipvsPlan struct {
	cmds     []string      // ipvsadm commands, in order
	after    []IPVSService // the table once cmds ran
	draining []string      // real servers at weight 0 still holding connections
	notes    []string
}

func (p ipvsPlan) msg() string { return strings.Join(p.notes, "; ") }

func (m *IPVS) plan(live []IPVSService, conns map[string]int) ipvsPlan {
	want := m.want
	svc := ipvsShellArgs(want.ServiceArgs())
	run := func(op string, args ...string) string { return "ipvsadm " + op + " " + svc + ipvsJoin(args) }
	var p ipvsPlan
	cur, exists := ipvsFind(live, want.Key())
	after := slices.DeleteFunc(slices.Clone(live), func(s IPVSService) bool { return s.Key() == want.Key() })
	if m.State == "absent" {
		if exists {
			p.cmds = append(p.cmds, run("-D"))
			p.notes = append(p.notes, "deleted "+want.Key())
		}
		p.after = after
		return p
	}
	final := want
	final.Dests = nil
	switch {
	case !exists:
		p.cmds = append(p.cmds, run("-A", want.SpecArgs()...))
		p.notes = append(p.notes, "added "+want.Key())
	case !cur.SameSpec(want):
		p.cmds = append(p.cmds, run("-E", want.SpecArgs()...))
		p.notes = append(p.notes, "edited "+want.Key())
	}
	for _, d := range want.Dests {
		old, ok := cur.Dest(d.Key())
		switch {
		case !ok:
			p.cmds = append(p.cmds, run("-a", d.DestArgs()...))
			p.notes = append(p.notes, "added "+d.Key())
		case old != d:
			p.cmds = append(p.cmds, run("-e", d.DestArgs()...))
			p.notes = append(p.notes, "edited "+d.Key())
		}
		final.Dests = append(final.Dests, d)
	}
	for _, d := range cur.Dests {
		if _, declared := want.Dest(d.Key()); declared {
			continue
		}
		switch {
		case m.Drain && d.Weight != 0:
			d.Weight = 0
			p.cmds = append(p.cmds, run("-e", d.DestArgs()...))
			p.notes = append(p.notes, "draining "+d.Key())
			final.Dests = append(final.Dests, d)
		case m.Drain && conns[d.Key()] > 0:
			p.draining = append(p.draining, d.Key())
			p.notes = append(p.notes, fmt.Sprintf("%s still draining (%d active)", d.Key(), conns[d.Key()]))
			final.Dests = append(final.Dests, d)
		default:
			p.cmds = append(p.cmds, run("-d", "-r", d.Addr.String()))
			p.notes = append(p.notes, "removed "+d.Key())
		}
	}
	p.after = append(after, final)
	return p
}

func ipvsFind(table []IPVSService, key string) (IPVSService, bool) {
	for _, s := range table {
		if s.Key() == key {
			return s, true
		}
	}
	return IPVSService{}, false
}

func ipvsShellArgs(a []string) string { return strings.TrimSpace(ipvsJoin(a)) }

func ipvsJoin(a []string) string {
	var b strings.Builder
	for _, s := range a {
		b.WriteString(" " + host.Quote(s))
	}
	return b.String()
}
