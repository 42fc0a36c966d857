// Package drill runs failover drills through the VIP: while a steady load
// runs from the client, it stops nginx on a real server and starts it
// again, stops keepalived on the MASTER director and starts it again, and
// resets the MASTER without a shutdown and waits for it to come back. It
// watches every director's VRRP role and IPVS table meanwhile, and reports
// a timeline: when each fault was injected, when the pool or the VIP
// changed, how many requests failed and for how long, and whether each
// step recovered within its bound.
package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/load"
	"lvslab/internal/loadrun"
	"lvslab/internal/lvs"
)

// The faults a drill can inject, in the order it injects them.
const (
	FaultNginx      = "nginx"      // nginx stopped on a real server, then started
	FaultKeepalived = "keepalived" // keepalived stopped on the MASTER, then started
	FaultPoweroff   = "poweroff"   // the MASTER reset without a shutdown, then back
)

// Faults are every fault, in order.
var Faults = []string{FaultNginx, FaultKeepalived, FaultPoweroff}

// Options are a drill's settings. Zero bounds are derived from Timing.
type Options struct {
	Config lvs.Config // Director: the VIP's holder when the drill starts
	Timing lvs.HATiming
	Source loadrun.Source
	Dial   Dialer
	// Load is the steady load: URL, Host, Rate (open loop), Timeout,
	// Interval; Run sets Duration, a bound on the whole drill.
	Load   load.Options
	Server lvs.Server // the real server whose nginx is stopped
	// Port is the VIP's port loaded: the pool watched is its virtual
	// service's (default 80).
	Port   int
	Faults []string
	// LeaveBound: from nginx stopped to the real server out of the pool.
	// ReturnBound: from nginx started to its answers through the VIP.
	// TakeoverBound: from the MASTER stopped to answers through the VIP.
	// BootBound: from the reset to the director answering SSH again.
	LeaveBound, ReturnBound, TakeoverBound, BootBound time.Duration
	// Settle is how long the load must run without a failure to close a
	// step (default 3s).
	Settle time.Duration
	// Poll is how often every director is polled (default 500ms).
	Poll time.Duration
	// Progress, when set, receives every event as it happens.
	Progress func(Event)
}

// Default bounds beyond keepalived's own timing: what a check, an advert
// and the client's neighbour entry take on a busy machine.
const (
	slackCheck    = 5 * time.Second
	slackTakeover = 5 * time.Second
	defaultBoot   = 5 * time.Minute
	steadyBound   = 30 * time.Second
)

// Bounds fills the zero bounds of o from its timing.
func (o *Options) Bounds() {
	if o.LeaveBound == 0 {
		o.LeaveBound = o.Timing.Detect() + slackCheck
	}
	if o.ReturnBound == 0 {
		o.ReturnBound = o.Timing.Return() + slackCheck
	}
	if o.TakeoverBound == 0 {
		o.TakeoverBound = o.Timing.Takeover() + slackTakeover
	}
	if o.BootBound == 0 {
		o.BootBound = defaultBoot
	}
	if o.Settle == 0 {
		o.Settle = 3 * time.Second
	}
	if o.Port == 0 {
		o.Port = 80
	}
	if o.Poll == 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Load.Interval == 0 {
		o.Load.Interval = 500 * time.Millisecond
	}
}

// Validate checks o before any connection.
func (o Options) Validate() error {
	var errs []error
	for _, f := range o.Faults {
		if !slices.Contains(Faults, f) {
			errs = append(errs, fmt.Errorf("fault %q: want %s", f, strings.Join(Faults, ", ")))
		}
	}
	if o.Load.Rate <= 0 {
		errs = append(errs, errors.New("the drill's load needs a rate (open loop)"))
	}
	for name, b := range map[string]time.Duration{"leave": o.LeaveBound, "return": o.ReturnBound,
		"takeover": o.TakeoverBound, "boot": o.BootBound, "settle": o.Settle} {
		if b < 0 || b > 30*time.Minute {
			errs = append(errs, fmt.Errorf("the %s bound %s: want 0 to 30m", name, b))
		}
	}
	return errors.Join(errs...)
}

// Event is one line of the timeline.
type Event struct {
	At   time.Time
	Kind string // load, fault, restore, pool, vip, host, step
	Text string
}

// Step is one fault, or one restoration, and how the lab took it.
type Step struct {
	Name  string    // "nginx stopped on rs02"
	Fault time.Time // when the fault was injected: failures count from here
	// Start is when the bound's clock starts: the fault's command done
	// (keepalived takes seconds to stop, serving meanwhile).
	Start     time.Time
	Bound     time.Duration
	Goal      string           // what recovery is: "rs02 out of the pool, no request failing"
	Recovered time.Time        // when the goal was reached; zero: not within Bound
	Failed    int64            // requests failed from Fault to the end of the step
	Causes    map[string]int64 // Failed by cause (refused, timeout ...)
	FirstFail time.Time
	LastFail  time.Time
	OK        bool
	Why       string // why not OK
	Skipped   string // why the step did not run
}

// Took is how long the step took to recover.
func (s Step) Took() time.Duration {
	if s.Recovered.IsZero() {
		return 0
	}
	if s.Start.IsZero() {
		return s.Recovered.Sub(s.Fault)
	}
	return s.Recovered.Sub(s.Start)
}

// Report is a drill's outcome.
type Report struct {
	Mode    string
	VIP     string
	URL     string
	From    string
	Rate    float64
	Timeout time.Duration
	// Interval is the load's: failures are counted per interval.
	Interval time.Duration
	Start    time.Time // the load's start: time 0 of the timeline
	End      time.Time
	Steps    []Step
	Events   []Event
	Total    Window
}

// Failed reports the steps that did not recover within their bound.
func (r *Report) Failed() []Step {
	var out []Step
	for _, s := range r.Steps {
		if s.Skipped == "" && !s.OK {
			out = append(out, s)
		}
	}
	return out
}

// drill is one run.
type drill struct {
	o       Options
	w       *watcher
	t       *traffic
	events  []Event
	steps   []Step
	loadErr chan error
	ended   error
}

// ErrNotSteady says the VIP did not answer every request before any fault.
var ErrNotSteady = errors.New("the VIP does not answer steadily")

// Run runs the drill. Every fault it injected is undone before it returns
// (nginx and keepalived started again), whatever happened; the error is
// for a drill that could not run (a host unreachable, the load failing),
// not for a step that did not recover: that is in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.Bounds()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	d := &drill{o: o, w: newWatcher(o.Dial, o.Config.VIP, o.Config.ServiceKey(o.Port), o.Poll), t: newTraffic(o.Load.Interval), loadErr: make(chan error, 1)}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	for _, name := range o.Config.Directors {
		go d.w.run(wctx, name)
	}
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	spec := o.Load
	spec.Duration = min(d.budget(), load.MaxDuration)
	go func() {
		_, err := o.Source.Load(lctx, load.AgentSpec{Options: spec}, func(ev load.Event) {
			if ev.Interval != nil {
				d.t.add(*ev.Interval, time.Now())
			}
		})
		d.loadErr <- err
	}()
	rep := &Report{Mode: o.Config.Mode, VIP: o.Config.VIP, URL: o.Load.URL, From: o.Source.Name(), Rate: o.Load.Rate, Timeout: o.Load.Timeout, Interval: o.Load.Interval}
	if _, ok := d.until(ctx, steadyBound, func() bool { _, n := cleanSince(d.t.slices(), time.Time{}); return n >= o.Settle }); !ok {
		if d.ended != nil {
			return nil, d.ended
		}
		w := window(d.t.slices(), time.Time{}, time.Now())
		return nil, fmt.Errorf("%w: %d answered and %d failed in %s before any fault", ErrNotSteady, w.Completed, w.Failed, steadyBound)
	}
	d.note("load", fmt.Sprintf("steady: %.0f requests/s answered, none failing", o.Load.Rate))
	var err error
	for _, f := range o.Faults {
		switch f {
		case FaultNginx:
			err = d.nginx(ctx)
		case FaultKeepalived:
			err = d.director(ctx, false)
		case FaultPoweroff:
			err = d.director(ctx, true)
		}
		if err != nil {
			break
		}
	}
	stopLoad()
	if lerr := <-d.loadErr; d.ended == nil && lctx.Err() == nil {
		d.ended = lerr
	}
	stopWatch()
	rep.Start, rep.End = d.t.start, time.Now()
	rep.Steps = d.steps
	rep.Events = d.timeline(rep.Start)
	rep.Total = window(d.t.slices(), time.Time{}, rep.End)
	if err == nil && d.ended != nil {
		err = fmt.Errorf("the load stopped: %w", d.ended)
	}
	return rep, err
}

// budget bounds the whole drill, for the load's duration.
func (d *drill) budget() time.Duration {
	o := d.o
	b := steadyBound + time.Minute
	step := func(bound time.Duration) time.Duration { return bound + 2*o.Settle + 30*time.Second }
	for _, f := range o.Faults {
		switch f {
		case FaultNginx:
			b += step(o.LeaveBound) + step(o.ReturnBound)
		case FaultKeepalived:
			b += 2 * step(o.TakeoverBound+o.ReturnBound)
		case FaultPoweroff:
			b += step(o.TakeoverBound) + step(o.BootBound+o.TakeoverBound+o.ReturnBound)
		}
	}
	return b
}

// note records an event now.
func (d *drill) note(kind, text string) {
	ev := Event{At: time.Now(), Kind: kind, Text: text}
	d.events = append(d.events, ev)
	if d.o.Progress != nil {
		d.o.Progress(ev)
	}
}

// until waits, at most bound, for cond; it returns when cond became true.
// It gives up early when ctx ends or the load stops (d.ended).
func (d *drill) until(ctx context.Context, bound time.Duration, cond func() bool) (time.Time, bool) {
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return time.Now(), true
		}
		select {
		case <-ctx.Done():
			return time.Time{}, false
		case err := <-d.loadErr:
			if err == nil {
				err = errors.New("the load ended before the drill")
			}
			d.ended = err
			d.loadErr <- err
			return time.Time{}, false
		case <-deadline.C:
			return time.Time{}, cond()
		case <-d.w.notify:
		case <-d.t.notify:
		case <-tick.C:
		}
	}
}

// run runs cmd on name, in a connection of its own.
func (d *drill) run(ctx context.Context, name, cmd string) (host.Result, error) {
	h, err := d.o.Dial(ctx, name)
	if err != nil {
		return host.Result{}, err
	}
	defer h.Close()
	res, err := h.Run(ctx, cmd, host.RunOpts{})
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("%s on %s: exit %d: %s", cmd, name, res.ExitCode, strings.TrimSpace(res.Stderr+" "+res.Stdout))
	}
	return res, err
}

// vipHolder is the director holding the VIP as last seen since t, "" when
// none (or more than one) does.
func (d *drill) vipHolder(since time.Time) (string, Sight) {
	snap := d.w.snapshot(since)
	h, split := holder(snap)
	if split {
		return "", Sight{}
	}
	return h, snap[h]
}

// settled reports whether, since t, every director answers with
// keepalived running (with --ha), one of them holds the VIP (expect, when
// not "") and its pool has every real server of a weight above 0.
func (d *drill) settled(since time.Time, expect string) bool {
	snap := d.w.snapshot(since)
	if len(snap) < len(d.o.Config.Directors) {
		return false
	}
	for _, s := range snap {
		if !s.Reachable || (d.o.Config.HA && !s.Role.Keepalived) {
			return false
		}
	}
	h, split := holder(snap)
	if h == "" || split || (expect != "" && h != expect) {
		return false
	}
	for _, rs := range d.o.Config.Servers {
		if rs.Weight > 0 && !snap[h].InPool(rs.Addr) {
			return false
		}
	}
	return true
}

// clean waits, at most bound, for Settle of load without a failure after
// from; it returns when that run began.
func (d *drill) clean(ctx context.Context, from time.Time, bound time.Duration) (time.Time, bool) {
	var since time.Time
	_, ok := d.until(ctx, bound, func() bool {
		var n time.Duration
		since, n = cleanSince(d.t.slices(), from)
		return n >= d.o.Settle
	})
	return since, ok
}

// finish closes a step: the failures from its fault to now, and the event.
func (d *drill) finish(s Step) {
	w := window(d.t.slices(), s.Fault, time.Now())
	s.Failed, s.Causes, s.FirstFail, s.LastFail = w.Failed, w.Failures, w.FirstFail, w.LastFail
	verdict := "recovered"
	switch {
	case s.Skipped != "":
		verdict = "skipped: " + s.Skipped
	case !s.OK:
		verdict = "FAILED: " + s.Why
	default:
		verdict += fmt.Sprintf(" in %s (bound %s)", s.Took().Round(100*time.Millisecond), s.Bound)
	}
	d.steps = append(d.steps, s)
	// Only live: the timeline has the step's recovery, at its time.
	if d.o.Progress != nil {
		d.o.Progress(Event{At: time.Now(), Kind: "step", Text: fmt.Sprintf("%s: %s; %s", s.Name, verdict, failedWords(s.Failed, s.Causes))})
	}
}

// failedWords says how many requests failed and why: "220 requests failed
// (refused 200, timeout 20)".
func failedWords(n int64, causes map[string]int64) string {
	if n == 0 {
		return "no request failed"
	}
	return fmt.Sprintf("%d requests failed (%s)", n, causeWords(causes))
}

// causeWords lists causes by count, most first: "refused 200, timeout 20".
func causeWords(causes map[string]int64) string {
	keys := make([]string, 0, len(causes))
	for k := range causes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if causes[keys[i]] != causes[keys[j]] {
			return causes[keys[i]] > causes[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, causes[k])
	}
	return strings.Join(parts, ", ")
}
