package module

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// routePrevFile keeps the default route that a route task replaced, so that
// state absent with restore puts it back (the NAT real servers' gateway).
const routePrevFile = "/var/lib/lvslab/route-default.prev"

// Route declares a route: the default gateway or a network or host route.
//
// A present route is installed with `ip route replace`. Replacing the
// default route first records the previous one in routePrevFile (only the
// first time, so that repeated changes keep the original); state absent with
// restore deletes the declared route, puts the recorded one back and removes
// the record. With persist (the default) a systemd unit
// lvslab-route-<dest>.service replaces the route at boot.
type Route struct {
	Destination string `yaml:"destination"` // default, a prefix, or a host address
	Gateway     string `yaml:"gateway"`
	Device      string `yaml:"device"`
	Metric      *int   `yaml:"metric"` // default 0 (ipv4); any for ipv6
	State       string `yaml:"state"`
	Persist     *bool  `yaml:"persist"`
	Restore     bool   `yaml:"restore"` // with state absent and destination default

	dest     netip.Prefix
	prevFile string // routePrevFile; tests override it
}

// Validate fills defaults and checks the route.
func (m *Route) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := labState(&m.State); err != nil {
		errs = append(errs, err)
	}
	var gw netip.Addr
	if m.Gateway != "" {
		var err error
		if gw, err = netip.ParseAddr(m.Gateway); err != nil {
			bad("gateway %q is not an IP address", m.Gateway)
		}
	}
	switch d, err := routeParseDest(m.Destination, gw.Is6()); {
	case m.Destination == "":
		bad("destination is required (default, a prefix or a host)")
	case err != nil:
		errs = append(errs, err)
	default:
		m.dest = d
		if gw.IsValid() && gw.Is6() != d.Addr().Is6() {
			bad("gateway %s and destination %s are of different families", gw, d)
		}
	}
	if m.Device != "" && (!labIfName(m.Device) || strings.Contains(m.Device, ":")) {
		bad("device must be an interface name such as eth0 (not a label like eth0:0), not %q", m.Device)
	}
	if m.Gateway == "" && m.Device == "" {
		bad("gateway or device is required")
	}
	if m.Metric != nil && (*m.Metric < 0 || *m.Metric > 1<<31-1) {
		bad("metric must not be negative")
	}
	if m.Restore && (m.State != "absent" || m.dest.Bits() != 0) {
		bad("restore goes with state absent and destination default")
	}
	m.prevFile = routePrevFile
	return errors.Join(errs...)
}

func routeParseDest(s string, v6 bool) (netip.Prefix, error) {
	if s == "default" {
		if v6 {
			return netip.MustParsePrefix("::/0"), nil
		}
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("destination %q is not default, a prefix or an address", s)
}

// destArg returns the destination as ip route takes it.
func (m *Route) destArg() string {
	if m.dest.Bits() == 0 {
		return "default"
	}
	return m.dest.String()
}

func (m *Route) ip() string {
	if m.dest.Addr().Is6() {
		return "ip -6 route "
	}
	return "ip route "
}

// Unit returns the name of the systemd unit that persists the route.
func (m *Route) Unit() string {
	return "lvslab-route-" + strings.ReplaceAll(m.destArg(), "/", "-") + ".service"
}

func (m *Route) args() string {
	a := []string{m.destArg()}
	if m.Gateway != "" {
		a = append(a, "via", m.Gateway)
	}
	if m.Device != "" {
		a = append(a, "dev", m.Device)
	}
	if m.Metric != nil {
		a = append(a, "metric", strconv.Itoa(*m.Metric))
	}
	return strings.TrimSpace(ipvsJoin(a))
}

// routeLive is one route as `ip route show` prints it: its line and fields.
type routeLive struct {
	line   string
	fields map[string]string // via, dev, metric, proto, src, scope, table
}

var routeKeys = map[string]bool{"via": true, "dev": true, "metric": true, "proto": true, "src": true, "scope": true, "table": true}

func routeParse(out string) []routeLive {
	var routes []routeLive
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		r := routeLive{line: strings.TrimSpace(line), fields: map[string]string{}}
		for i := 1; i+1 < len(f); i++ {
			if routeKeys[f[i]] {
				r.fields[f[i]] = f[i+1]
				i++
			}
		}
		routes = append(routes, r)
	}
	return routes
}

func (m *Route) matches(r routeLive) bool {
	metric := r.fields["metric"]
	if metric == "" {
		metric = "0"
	}
	return r.fields["via"] == m.Gateway && (m.Device == "" || r.fields["dev"] == m.Device) &&
		((m.Metric == nil && (m.dest.Addr().Is6() || metric == "0")) || (m.Metric != nil && metric == strconv.Itoa(*m.Metric)))
}

// routeReplaceArgs rebuilds `ip route replace` arguments from a recorded route line.
func routeReplaceArgs(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	a := []string{f[0]}
	for i := 1; i < len(f); i++ {
		switch {
		case routeKeys[f[i]] && i+1 < len(f):
			a = append(a, f[i], f[i+1])
			i++
		case f[i] == "onlink":
			a = append(a, f[i])
		}
	}
	return strings.TrimSpace(ipvsJoin(a))
}

// Apply converges the route: one inspect command, then at most one command.
func (m *Route) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	probes := []string{labProbe("routes", m.ip()+"show exact "+host.Quote(m.destArg())+" 2>&1")}
	if m.dest.Bits() == 0 {
		probes = append(probes, labProbe("prev", labCat(m.prevFile)))
	}
	p, err := labInspect(ctx, h, "route", labProbes(append(probes, labUnitProbes(m.Unit())...)...))
	if err != nil {
		return Result{}, err
	}
	if !p.ok("routes") {
		return Result{Failed: true, Msg: fmt.Sprintf("ip route show exact %s: %s", m.destArg(), p.text("routes")), Data: map[string]any{}}, nil
	}
	routes := routeParse(p.text("routes"))
	var current *routeLive
	for i := range routes {
		if m.matches(routes[i]) {
			current = &routes[i]
		}
	}
	var steps []string
	switch {
	case m.State == "present" && current == nil:
		if m.dest.Bits() == 0 {
			prev := host.Quote(m.prevFile)
			steps = append(steps, "mkdir -p "+host.Quote(m.prevFile[:strings.LastIndex(m.prevFile, "/")+1]),
				"{ [ -e "+prev+" ] || printf '%s\\n' "+host.Quote(m.previous(routes))+" > "+prev+"; }")
		}
		steps = append(steps, m.ip()+"replace "+m.args())
	case m.State == "absent" && current != nil:
		steps = append(steps, m.ip()+"del "+m.args())
	}
	steps = append(steps, labUnitSteps(p, m.Unit(), m.unitText(), m.State == "present" && labBool(m.Persist, true))...)
	if m.Restore && p.ok("prev") {
		if prev := routeReplaceArgs(p.text("prev")); prev != "" {
			steps = append(steps, m.ip()+"replace "+prev)
		}
		steps = append(steps, "rm -f "+host.Quote(m.prevFile))
	}
	data := map[string]any{"routes": routeLines(routes), "commands": steps}
	if p.ok("prev") {
		data["previous"] = p.text("prev")
	}
	res := Result{Changed: len(steps) > 0, Data: data}
	if len(steps) == 0 || env.Check {
		return res, nil
	}
	if _, failed, err := labApplyScript(ctx, h, "route", steps); err != nil || failed != nil {
		if failed != nil {
			return *failed, nil
		}
		return Result{}, err
	}
	return res, nil
}

// previous returns the route that replace is about to override: the one with
// the declared metric, else the best (lowest metric) one, else "".
func (m *Route) previous(routes []routeLive) string {
	want := "0"
	if m.Metric != nil {
		want = strconv.Itoa(*m.Metric)
	}
	best, bestMetric := "", -1
	for _, r := range routes {
		metric := r.fields["metric"]
		if metric == "" {
			metric = "0"
		}
		if metric == want {
			return r.line
		}
		if n, err := strconv.Atoi(metric); err == nil && (bestMetric < 0 || n < bestMetric) {
			best, bestMetric = r.line, n
		}
	}
	return best
}

func routeLines(routes []routeLive) []string {
	lines := make([]string, 0, len(routes))
	for _, r := range routes {
		lines = append(lines, r.line)
	}
	return lines
}

func (m *Route) unitText() string {
	return labUnitText("lvslab route "+m.destArg(), "/sbin/"+m.ip()+"replace "+m.args(), "/sbin/"+m.ip()+"del "+m.args())
}
