package runner

import (
	"context"
	"sort"
	"sync"
	"time"

	"lvslab/internal/facts"
	"lvslab/internal/host"
	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/report"
	"lvslab/internal/tmpl"
)

// hostState is what the run knows about one host. Only the goroutine running
// the host's current task writes it; mu guards reads from other hosts
// (hostvars).
type hostState struct {
	mu          sync.Mutex
	name        string
	inv         map[string]any // inventory variables, resolved
	playVars    map[string]any // the current play's vars and vars_files, rendered
	facts       map[string]any // as ansible_facts has them
	hostMagic   map[string]any // hostMagic: inventory_hostname, group_names ...
	magic       map[string]any // every magic variable for the current play
	dyn         map[string]any // registered results and set_fact, for the rest of the run
	failed      bool
	unreachable bool
	notified    map[string]bool
	stats       report.Stats
	// hostExt: include loops, delegation, async (loops.go, delegate.go).
	hostExt
	included    map[string]any // include_vars, for the rest of the run (rolevars.go)
	lastFailure *failure       // for a rescue (block.go)
}

func (hs *hostState) active() bool { return !hs.failed && !hs.unreachable && !hs.ended }

// runPlay runs one play on its hosts.
func (r *Runner) runPlay(ctx context.Context, play *playbook.Play) error {
	names, err := r.targets(play.Hosts)
	if err != nil {
		return err
	}
	names = r.batchOf(play, names) // serial.go
	title := play.Name
	if title == "" {
		title = play.Hosts
	}
	r.opts.Reporter.Play(title)
	var hosts []*hostState
	for _, n := range names {
		hs, err := r.state(n)
		if err != nil {
			return err
		}
		if !hs.active() {
			continue
		}
		hs.notified = map[string]bool{}
		hosts = append(hosts, hs)
	}
	if len(hosts) == 0 {
		r.opts.Reporter.Warn("no hosts matched " + play.Hosts)
		return nil
	}
	if play.GatherFacts == nil || *play.GatherFacts {
		if err := r.gatherFacts(ctx, hosts); err != nil {
			return err
		}
		// Gathering facts is the play's first task: a host lost there
		// counts for any_errors_fatal and max_fail_percentage.
		if r.checkFailLimits(play, hosts) {
			r.stopAll = true
			return nil
		}
	}
	// Play vars are rendered once facts are known, so that they may use them.
	for _, hs := range activeOf(hosts) {
		if err := r.loadPlayVars(hs, play, nil); err != nil {
			return err
		}
	}
	if play.Strategy == "free" {
		return r.runFree(ctx, play, hosts) // free.go
	}
	return r.runLinear(ctx, play, hosts)
}

// title is a task's name rendered with the first host's variables (as
// Ansible does), or as written when it cannot be rendered.
func (r *Runner) title(t *playbook.Task, hs *hostState) (title string) {
	name := t.DisplayName()
	if t.Role != nil && (t.Include == nil || t.Include.Kind != "include_role") { // as Ansible shows a role's tasks: "role : task"
		defer func() { title = t.Role.Name + " : " + title }()
	}
	if !tmpl.Has(name) {
		return name
	}
	vars, err := r.taskVars(hs, t, nil)
	if err != nil {
		return name
	}
	out, err := tmpl.Render(t.Pos.String()+" name", name, vars)
	if err != nil {
		return name
	}
	return out
}

func activeOf(hosts []*hostState) []*hostState {
	var out []*hostState
	for _, hs := range hosts {
		if hs.active() {
			out = append(out, hs)
		}
	}
	return out
}

// checkFailLimits applies any_errors_fatal and max_fail_percentage.
func (r *Runner) checkFailLimits(play *playbook.Play, hosts []*hostState) bool {
	failed := 0
	for _, hs := range hosts {
		if !hs.active() {
			failed++
		}
	}
	if failed == 0 {
		return false
	}
	if play.AnyErrorsFatal {
		r.opts.Reporter.Warn("any_errors_fatal: a host failed, ending the run")
		return true
	}
	if play.MaxFailPercentage != nil && float64(failed)*100/float64(len(hosts)) > *play.MaxFailPercentage {
		r.opts.Reporter.Warn("max_fail_percentage exceeded, ending the run")
		return true
	}
	return false
}

// loadPlayVars renders the play's vars and vars_files for one host.
// A value whose error tolerate accepts (lint: a variable that only exists
// at run time) is kept unrendered. The host's play variables are then, lowest
// precedence first, its facts (facts.Vars), the play's vars and the magic
// variables (runMagic, hostMagic, playMagic), which Ansible lets nothing
// override.
func (r *Runner) loadPlayVars(hs *hostState, play *playbook.Play, tolerate func(error) bool) error {
	magic := merge(r.magic, hs.hostMagic, r.playMagic(play))
	hs.mu.Lock()
	fv := facts.Vars(hs.facts)
	hs.mu.Unlock()
	base := merge(hs.inv, fv, r.opts.ExtraVars, magic)
	pv := map[string]any{}
	layers := []map[string]any{play.Vars}
	for _, f := range play.VarsFiles {
		m, err := playbook.LoadVarsFile(f)
		if err != nil {
			return err
		}
		layers = append(layers, m)
	}
	for _, layer := range layers {
		keys := make([]string, 0, len(layer))
		for k := range layer {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic: a var may use one sorted before it
		for _, k := range keys {
			v := layer[k]
			rv, err := tmpl.RenderValue("vars."+k, v, merge(base, pv))
			if err != nil && tolerate != nil && tolerate(err) {
				rv, err = v, nil
			}
			if err != nil {
				return &pos.Error{Pos: play.Pos, Err: err}
			}
			pv[k] = rv
		}
	}
	r.secrets(pv)
	hs.mu.Lock()
	hs.playVars, hs.magic = merge(fv, pv, magic), magic
	hs.mu.Unlock()
	return nil
}

// gatherFacts connects to the hosts (in parallel) and gathers their facts,
// once per host per run.
func (r *Runner) gatherFacts(ctx context.Context, hosts []*hostState) error {
	r.opts.Reporter.Task("Gathering Facts", false)
	r.forEach(ctx, hosts, func(hs *hostState) {
		start := time.Now()
		if hs.facts != nil {
			r.opts.Reporter.Result(report.Result{Host: hs.name, Task: "Gathering Facts", Status: report.OK})
			return
		}
		h, err := r.pool.get(ctx, hs.name, hs.inv)
		var f map[string]any
		if err == nil {
			f, err = facts.Gather(ctx, h)
		}
		res := report.Result{Host: hs.name, Task: "Gathering Facts", Duration: time.Since(start)}
		switch {
		case err == nil:
			hs.mu.Lock()
			hs.facts = f
			hs.mu.Unlock()
			res.Status = report.OK
			hs.stats.OK++
		case isUnreachable(err):
			r.markUnreachable(hs, &res, err)
		default:
			res.Status, res.Err = report.Failed, describe(err)
			hs.failed = true
			hs.stats.Failed++
		}
		r.opts.Reporter.Result(res)
	})
	return ctx.Err()
}

func (r *Runner) markUnreachable(hs *hostState, res *report.Result, err error) {
	res.Status, res.Err = report.Unreachable, describe(err)
	hs.unreachable = true
	hs.stats.Unreachable++
	r.pool.drop(hs.name)
}

// forEach runs fn for every host, at most Forks at a time, and waits.
func (r *Runner) forEach(ctx context.Context, hosts []*hostState, fn func(*hostState)) {
	sem := make(chan struct{}, r.opts.Forks)
	var wg sync.WaitGroup
	for _, hs := range hosts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func(hs *hostState) {
			defer func() { <-sem; wg.Done() }()
			fn(hs)
		}(hs)
	}
	wg.Wait()
}

// runHandlers runs notified handlers, in the order they are defined, on the
// hosts that notified them; handlers may notify later handlers.
func (r *Runner) runHandlers(ctx context.Context, play *playbook.Play, hosts []*hostState) error {
	ran := map[int]map[string]bool{}
	for {
		progressed := false
		for i, hd := range play.Handlers {
			var targets []*hostState
			for _, hs := range activeOf(hosts) {
				if ran[i][hs.name] || !notifiedBy(hs, hd) {
					continue
				}
				if ran[i] == nil {
					ran[i] = map[string]bool{}
				}
				ran[i][hs.name] = true
				targets = append(targets, hs)
			}
			if len(targets) == 0 {
				continue
			}
			progressed = true
			r.refreshPlayHosts(play, targets)
			r.announce(hd, r.title(hd, targets[0]), true, targets)
			if err := r.runTaskOnHosts(ctx, play, hd, targets, true); err != nil {
				return err
			}
		}
		if !progressed {
			return nil
		}
	}
}

func notifiedBy(hs *hostState, hd *playbook.Task) bool {
	if hs.notified[hd.Name] {
		return true
	}
	for _, l := range hd.Listen {
		if hs.notified[l] {
			return true
		}
	}
	return false
}

func isUnreachable(err error) bool { return errorsIs(err, host.ErrUnreachable) }
