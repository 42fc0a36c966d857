package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/report"
	"lvslab/internal/tmpl"
)

var errorsIs = errors.Is

// heartbeat is how long a task runs on a host before the reporter hears that
// it is still running, and how often after that.
const heartbeat = 5 * time.Second

// runTaskOnHosts runs t on every host and waits for all of them.
func (r *Runner) runTaskOnHosts(ctx context.Context, play *playbook.Play, t *playbook.Task, hosts []*hostState, handler bool) error {
	var hostvars map[string]any
	if t.IsInclude() {
		return r.runInclude(ctx, play, t, hosts, nil) // include.go
	}
	if t.Meta != "" {
		return r.runMeta(ctx, play, t, hosts) // meta.go
	}
	if needsHostvars(t) {
		hostvars = r.hostvarsSnapshot() // once per task, shared read-only by every host
	}
	if module.Canonical(t.Module) == "pause" && len(hosts) > 1 {
		// As Ansible's pause (its action bypasses the host loop): it
		// pauses once for the batch, on the first host, which alone
		// reports, counts and registers the result.
		r.runOne(ctx, play, t, hosts[0], hostvars)
		return ctx.Err()
	}
	if len(hosts) > 1 && r.forFirstHost(t, hosts).RunOnce {
		first := hosts[0]
		r.runOne(ctx, play, t, first, hostvars)
		if t.Register != "" {
			for _, hs := range hosts[1:] {
				hs.mu.Lock()
				hs.dyn[t.Register] = first.dyn[t.Register]
				hs.mu.Unlock()
			}
		}
		return ctx.Err()
	}
	r.forEach(ctx, hosts, func(hs *hostState) { r.runOne(ctx, play, t, hs, hostvars) })
	r.anyErrorsFatal(r.forFirstHost(t, hosts), hosts) // delegate.go
	return ctx.Err()
}

// needsHostvars reports whether a task may read other hosts' variables:
// arguments that mention hostvars, in a template ({{ hostvars }}) or an
// expression (debug's var: hostvars), and template files (not inspected here).
func needsHostvars(t *playbook.Task) bool {
	if t.Module == "template" {
		return true
	}
	found := saysHostvars(t.Args) || saysHostvars(t.Loop)
	for _, w := range t.When {
		found = found || strings.Contains(w.Src, "hostvars")
	}
	for k, v := range t.Vars {
		found = found || strings.Contains(fmt.Sprint(k, v), "hostvars")
	}
	return found
}

// saysHostvars reports whether a scalar under n, template or not, says hostvars.
func saysHostvars(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		return strings.Contains(n.Value, "hostvars")
	}
	for _, c := range n.Content {
		if saysHostvars(c) {
			return true
		}
	}
	return false
}

// taskVars builds the variables a task sees on a host, lowest precedence
// first: inventory, play vars, task vars, registered and set_fact, extra vars.
func (r *Runner) taskVars(hs *hostState, t *playbook.Task, hostvars map[string]any) (map[string]any, error) {
	defaults, roleVars, params := scopeLayers(t)
	hs.mu.Lock()
	f := hs.facts
	if f == nil {
		f = map[string]any{}
	}
	// Layered by Ansible's precedence (rolevars.go); task vars see
	// everything, facts and registered results included.
	l := &layers{defaults: defaults, inv: hs.inv, play: hs.playVars, roleVars: roleVars, task: t.Vars,
		included: merge(hs.included), dyn: merge(hs.dyn, hs.loopVars), // an include_tasks loop's item
		params: params}
	top := map[string]any{"facts": f}
	if hostvars != nil {
		top["hostvars"] = hostvars
	}
	magic := hs.magic
	hs.mu.Unlock()
	vars, err := l.vars(t, hs.name, top, r.opts.ExtraVars, magic) // nothing overrides a magic variable
	if err != nil {
		return nil, err
	}
	if r.opts.Secret != nil {
		for _, m := range []map[string]any{t.Vars, params} {
			for k := range m {
				if s, ok := vars[k].(string); ok && report.SecretName(k) {
					r.opts.Secret(s)
				}
			}
		}
	}
	vars["ansible_check_mode"] = checkMode(r.opts.Check, t)
	return vars, nil
}

func merge(layers ...map[string]any) map[string]any {
	n := 0
	for _, l := range layers {
		n += len(l)
	}
	out := make(map[string]any, n+8)
	for _, l := range layers {
		for k, v := range l {
			out[k] = v
		}
	}
	return out
}

// runOne runs a task on one host (all its loop items) and records the outcome.
func (r *Runner) runOne(ctx context.Context, play *playbook.Play, t *playbook.Task, hs *hostState, hostvars map[string]any) {
	start := time.Now()
	stop := r.startHeartbeat(hs.name, t.DisplayName())
	defer stop()
	res := report.Result{Host: hs.name, Task: t.DisplayName(), NoLog: t.NoLog}
	vars, err := r.taskVars(hs, t, hostvars)
	if err == nil {
		rt, rerr := resolveKeywords(t, vars) // keywords.go
		switch {
		case rerr == nil:
			t = rt
			res.NoLog = t.NoLog
		case t.Loop == nil:
			err = rerr // with a loop, each item renders them (runItem)
		}
	}
	if err != nil {
		r.finish(hs, t, &res, vars, nil, err, start)
		return
	}
	if t.Loop == nil {
		ok, err := r.when(t, vars)
		if err != nil || !ok {
			r.finish(hs, t, &res, vars, nil, err, start)
			return
		}
		mr, err := r.apply(ctx, play, t, hs, vars)
		r.finish(hs, t, &res, vars, &mr, err, start)
		return
	}
	items, err := loopItems(t, vars)
	if err != nil {
		r.finish(hs, t, &res, vars, nil, err, start)
		return
	}
	r.runLoop(ctx, play, t, hs, vars, items)
}

// loopState is what a loop's items have added up to so far.
type loopState struct {
	results        []any // each item's registered result
	items          []any // the loop's items
	agg            module.Result
	anyRan, failed bool
}

// runLoop runs a task once per loop item, in order, and records the
// outcome of them all.
func (r *Runner) runLoop(ctx context.Context, play *playbook.Play, t *playbook.Task, hs *hostState, vars map[string]any, items []any) {
	loopVar := loopVarOf(t.LoopVar)
	ls := loopState{agg: module.Result{Data: map[string]any{}}, items: items}
	for i, item := range items {
		if loopPause(ctx, t, i) != nil {
			break
		}
		st, err := r.runItem(ctx, play, t, hs, vars, loopVar, i, item, &ls)
		if st == report.Unreachable {
			r.countTask(hs, t, report.Unreachable, nil, err)
			return
		}
		if st == report.Failed && !t.IgnoreErrors {
			break
		}
	}
	agg := ls.agg
	agg.Data["results"] = ls.results
	agg.Failed = ls.failed
	agg.Skipped = !ls.anyRan
	agg.Msg = "All items completed"
	status := report.OK
	switch {
	case ls.failed:
		status = report.Failed
	case !ls.anyRan:
		status = report.Skipped
	case agg.Changed:
		status = report.Changed
	}
	r.record(hs, t, agg)
	r.countTask(hs, t, status, &agg, nil)
}

// runItem runs item i of a loop (when it holds), reports it and adds it to
// ls; the facts it sets go into vars, for the items after it.
func (r *Runner) runItem(ctx context.Context, play *playbook.Play, t *playbook.Task, hs *hostState, vars map[string]any, loopVar string, i int, item any, ls *loopState) (report.Status, error) {
	iv := merge(vars)
	spec := taskLoopSpec(t)
	setLoopVars(iv, spec, i, ls.items)
	it, err := resolveKeywords(t, iv) // per item, as Ansible's
	if err == nil {
		t = it
	}
	ir := report.Result{Host: hs.name, Task: t.DisplayName(), NoLog: t.NoLog, Item: itemLabel(spec, iv, item), HasItem: true}
	ok, werr := r.when(t, iv)
	if err == nil {
		err = werr
	}
	if err == nil && !ok {
		ir.Status = report.Skipped
		r.opts.Reporter.Result(ir)
		ls.results = append(ls.results, map[string]any{"skipped": true, loopVar: item, "changed": false, "failed": false})
		return report.Skipped, nil
	}
	var mr module.Result
	if err == nil {
		mr, err = r.apply(ctx, play, t, hs, iv)
	}
	ls.anyRan = true
	st, msg := r.classify(t, iv, &mr, err)
	ir.Status, ir.Err, ir.Result, ir.Ignored = st, msg, mr, st == report.Failed && t.IgnoreErrors
	r.opts.Reporter.Result(ir)
	reg := mr.Registered()
	reg[loopVar] = item
	ls.results = append(ls.results, reg)
	ls.agg.Changed = ls.agg.Changed || mr.Changed
	for k, v := range mr.Facts {
		if ls.agg.Facts == nil {
			ls.agg.Facts = map[string]any{}
		}
		ls.agg.Facts[k] = v
		vars[k] = v // later items see earlier items' facts
	}
	if st == report.Failed {
		ls.failed = true
	}
	return st, err
}

// apply renders the task's arguments, builds its module and applies it, with
// retries/until.
func (r *Runner) apply(ctx context.Context, play *playbook.Play, t *playbook.Task, hs *hostState, vars map[string]any) (module.Result, error) {
	args, err := tmpl.RenderNode(t.File, t.Args, vars)
	if err != nil {
		return module.Result{}, err
	}
	if t.Module == "include_vars" {
		return r.includeVars(t, hs, args) // rolevars.go
	}
	m, err := r.opts.Modules.New(t.Module, dropOmitted(args, r.omit))
	if err != nil {
		at, err := pos.Relative(t.Pos, err)
		return module.Result{}, pos.Errorf(at, "module %s: %w", t.Module, err)
	}
	exec, delegated, err := r.taskExecutor(ctx, hs, t, vars) // delegate.go
	if err != nil {
		return module.Result{}, err
	}
	hs.mu.Lock()
	factsMap := hs.facts
	hs.mu.Unlock()
	env := &module.Env{
		Check: checkMode(r.opts.Check, t), Diff: diffMode(r.opts.Diff, t), Host: hs.name, Facts: factsMap, Vars: vars, BaseDir: t.Dir,
		Render: func(name, text string) (string, error) { return tmpl.Render(name, text, vars) },
		Eval:   func(src string) (any, error) { return tmpl.Eval(t.Pos.String(), src, vars) },
		Cond:   func(src string) (bool, error) { return tmpl.EvalBool(t.Pos.String(), src, vars) },
	}
	b, err := r.become(hs, play, t, vars)
	if err != nil {
		return module.Result{}, err
	}
	becomeExecutor := host.WithBecome(exec, b)
	newExec := func() (host.Executor, *asyncExec) { return becomeExecutor, nil }
	if t.Async > 0 && env.Check { // as Ansible
		return module.Result{Failed: true, Msg: "check mode and async cannot be used on same task."}, nil
	}
	if t.Async > 0 { // async.go: the command runs as a job
		newExec = func() (host.Executor, *asyncExec) {
			a := &asyncExec{Executor: becomeExecutor, async: t.Async, poll: t.Poll}
			return a, a
		}
	}
	attempts := 1
	if t.Until != nil {
		attempts = t.Retries + 1
	}
	var mr module.Result
	for i := 1; ; i++ {
		h, job := newExec()
		if refused, ok := localReboot(t, exec); ok { // reboot.go
			return refused, nil
		}
		mr, err = m.Apply(ctx, h, env)
		if job != nil {
			mr, err = job.asyncResult(t, mr, err)
		}
		if err == nil {
			mr, err = r.awaitReboot(ctx, hs, t, vars, b, mr) // reboot.go
		}
		r.delegateFacts(t, delegated, &mr)
		r.secrets(mr.Facts) // before the result is reported
		if err != nil || t.Until == nil {
			return mr, err
		}
		ok, uerr := tmpl.EvalBool(t.Until.Pos.String(), t.Until.Src, withResult(vars, t, mr))
		if uerr != nil {
			return mr, uerr
		}
		if ok {
			if mr.Data == nil {
				mr.Data = map[string]any{}
			}
			mr.Data["attempts"] = i
			return mr, nil
		}
		if i >= attempts {
			mr.Failed = true
			mr.Msg = fmt.Sprintf("retries exhausted: %q still false after %d attempts", t.Until.Src, i)
			return mr, nil
		}
		select {
		case <-ctx.Done():
			return mr, ctx.Err()
		case <-time.After(time.Duration(t.Delay) * time.Second):
		}
	}
}

// become works out escalation: task, then play, then the variables
// (host.BecomeFromVars), then Options.Become (ansible.cfg).
func (r *Runner) become(hs *hostState, play *playbook.Play, t *playbook.Task, vars map[string]any) (host.Become, error) {
	b, err := host.BecomeFromVars(hs.name, vars)
	if err != nil {
		return b, err
	}
	def := r.opts.Become
	if !hasAny(vars, "ansible_become") {
		b.Enabled = def.Enabled
	}
	if !hasAny(vars, "ansible_become_user") && def.User != "" {
		b.User = def.User
	}
	if !hasAny(vars, "ansible_become_method") {
		b.Method = def.Method
	}
	if t.BecomeMethod != "" {
		b.Method = t.BecomeMethod
	}
	if play.Become != nil {
		b.Enabled = *play.Become
	}
	if t.Become != nil {
		b.Enabled = *t.Become
	}
	for _, u := range []string{t.BecomeUser, play.BecomeUser} {
		if u != "" {
			b.User = u
			break
		}
	}
	if tmpl.Has(b.User) { // become_user: "{{ app_user }}"
		if b.User, err = tmpl.Render(t.Pos.String()+" become_user", b.User, vars); err != nil {
			return b, err
		}
	}
	return b, nil
}
