package loadrun

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"lvslab/internal/load"
	"lvslab/internal/lvs"
)

// Target is what one run loads: the VIP, or one real server directly.
type Target struct {
	Name    string // "vip", or the real server's inventory name
	Label   string // how the output names it
	URL     string
	Host    string       // Host header and TLS name; "" for the URL's host
	Via     string       // the path the requests take, in words
	Servers []lvs.Server // the real servers that may answer
	Expect  lvs.Expectation
	VIP     bool // through the director: its counters belong to the run
	Port    int
}

// VIPTarget is the configuration's VIP on port (80 or 443) with path.
func VIPTarget(c lvs.Config, port int, path, hostHeader string) Target {
	via := "through the director"
	switch c.Mode {
	case "nat":
		via += " (NAT: replies come back through it)"
	case "dr", "fwmark":
		via += " (" + c.Mode + ": replies go straight from the real servers)"
	}
	return Target{
		Name:    "vip",
		Label:   fmt.Sprintf("VIP %s:%d", c.VIP, port),
		URL:     targetURL(c.VIP, port, path),
		Host:    hostHeader,
		Via:     via,
		Servers: c.Servers,
		Expect:  c.Expect(),
		VIP:     true,
		Port:    port,
	}
}

// ServerTarget is one real server directly, at its rip: the one-server
// baseline, by the shortest path there is (not through the director).
func ServerTarget(c lvs.Config, s lvs.Server, port int, path, hostHeader string) Target {
	via := "directly, not through the director"
	if c.Mode == "nat" {
		via += " (its replies still pass the director, its gateway in NAT)"
	}
	return Target{
		Name:    s.Name,
		Label:   fmt.Sprintf("%s directly (%s:%d)", s.Name, s.Addr, port),
		URL:     targetURL(s.Addr, port, path),
		Host:    hostHeader,
		Via:     via,
		Servers: []lvs.Server{{Name: s.Name, Addr: s.Addr, Weight: 1}},
		Port:    port,
		Expect: lvs.Expectation{Predicted: true, Shares: map[string]float64{s.Name: 1},
			Why: "one real server directly: it answers everything"},
	}
}

func targetURL(addr string, port int, path string) string {
	scheme, suffix := "http", ""
	switch port {
	case 80:
	case 443:
		scheme = "https"
	default:
		suffix = fmt.Sprintf(":%d", port)
	}
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	return scheme + "://" + addr + suffix + path
}

// Result is one run's outcome.
type Result struct {
	Target  Target
	From    string
	Options load.Options
	// Summary is the run's; for a ramp, the step at the capacity (or the
	// first step when none passed).
	Summary load.Summary
	Ramp    *load.RampResult
	Shares  lvs.Outcome
	// Director is what the director's virtual service of the target's port
	// counted during the run (VIP targets, when the director could be read).
	Director []lvs.ServiceDelta
}

// Driver runs the load: Source sends it, Director (optional) is read
// before and after each run through the VIP.
type Driver struct {
	Config    lvs.Config
	Source    Source
	Director  lvs.Commander
	Tolerance float64 // percentage points, default 10
	// On receives every event of the runs as it arrives (the live line).
	On func(t Target, ev load.Event)
}

// NotAnsweringError says a target answered no request of the preflight:
// nothing was loaded.
type NotAnsweringError struct {
	Target Target
	From   string
	Why    string
}

func (e *NotAnsweringError) Error() string {
	return fmt.Sprintf("%s does not answer from %s (%s): %s", e.Target.Label, e.From, e.Target.URL, e.Why)
}

// Preflight sends one request to t: a target that does not answer at all
// is a *NotAnsweringError before any load is sent.
func (d *Driver) Preflight(ctx context.Context, t Target, o load.Options) error {
	p := load.Options{URL: t.URL, Host: t.Host, Duration: o.Timeout + time.Second, Requests: 1, Concurrency: 1,
		KeepAlive: false, Timeout: o.Timeout}
	ev, err := d.Source.Load(ctx, load.AgentSpec{Options: p}, nil)
	if err != nil {
		return err
	}
	s := ev.Summary
	if s == nil {
		return errors.New("preflight: no summary")
	}
	if s.Completed > 0 {
		return nil
	}
	return &NotAnsweringError{Target: t, From: d.Source.Name(), Why: failureWords(*s)}
}

// Run loads t with o (and r, for a ramp) and compares the answers with the
// prediction.
func (d *Driver) Run(ctx context.Context, t Target, o load.Options, r *load.RampOptions) (Result, error) {
	o.URL, o.Host = t.URL, t.Host
	res := Result{Target: t, From: d.Source.Name(), Options: o}
	keys := []string{d.Config.ServiceKey(t.Port)}
	var before lvs.Status
	counters := t.VIP && d.Director != nil
	if counters {
		var err error
		if before, err = lvs.ReadStats(ctx, d.Director); err != nil {
			return res, err
		}
	}
	on := func(ev load.Event) {
		if d.On != nil {
			d.On(t, ev)
		}
	}
	ev, err := d.Source.Load(ctx, load.AgentSpec{Options: o, Ramp: r}, on)
	if err != nil {
		return res, err
	}
	switch {
	case ev.Ramp != nil:
		res.Ramp = ev.Ramp
		res.Summary = capacityStep(*ev.Ramp)
	case ev.Summary != nil:
		res.Summary = *ev.Summary
	}
	answers := map[string]int{}
	for name, n := range res.Summary.Servers {
		answers[name] = int(n)
	}
	tol := d.Tolerance
	if tol <= 0 {
		tol = 10
	}
	res.Shares = lvs.Compare(t.Expect, t.Servers, answers, int(res.Summary.Sent), int(res.Summary.Failed), tol)
	if counters {
		var sent uint64
		for _, s := range rampSteps(res) {
			sent += uint64(s.Completed)
		}
		if o.KeepAlive {
			sent = min(sent, 1) // connections are reused: fewer than requests
		}
		after, err := lvs.SettledStats(ctx, d.Director, keys, before, sent, 0, 0)
		if err != nil {
			return res, err
		}
		res.Director = lvs.Delta(before, after, keys)
	}
	return res, nil
}

// rampSteps are the summaries of every step of a ramp, or the run's own.
func rampSteps(r Result) []load.Summary {
	if r.Ramp == nil {
		return []load.Summary{r.Summary}
	}
	out := make([]load.Summary, len(r.Ramp.Steps))
	for i, s := range r.Ramp.Steps {
		out[i] = s.Summary
	}
	return out
}

// capacityStep is the summary of the ramp's step at its capacity, or of its
// first step when none passed.
func capacityStep(r load.RampResult) load.Summary {
	best := -1
	for i, s := range r.Steps {
		if s.Pass && (best < 0 || s.Summary.RPS > r.Steps[best].Summary.RPS) {
			best = i
		}
	}
	switch {
	case best >= 0:
		return r.Steps[best].Summary
	case len(r.Steps) > 0:
		return r.Steps[0].Summary
	}
	return load.Summary{}
}

// failureWords says why requests failed: "3 refused, 1 timeout", statuses
// of non-2xx answers included.
func failureWords(s load.Summary) string {
	var parts []string
	for _, cause := range sortedKeys(s.Failures) {
		if n := s.Failures[cause]; n > 0 {
			what := cause
			if cause == load.CauseStatus {
				var codes []string
				for _, code := range sortedKeys(s.Statuses) {
					if !strings.HasPrefix(code, "2") {
						codes = append(codes, code)
					}
				}
				what = "answered " + strings.Join(codes, ", ")
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	if len(parts) == 0 {
		return "no answer"
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
