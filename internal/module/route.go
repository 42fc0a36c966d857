package module

import (
	"context"
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

	prevFile string // where the replaced default route is kept; "" is routePrevFile (tests change it)
}

// routeWant is the route a route task wants: its arguments with the
// defaults filled in, and the destination as a prefix.
type routeWant struct {
	Route
	dest netip.Prefix
}

// want defaults and checks the arguments, reporting every problem.
func (m *Route) want() (routeWant, error) {
	var p problems
	w := routeWant{Route: *m}
	w.State = stateArg(m.State, &p)
	w.prevFile = orDefault(m.prevFile, routePrevFile)
	var gw netip.Addr
	if m.Gateway != "" {
		var err error
		if gw, err = netip.ParseAddr(m.Gateway); err != nil {
			p.add("gateway %q is not an IP address", m.Gateway)
		}
	}
	switch d, err := routeParseDest(m.Destination, gw.Is6()); {
	case m.Destination == "":
		p.add("destination is required (default, a prefix or a host)")
	case err != nil:
		p.addErr(err)
	default:
		w.dest = d
		if gw.IsValid() && gw.Is6() != d.Addr().Is6() {
			p.add("gateway %s and destination %s are of different families", gw, d)
		}
	}
	if m.Device != "" && (!ifName(m.Device) || strings.Contains(m.Device, ":")) {
		p.add("device must be an interface name such as eth0 (not a label like eth0:0), not %q", m.Device)
	}
	if m.Gateway == "" && m.Device == "" {
		p.add("gateway or device is required")
	}
	if m.Metric != nil && (*m.Metric < 0 || *m.Metric > 1<<31-1) {
		p.add("metric must not be negative")
	}
	if m.Restore && (w.State != "absent" || w.dest.Bits() != 0) {
		p.add("restore goes with state absent and destination default")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Route) Validate() error { _, err := m.want(); return err }

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
func (w routeWant) destArg() string {
	if w.dest.Bits() == 0 {
		return "default"
	}
	return w.dest.String()
}

func (w routeWant) ip() string {
	if w.dest.Addr().Is6() {
		return "ip -6 route "
	}
	return "ip route "
}

// unit returns the name of the systemd unit that persists the route.
func (w routeWant) unit() string {
	return "lvslab-route-" + strings.ReplaceAll(w.destArg(), "/", "-") + ".service"
}

func (w routeWant) args() string {
	a := []string{w.destArg()}
	if w.Gateway != "" {
		a = append(a, "via", w.Gateway)
	}
	if w.Device != "" {
		a = append(a, "dev", w.Device)
	}
	if w.Metric != nil {
		a = append(a, "metric", strconv.Itoa(*w.Metric))
	}
	return quoteWords(a)
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

func (w routeWant) matches(r routeLive) bool {
	metric := orDefault(r.fields["metric"], "0")
	return r.fields["via"] == w.Gateway && (w.Device == "" || r.fields["dev"] == w.Device) &&
		((w.Metric == nil && (w.dest.Addr().Is6() || metric == "0")) || (w.Metric != nil && metric == strconv.Itoa(*w.Metric)))
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
	return quoteWords(a)
}

// Apply converges the route: one inspect command, then at most one command.
func (m *Route) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	p := []string{probe("routes", w.ip()+"show exact "+host.Quote(w.destArg())+" 2>&1")}
	if w.dest.Bits() == 0 {
		p = append(p, probe("prev", catFile(w.prevFile)))
	}
	in, err := inspect(ctx, h, "route", probes(append(p, unitProbes(w.unit())...)...))
	if err != nil {
		return Result{}, err
	}
	if !in.ok("routes") {
		return Result{Failed: true, Msg: fmt.Sprintf("ip route show exact %s: %s", w.destArg(), in.text("routes")), Data: map[string]any{}}, nil
	}
	routes := routeParse(in.text("routes"))
	steps := w.plan(in, routes)
	data := map[string]any{"routes": routeLines(routes), "commands": steps}
	if in.ok("prev") {
		data["previous"] = in.text("prev")
	}
	return runSteps(ctx, h, env, "route", steps, Result{Changed: len(steps) > 0, Data: data})
}

// plan returns the steps that converge the route, given the routes to its
// destination the host has.
func (w routeWant) plan(in inspection, routes []routeLive) []string {
	var current *routeLive
	for i := range routes {
		if w.matches(routes[i]) {
			current = &routes[i]
		}
	}
	var steps []string
	switch {
	case w.State == "present" && current == nil:
		if w.dest.Bits() == 0 {
			prev := host.Quote(w.prevFile)
			steps = append(steps, "mkdir -p "+host.Quote(w.prevFile[:strings.LastIndex(w.prevFile, "/")+1]),
				"{ [ -e "+prev+" ] || printf '%s\\n' "+host.Quote(w.previous(routes))+" > "+prev+"; }")
		}
		steps = append(steps, w.ip()+"replace "+w.args())
	case w.State == "absent" && current != nil:
		steps = append(steps, w.ip()+"del "+w.args())
	}
	steps = append(steps, unitSteps(in, w.unit(), w.unitText(), w.State == "present" && boolArg(w.Persist, true))...)
	if w.Restore && in.ok("prev") {
		if prev := routeReplaceArgs(in.text("prev")); prev != "" {
			steps = append(steps, w.ip()+"replace "+prev)
		}
		steps = append(steps, "rm -f "+host.Quote(w.prevFile))
	}
	return steps
}

// previous returns the route that replace is about to override: the one with
// the declared metric, else the best (lowest metric) one, else "".
func (w routeWant) previous(routes []routeLive) string {
	want := "0"
	if w.Metric != nil {
		want = strconv.Itoa(*w.Metric)
	}
	best, bestMetric := "", -1
	for _, r := range routes {
		metric := orDefault(r.fields["metric"], "0")
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

func (w routeWant) unitText() string {
	return unitText("lvslab route "+w.destArg(), "/sbin/"+w.ip()+"replace "+w.args(), "/sbin/"+w.ip()+"del "+w.args())
}
