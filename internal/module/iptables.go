package module

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// IPTables declares one iptables rule, present or absent, checked with
// `iptables -C` so that it is idempotent.
//
// With save (the default) the whole ruleset is saved with iptables-save after
// a change, and whenever the saved file no longer matches the running rules:
// Debian /etc/iptables/rules.v4 (rules.v6), restored at boot by
// netfilter-persistent from the iptables-persistent package; RedHat
// /etc/sysconfig/iptables (ip6tables), restored by iptables.service from
// iptables-services. This module does not install those packages; when they
// are missing the result carries a warning. Files are written 0600.
//
// An absent rule that was added several times loses one copy per run.
type IPTables struct {
	Table           string `yaml:"table"` // default filter
	Chain           string `yaml:"chain"`
	Action          string `yaml:"action"`     // append (-A, default) or insert (-I)
	IPVersion       string `yaml:"ip_version"` // ipv4 (default) or ipv6
	Protocol        string `yaml:"protocol"`
	Source          string `yaml:"source"`
	Destination     string `yaml:"destination"`
	SourcePort      string `yaml:"source_port"`
	DestinationPort string `yaml:"destination_port"`
	InInterface     string `yaml:"in_interface"`
	OutInterface    string `yaml:"out_interface"`
	Jump            string `yaml:"jump"`
	SetMark         string `yaml:"set_mark"`
	ToDestination   string `yaml:"to_destination"`
	ToSource        string `yaml:"to_source"`
	Comment         string `yaml:"comment"`
	State           string `yaml:"state"`
	Save            *bool  `yaml:"save"`

	rulesPath string // where save writes; tests override it
}

var iptTables = []string{"filter", "nat", "mangle", "raw", "security"}

// iptablesWant is the rule an iptables task wants: its arguments with
// the defaults filled in.
type iptablesWant struct{ IPTables }

// want defaults and checks the arguments, reporting every problem.
func (m *IPTables) want() (iptablesWant, error) {
	var p problems
	w := iptablesWant{*m}
	w.State = stateArg(m.State, &p)
	w.Table = orDefault(m.Table, "filter")
	w.Action = orDefault(m.Action, "append")
	w.IPVersion = orDefault(m.IPVersion, "ipv4")
	if !slices.Contains(iptTables, w.Table) {
		p.add("table must be one of %s, not %q", strings.Join(iptTables, " "), w.Table)
	}
	if w.Action != "append" && w.Action != "insert" {
		p.add("action must be append or insert, not %q", w.Action)
	}
	if w.IPVersion != "ipv4" && w.IPVersion != "ipv6" {
		p.add("ip_version must be ipv4 or ipv6, not %q", w.IPVersion)
	}
	if !iptWord(m.Chain) {
		p.add("chain is required (a chain name such as INPUT or PREROUTING), not %q", m.Chain)
	}
	if !iptWord(m.Jump) {
		p.add("jump is required (ACCEPT, DROP, MARK, DNAT, SNAT, MASQUERADE, a chain...), not %q", m.Jump)
	}
	if m.Protocol != "" && !iptWord(m.Protocol) {
		p.add("bad protocol %q", m.Protocol)
	}
	for _, a := range []struct{ name, v string }{{"source", m.Source}, {"destination", m.Destination}} {
		if a.v != "" && !iptAddr(strings.TrimPrefix(a.v, "!"), w.IPVersion) {
			p.add("%s %q is not an %s address or prefix", a.name, a.v, w.IPVersion)
		}
	}
	for _, a := range []struct{ name, v string }{{"source_port", m.SourcePort}, {"destination_port", m.DestinationPort}} {
		if a.v == "" {
			continue
		}
		if !iptPortSpec(a.v) {
			p.add("%s %q is not a port or a port range a:b", a.name, a.v)
		}
		if !slices.Contains([]string{"tcp", "udp", "sctp", "udplite", "dccp"}, m.Protocol) {
			p.add("%s needs protocol tcp, udp or sctp", a.name)
		}
	}
	for _, a := range []struct{ name, v string }{{"in_interface", m.InInterface}, {"out_interface", m.OutInterface}} {
		if a.v != "" && !ifName(strings.TrimSuffix(strings.TrimPrefix(a.v, "!"), "+")) {
			p.add("bad %s %q", a.name, a.v)
		}
	}
	if (m.SetMark != "") != (m.Jump == "MARK") {
		p.add("set_mark goes with jump MARK (and MARK needs set_mark)")
	} else if m.SetMark != "" && !iptMark(m.SetMark) {
		p.add("set_mark %q is not a number or number/mask", m.SetMark)
	}
	if (m.ToDestination != "") != (m.Jump == "DNAT") {
		p.add("to_destination goes with jump DNAT (and DNAT needs to_destination)")
	}
	if (m.ToSource != "") != (m.Jump == "SNAT") {
		p.add("to_source goes with jump SNAT (and SNAT needs to_source)")
	}
	for _, v := range []string{m.ToDestination, m.ToSource} {
		if v != "" && strings.ContainsAny(v, " \t\n'\"\\$`;&|<>") {
			p.add("bad nat address %q", v)
		}
	}
	if strings.ContainsAny(m.Comment, "\n\x00") || len(m.Comment) > 255 {
		p.add("comment must be one line of at most 255 bytes")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *IPTables) Validate() error { _, err := m.want(); return err }

func iptWord(s string) bool {
	if s == "" || len(s) > 28 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return false
		}
	}
	return true
}

func iptAddr(s, version string) bool {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr().Is6() == (version == "ipv6")
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() == (version == "ipv6")
}

func iptPortSpec(s string) bool {
	for _, p := range strings.SplitN(strings.TrimPrefix(s, "!"), ":", 2) {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 65535 {
			return false
		}
	}
	return true
}

func iptMark(s string) bool {
	for _, p := range strings.SplitN(s, "/", 2) {
		if _, err := strconv.ParseUint(p, 0, 32); err != nil {
			return false
		}
	}
	return true
}

// RuleSpec returns the rule's match and target arguments, as given to -A, -C and -D.
func (m *IPTables) RuleSpec() []string {
	var a []string
	neg := func(flag, v string) {
		if rest, ok := strings.CutPrefix(v, "!"); ok {
			a = append(a, "!", flag, rest)
		} else {
			a = append(a, flag, v)
		}
	}
	if m.Protocol != "" {
		a = append(a, "-p", m.Protocol)
	}
	for _, o := range []struct{ flag, v string }{{"-s", m.Source}, {"-d", m.Destination},
		{"-i", m.InInterface}, {"-o", m.OutInterface}, {"--sport", m.SourcePort}, {"--dport", m.DestinationPort}} {
		if o.v != "" {
			neg(o.flag, o.v)
		}
	}
	if m.Comment != "" {
		a = append(a, "-m", "comment", "--comment", m.Comment)
	}
	a = append(a, "-j", m.Jump)
	for _, o := range []struct{ flag, v string }{{"--set-mark", m.SetMark}, {"--to-destination", m.ToDestination}, {"--to-source", m.ToSource}} {
		if o.v != "" {
			a = append(a, o.flag, o.v)
		}
	}
	return a
}

func (w iptablesWant) bin() string {
	if w.IPVersion == "ipv6" {
		return "ip6tables"
	}
	return "iptables"
}

func (w iptablesWant) cmd(op string) string {
	return w.bin() + " -t " + w.Table + " " + op + " " + host.Quote(w.Chain) + " " + quoteWords(w.RuleSpec())
}

// iptSaveFilter drops comments and counters, so that a save and the saved file compare equal.
const iptSaveFilter = `sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]$//'`

func (w iptablesWant) savePaths(family string) (rules, persister string) {
	v := map[string]string{"ipv4": "4", "ipv6": "6"}[w.IPVersion]
	switch {
	case w.rulesPath != "":
		rules, persister = w.rulesPath, "true"
	case family == "RedHat" && v == "4":
		rules, persister = "/etc/sysconfig/iptables", "test -f /usr/lib/systemd/system/iptables.service"
	case family == "RedHat":
		rules, persister = "/etc/sysconfig/ip6tables", "test -f /usr/lib/systemd/system/ip6tables.service"
	default:
		rules, persister = "/etc/iptables/rules.v"+v, "test -x /usr/sbin/netfilter-persistent"
	}
	return rules, persister
}

func (w iptablesWant) inspectCmd(env *Env) string {
	p := []string{probe("check", w.cmd("-C")+" 2>&1")}
	if boolArg(w.Save, true) {
		save := w.bin() + "-save"
		p = append(p, probe("family", familyProbe),
			probe("running", save+" 2>/dev/null | "+iptSaveFilter+" | cksum"))
		for _, fam := range w.families(env) {
			rules, persister := w.savePaths(fam)
			p = append(p,
				probe("saved_"+fam, iptSaveFilter+" "+host.Quote(rules)+" 2>/dev/null | cksum"),
				probe("persister_"+fam, persister))
		}
	}
	return probes(p...)
}

// families returns the families to probe: the gathered one, or both; the
// host's one alone when the rules file is given.
func (w iptablesWant) families(env *Env) []string {
	if w.rulesPath != "" {
		return []string{osFamily(env.Facts, "")}
	}
	return probeFamilies(env.Facts)
}

// Apply converges the rule: one inspect command, then at most one command.
func (m *IPTables) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "iptables", w.inspectCmd(env))
	if err != nil {
		return Result{}, err
	}
	rc, ran := in.rc["check"]
	if ran && rc == 127 && env.Check {
		// In check mode an earlier task may only have reported that it
		// would install iptables: no rule exists yet.
		rc = 1
	}
	if !ran || rc > 1 {
		return Result{Failed: true, Msg: fmt.Sprintf("iptables -C failed (rc %d): %s", rc, in.text("check"))}, nil
	}
	steps, warnings := w.plan(in, rc == 0, osFamily(env.Facts, in.text("family")))
	data := map[string]any{"rule": w.cmd("-A"), "existed": rc == 0, "commands": steps, "warnings": warnings}
	return runSteps(ctx, h, env, "iptables", steps, Result{Changed: len(steps) > 0, Data: data, Msg: strings.Join(warnings, "; ")})
}

// plan returns the steps that converge the rule (exists says whether
// iptables -C found it) and its save on family, and what to warn about.
func (w iptablesWant) plan(in inspection, exists bool, family string) (steps, warnings []string) {
	switch {
	case w.State == "present" && !exists && w.Action == "insert":
		steps = append(steps, w.cmd("-I"))
	case w.State == "present" && !exists:
		steps = append(steps, w.cmd("-A"))
	case w.State == "absent" && exists:
		steps = append(steps, w.cmd("-D"))
	}
	if !boolArg(w.Save, true) {
		return steps, nil
	}
	rules, _ := w.savePaths(family)
	if len(steps) > 0 || in.text("running") != in.text("saved_"+family) {
		save := w.bin() + "-save"
		dir := rules[:strings.LastIndex(rules, "/")+1]
		steps = append(steps, "umask 077", "mkdir -p "+host.Quote(dir),
			save+" > "+host.Quote(rules+".lvslab-tmp"), "mv -f "+host.Quote(rules+".lvslab-tmp")+" "+host.Quote(rules))
	}
	if !in.ok("persister_" + family) {
		pkg := "iptables-persistent (netfilter-persistent)"
		if family == "RedHat" {
			pkg = "iptables-services and enable " + w.bin() + ".service"
		}
		warnings = append(warnings, fmt.Sprintf("%s is not restored at boot: install %s", rules, pkg))
	}
	return steps, warnings
}
