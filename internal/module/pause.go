package module

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"lvslab/internal/host"
)

// Pause is Ansible's pause, non-interactively: lvslab's modules have no
// terminal, so it behaves as Ansible does when stdin is not a terminal.
// With seconds or minutes (whole numbers, one of the two; less than one
// second is one second) it waits that long on the controller, never
// touching the host; cancelling the run (Ctrl+C) ends the wait with the
// run. With only prompt, or with nothing, it does not wait: Ansible's
// warning "Not waiting for response to prompt as stdin is not interactive"
// is registered in warnings, and user_input is "". echo is accepted and
// returned. It is never changed and waits in check mode too, as Ansible's.
// It registers Ansible's values: start, stop (local times), delta (whole
// seconds), stdout ("Paused for 1.0 seconds", "Paused for 0.5 minutes"),
// stderr, rc, echo and user_input.
//
// Ansible pauses once for all the hosts of a play (the action bypasses the
// host loop); the runner runs a pause task once per batch, on its first
// host, and this module pauses where it runs.
type Pause struct {
	Seconds *int   `yaml:"seconds"`
	Minutes *int   `yaml:"minutes"`
	Prompt  string `yaml:"prompt"`
	Echo    *bool  `yaml:"echo"`
}

// pauseWant is what a pause task does: how long it waits (0: not at all)
// and the unit it reports in.
type pauseWant struct {
	Pause
	wait time.Duration
	unit string
}

// pauseNow is the clock, and pauseAfter the timer, of pause; tests replace them.
var (
	pauseNow   = time.Now
	pauseAfter = time.After
)

// want checks the arguments, reporting every problem.
func (m *Pause) want() (pauseWant, error) {
	var p problems
	w := pauseWant{Pause: *m, unit: "minutes"}
	if m.Seconds != nil && m.Minutes != nil {
		p.add("parameters are mutually exclusive: minutes|seconds")
	}
	switch {
	case m.Minutes != nil:
		w.wait = time.Duration(max(*m.Minutes*60, 1)) * time.Second
	case m.Seconds != nil:
		w.wait, w.unit = time.Duration(max(*m.Seconds, 1))*time.Second, "seconds"
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Pause) Validate() error { _, err := m.want(); return err }

// Apply waits, on the controller.
func (m *Pause) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	data := map[string]any{"echo": boolArg(w.Echo, true), "rc": 0, "stderr": "", "user_input": ""}
	start := pauseNow()
	data["start"] = start.Format("2006-01-02 15:04:05.000000")
	if w.wait == 0 {
		data["warnings"] = []string{"Not waiting for response to prompt as stdin is not interactive"}
	} else {
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("pause interrupted: %w", ctx.Err())
		case <-pauseAfter(w.wait):
		}
	}
	stop := pauseNow()
	data["stop"] = stop.Format("2006-01-02 15:04:05.000000")
	took := stop.Sub(start)
	data["delta"] = int(took.Seconds())
	d := took.Seconds()
	if w.unit == "minutes" {
		d = took.Minutes()
	}
	data["stdout"] = "Paused for " + pyFloat(d) + " " + w.unit
	return Result{Data: data}, nil
}

// pyFloat formats f rounded to two places as Python's str(round(f, 2)): 1.0, 0.5, 12.34.
func pyFloat(f float64) string {
	s := strconv.FormatFloat(float64(int64(f*100+0.5))/100, 'f', -1, 64)
	for _, c := range s {
		if c == '.' {
			return s
		}
	}
	return s + ".0"
}
