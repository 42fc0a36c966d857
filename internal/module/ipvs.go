package module

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"lvslab/internal/host"
	"lvslab/internal/ipvs"
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
// listed in /etc/modules-load.d and ipvsSysctls (expire_nodest_conn=1,
// conn_reuse_mode=3) in /etc/sysctl.d. The runtime sysctls are set whatever
// save says.
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
}

// IPVSRealServer is one real server as a task declares it.
type IPVSRealServer struct {
	Address    string `yaml:"address"`
	Port       *int   `yaml:"port"`       // default: the service port (0 for fwmark)
	Forwarding string `yaml:"forwarding"` // nat, dr (default, as ipvsadm) or tun
	Weight     *int   `yaml:"weight"`     // default 1
}

// ipvsWant is what an ipvs task wants: the service as ipvsadm will hold it.
type ipvsWant struct {
	svc    ipvs.Service
	absent bool
	drain  bool
	save   bool
}

// want parses and defaults the arguments, reporting every problem.
func (m *IPVS) want() (ipvsWant, error) {
	var p problems
	w := ipvsWant{absent: stateArg(m.State, &p) == "absent", drain: m.Drain, save: boolArg(m.Save, true)}
	s := ipvs.Service{Scheduler: orDefault(m.Scheduler, "wlc"), Persistent: m.Persistent}
	if !slices.Contains(ipvs.Schedulers, s.Scheduler) {
		p.add("unknown scheduler %q (one of %s)", s.Scheduler, strings.Join(ipvs.Schedulers, " "))
	}
	if m.FWMark != 0 {
		if m.Address != "" || m.Port != 0 || m.Protocol != "" {
			p.add("fwmark excludes address, port and protocol")
		}
		s.FWMark = m.FWMark
	} else {
		s.Protocol = orDefault(m.Protocol, "tcp")
		if !slices.Contains([]string{"tcp", "udp", "sctp"}, s.Protocol) {
			p.add("protocol must be tcp, udp or sctp, not %q", s.Protocol)
		}
		a, err := netip.ParseAddr(m.Address)
		switch {
		case m.Address == "":
			p.add("address (the VIP) or fwmark is required")
		case err != nil:
			p.add("address %q is not an IP address", m.Address)
		}
		if m.Port < 0 || m.Port > 65535 || (m.Port == 0 && m.Persistent == 0) {
			p.add("port must be 1-65535 (0 only with persistent), not %d", m.Port)
		}
		s.Addr = netip.AddrPortFrom(a.Unmap(), uint16(m.Port))
	}
	if m.Persistent < 0 || m.Persistent > ipvs.MaxPersistence {
		p.add("persistent must be 0-%d seconds, not %d", ipvs.MaxPersistence, m.Persistent)
	}
	if m.Netmask != "" {
		if m.Persistent == 0 {
			p.add("netmask needs persistent > 0")
		} else if nm, err := ipvs.ParseNetmask(m.Netmask, s.Addr.Addr().Is6()); err != nil {
			p.addErr(err)
		} else {
			s.Netmask = nm
		}
	}
	for i, rs := range m.RealServers {
		d, err := rs.dest(s)
		if err != nil {
			p.add("realservers[%d]: %w", i, err)
			continue
		}
		if _, dup := s.Dest(d.Key()); dup {
			p.add("realservers[%d]: %s listed twice", i, d.Key())
			continue
		}
		s.Dests = append(s.Dests, d)
	}
	w.svc = s
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *IPVS) Validate() error { _, err := m.want(); return err }

func (rs IPVSRealServer) dest(s ipvs.Service) (ipvs.Dest, error) {
	a, err := netip.ParseAddr(rs.Address)
	if err != nil {
		return ipvs.Dest{}, fmt.Errorf("address %q is not an IP address", rs.Address)
	}
	a = a.Unmap()
	d := ipvs.Dest{Forwarding: ipvs.Forwarding(orDefault(rs.Forwarding, string(ipvs.Direct))), Weight: 1}
	if !slices.Contains([]ipvs.Forwarding{ipvs.NAT, ipvs.Direct, ipvs.Tunnel}, d.Forwarding) {
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
		if s.FWMark == 0 && d.Forwarding != ipvs.NAT && *rs.Port != int(port) {
			return d, fmt.Errorf("a %s real server takes the service port %d, not %d (only nat maps ports)", d.Forwarding, port, *rs.Port)
		}
		port = uint16(*rs.Port)
	}
	v6 := s.Addr.Addr().Is6()
	if s.FWMark == 0 && a.Is6() != v6 && d.Forwarding != ipvs.Tunnel {
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
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "ipvs", w.inspectCmd(env))
	if err != nil {
		return Result{}, err
	}
	have, res, err := w.have(in, env)
	if err != nil || res.Failed {
		return res, err
	}
	plan := w.plan(have)
	persist := ipvsPersist{family: osFamily(env.Facts, in.text("family")), save: w.save}
	steps := slices.Concat(plan.cmds, persist.steps(in, plan.after, len(plan.cmds) > 0))
	data := map[string]any{
		"service":  w.svc.String(),
		"live":     strings.Split(strings.TrimSpace(ipvs.FormatSave(have.table)), "\n"),
		"commands": steps,
		"draining": plan.draining,
	}
	if cur, ok := have.table.Find(w.svc.Key()); ok {
		data["current"] = cur.String()
	}
	if len(steps) > 0 {
		steps = append([]string{"umask 022"}, steps...)
	}
	return runSteps(ctx, h, env, "ipvs", steps, Result{Changed: len(steps) > 0, Data: data, Msg: plan.msg()})
}

func (w ipvsWant) inspectCmd(env *Env) string {
	p := []string{
		"[ -e /proc/net/ip_vs ] || modprobe ip_vs 2>/dev/null",
		probe("table", "ipvsadm -S -n 2>&1"),
		probe("sysctl", ipvsSysctlProbe),
		probe("family", familyProbe),
	}
	if w.drain {
		p = append(p, probe("conns", "ipvsadm -L -n "+quoteWords(w.svc.ServiceArgs())+" 2>/dev/null"))
	}
	if w.save {
		p = append(p, ipvsPersistProbes(probeFamilies(env.Facts))...)
	}
	return probes(p...)
}

// ipvsHave is the live state an ipvs task is diffed against.
type ipvsHave struct {
	table ipvs.Table
	conns ipvs.Service // the service as ipvsadm -L -n listed it, with connection counts (drain)
}

// have reads the inspection; the Result fails the task when the table
// cannot be read.
func (w ipvsWant) have(in inspection, env *Env) (ipvsHave, Result, error) {
	var have ipvsHave
	text := in.text("table")
	if !in.ok("table") {
		// In check mode an earlier task may only have reported that it
		// would install ipvsadm: the table is then empty, not an error.
		if !env.Check || in.rc["table"] != 127 {
			return have, Result{Failed: true, Msg: "ipvsadm -S -n failed (is ipvsadm installed and IPVS in the kernel?): " + text}, nil
		}
		text = ""
	}
	var err error
	if have.table, err = ipvs.ParseSave(text); err != nil {
		return have, Result{}, fmt.Errorf("parse ipvsadm -S -n: %w", err)
	}
	if w.drain {
		listed, err := ipvs.ParseList(in.text("conns"))
		if err != nil {
			return have, Result{}, fmt.Errorf("parse ipvsadm -L -n: %w", err)
		}
		have.conns, _ = listed.Find(w.svc.Key())
	}
	return have, Result{}, nil
}

// ipvsPlan is the difference between the declared service and the live table.
type ipvsPlan struct {
	cmds     []string   // ipvsadm commands, in order
	after    ipvs.Table // the table once cmds ran
	draining []string   // real servers at weight 0 still holding connections
	notes    []string
}

func (p ipvsPlan) msg() string { return strings.Join(p.notes, "; ") }

func (w ipvsWant) plan(have ipvsHave) ipvsPlan {
	want := w.svc
	run := func(op string, args ...string) string {
		return "ipvsadm " + quoteWords(slices.Concat([]string{op}, want.ServiceArgs(), args))
	}
	var p ipvsPlan
	cur, exists := have.table.Find(want.Key())
	after := slices.DeleteFunc(slices.Clone(have.table), func(s ipvs.Service) bool { return s.Key() == want.Key() })
	if w.absent {
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
			p.cmds = append(p.cmds, run("-a", d.Args()...))
			p.notes = append(p.notes, "added "+d.Key())
		case !old.Equal(d):
			p.cmds = append(p.cmds, run("-e", d.Args()...))
			p.notes = append(p.notes, "edited "+d.Key())
		}
		final.Dests = append(final.Dests, d)
	}
	for _, d := range cur.Dests {
		if _, declared := want.Dest(d.Key()); declared {
			continue
		}
		listed, _ := have.conns.Dest(d.Key())
		switch {
		case w.drain && d.Weight != 0:
			d.Weight = 0
			p.cmds = append(p.cmds, run("-e", d.Args()...))
			p.notes = append(p.notes, "draining "+d.Key())
			final.Dests = append(final.Dests, d)
		case w.drain && listed.ActiveConns > 0:
			p.draining = append(p.draining, d.Key())
			p.notes = append(p.notes, fmt.Sprintf("%s still draining (%d active)", d.Key(), listed.ActiveConns))
			final.Dests = append(final.Dests, d)
		default:
			p.cmds = append(p.cmds, run("-d", "-r", d.Addr.String()))
			p.notes = append(p.notes, "removed "+d.Key())
		}
	}
	p.after = append(after, final)
	return p
}
