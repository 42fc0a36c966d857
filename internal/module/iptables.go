package module

import (
	"context"
	"errors"
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

// Validate fills defaults and checks the rule.
func (m *IPTables) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := labState(&m.State); err != nil {
		errs = append(errs, err)
	}
	if m.Table == "" {
		m.Table = "filter"
	}
	if !slices.Contains(iptTables, m.Table) {
		bad("table must be one of %s, not %q", strings.Join(iptTables, " "), m.Table)
	}
	if m.Action == "" {
		m.Action = "append"
	}
	if m.Action != "append" && m.Action != "insert" {
		bad("action must be append or insert, not %q", m.Action)
	}
	if m.IPVersion == "" {
		m.IPVersion = "ipv4"
	}
	if m.IPVersion != "ipv4" && m.IPVersion != "ipv6" {
		bad("ip_version must be ipv4 or ipv6, not %q", m.IPVersion)
	}
	if !iptWord(m.Chain) {
		bad("chain is required (a chain name such as INPUT or PREROUTING), not %q", m.Chain)
	}
	if !iptWord(m.Jump) {
		bad("jump is required (ACCEPT, DROP, MARK, DNAT, SNAT, MASQUERADE, a chain...), not %q", m.Jump)
	}
	if m.Protocol != "" && !iptWord(m.Protocol) {
		bad("bad protocol %q", m.Protocol)
	}
	for _, a := range []struct{ name, v string }{{"source", m.Source}, {"destination", m.Destination}} {
		if a.v != "" && !iptAddr(strings.TrimPrefix(a.v, "!"), m.IPVersion) {
			bad("%s %q is not an %s address or prefix", a.name, a.v, m.IPVersion)
		}
	}
	for _, a := range []struct{ name, v string }{{"source_port", m.SourcePort}, {"destination_port", m.DestinationPort}} {
		if a.v == "" {
			continue
		}
		if !iptPortSpec(a.v) {
			bad("%s %q is not a port or a port range a:b", a.name, a.v)
		}
		if !slices.Contains([]string{"tcp", "udp", "sctp", "udplite", "dccp"}, m.Protocol) {
			bad("%s needs protocol tcp, udp or sctp", a.name)
		}
	}
	for _, a := range []struct{ name, v string }{{"in_interface", m.InInterface}, {"out_interface", m.OutInterface}} {
		if a.v != "" && !labIfName(strings.TrimSuffix(strings.TrimPrefix(a.v, "!"), "+")) {
			bad("bad %s %q", a.name, a.v)
		}
	}
	if (m.SetMark != "") != (m.Jump == "MARK") {
		bad("set_mark goes with jump MARK (and MARK needs set_mark)")
	} else if m.SetMark != "" && !iptMark(m.SetMark) {
		bad("set_mark %q is not a number or number/mask", m.SetMark)
	}
	if (m.ToDestination != "") != (m.Jump == "DNAT") {
		bad("to_destination goes with jump DNAT (and DNAT needs to_destination)")
	}
	if (m.ToSource != "") != (m.Jump == "SNAT") {
		bad("to_source goes with jump SNAT (and SNAT needs to_source)")
	}
	for _, v := range []string{m.ToDestination, m.ToSource} {
		if v != "" && strings.ContainsAny(v, " \t\n'\"\\$`;&|<>") {
			bad("bad nat address %q", v)
		}
	}
	if strings.ContainsAny(m.Comment, "\n\x00") || len(m.Comment) > 255 {
		bad("comment must be one line of at most 255 bytes")
	}
	return errors.Join(errs...)
}

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

func (m *IPTables) bin() string {
	if m.IPVersion == "ipv6" {
		return "ip6tables"
	}
	return "iptables"
}

func (m *IPTables) cmd(op string) string {
	return m.bin() + " -t " + m.Table + " " + op + " " + host.Quote(m.Chain) + ipvsJoin(m.RuleSpec())
}

// iptSaveFilter drops comments and counters, so that a save and the saved file compare equal.
const iptSaveFilter = `sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]$//'`

func (m *IPTables) savePaths(family string) (rules, persister string) {
	v := map[string]string{"ipv4": "4", "ipv6": "6"}[m.IPVersion]
	switch {
	case m.rulesPath != "":
		rules, persister = m.rulesPath, "true"
	case family == "RedHat" && v == "4":
		rules, persister = "/etc/sysconfig/iptables", "test -f /usr/lib/systemd/system/iptables.service"
	case family == "RedHat":
		rules, persister = "/etc/sysconfig/ip6tables", "test -f /usr/lib/systemd/system/ip6tables.service"
	default:
		rules, persister = "/etc/iptables/rules.v"+v, "test -x /usr/sbin/netfilter-persistent"
	}
	return rules, persister
}

func (m *IPTables) inspectCmd(env *Env) string {
	probes := []string{labProbe("check", m.cmd("-C")+" 2>&1")}
	if labBool(m.Save, true) {
		save := m.bin() + "-save"
		probes = append(probes, labProbe("family", labFamilyProbe),
			labProbe("running", save+" 2>/dev/null | "+iptSaveFilter+" | cksum"))
		for _, fam := range m.families(env) {
			rules, persister := m.savePaths(fam)
			probes = append(probes,
				labProbe("saved_"+fam, iptSaveFilter+" "+host.Quote(rules)+" 2>/dev/null | cksum"),
				labProbe("persister_"+fam, persister))
		}
	}
	return labProbes(probes...)
}

// families returns the families to probe: the gathered one, or both; the
// host's one alone when the rules file is given.
func (m *IPTables) families(env *Env) []string {
	if m.rulesPath != "" {
		return []string{labFamily(env, "")}
	}
	return labProbeFamilies(env)
}

// Apply converges the rule: one inspect command, then at most one command.
func (m *IPTables) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	p, err := labInspect(ctx, h, "iptables", m.inspectCmd(env))
	if err != nil {
		return Result{}, err
	}
	rc, ran := p.rc["check"]
	if ran && rc == 127 && env.Check {
		// In check mode an earlier task may only have reported that it
		// would install iptables: no rule exists yet.
		rc = 1
	}
	if !ran || rc > 1 {
		return Result{Failed: true, Msg: fmt.Sprintf("iptables -C failed (rc %d): %s", rc, p.text("check"))}, nil
	}
	exists := rc == 0
	var steps []string
	switch {
	case m.State == "present" && !exists && m.Action == "insert":
		steps = append(steps, m.cmd("-I"))
	case m.State == "present" && !exists:
		steps = append(steps, m.cmd("-A"))
	case m.State == "absent" && exists:
		steps = append(steps, m.cmd("-D"))
	}
	data := map[string]any{"rule": m.cmd("-A"), "existed": exists}
	var warnings []string
	if labBool(m.Save, true) {
		fam := labFamily(env, p.text("family"))
		rules, _ := m.savePaths(fam)
		if len(steps) > 0 || p.text("running") != p.text("saved_"+fam) {
			save := m.bin() + "-save"
			dir := rules[:strings.LastIndex(rules, "/")+1]
			steps = append(steps, "umask 077", "mkdir -p "+host.Quote(dir),
				save+" > "+host.Quote(rules+".lvslab-tmp"), "mv -f "+host.Quote(rules+".lvslab-tmp")+" "+host.Quote(rules))
		}
		if !p.ok("persister_" + fam) {
			pkg := "iptables-persistent (netfilter-persistent)"
			if fam == "RedHat" {
				pkg = "iptables-services and enable " + m.bin() + ".service"
			}
			warnings = append(warnings, fmt.Sprintf("%s is not restored at boot: install %s", rules, pkg))
		}
	}
	data["commands"], data["warnings"] = steps, warnings
	res := Result{Changed: len(steps) > 0, Data: data, Msg: strings.Join(warnings, "; ")}
	if len(steps) == 0 || env.Check {
		return res, nil
	}
	if _, failed, err := labApplyScript(ctx, h, "iptables", steps); err != nil || failed != nil {
		if failed != nil {
			return *failed, nil
		}
		return Result{}, err
	}
	return res, nil
}
