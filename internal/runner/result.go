package runner

import (
	"context"
	"errors"
	"os"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"lvslab/internal/facts"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/report"
	"lvslab/internal/tmpl"
)

// when evaluates a task's conditions (all must hold).
func (r *Runner) when(t *playbook.Task, vars map[string]any) (bool, error) {
	for _, w := range t.When {
		ok, err := tmpl.EvalBool(w.Pos.String(), w.Src, vars)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// withResult adds a module result to the variables, both under the
// registered name and at the top level (rc, stdout, changed ...), for
// changed_when, failed_when and until.
func withResult(vars map[string]any, t *playbook.Task, mr module.Result) map[string]any {
	reg := mr.Registered()
	out := merge(vars, reg)
	if t.Register != "" {
		out[t.Register] = reg
	}
	out["result"] = reg
	return out
}

// classify applies changed_when and failed_when and turns a module's outcome
// into a status and a message.
func (r *Runner) classify(t *playbook.Task, vars map[string]any, mr *module.Result, err error) (report.Status, string) {
	if len(mr.Diff) > 0 && secretContent(t, vars) {
		// The content names a secret variable: its diff may hold the secret
		// in a form no redactor knows (a hash, base64), and the old content
		// the old password, which no variable holds any more. Every changed
		// line is hidden, in every output.
		diffs := make([]module.FileDiff, len(mr.Diff))
		for i, d := range mr.Diff {
			diffs[i] = report.RedactDiff(d)
		}
		mr.Diff = diffs
	}
	switch {
	case err != nil && isUnreachable(err):
		return report.Unreachable, describe(err)
	case err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		// The command did not return: keep what it was, not the rc, stdout
		// and stderr a module fills in before it runs (an rc of 0 would say
		// it succeeded).
		mr.Failed, mr.Msg = true, "interrupted"
		if cmd, ok := mr.Data["cmd"]; ok {
			mr.Data = map[string]any{"cmd": cmd}
		} else {
			mr.Data = nil
		}
		return report.Failed, mr.Msg
	case err != nil:
		mr.Failed = true
		mr.Msg = describe(err)
		return report.Failed, mr.Msg
	}
	if len(t.ChangedWhen) > 0 {
		rv := withResult(vars, t, *mr)
		changed := true
		for _, e := range t.ChangedWhen {
			ok, err := tmpl.EvalBool(e.Pos.String(), e.Src, rv)
			if err != nil {
				mr.Failed = true
				return report.Failed, describe(err)
			}
			changed = changed && ok
		}
		mr.Changed = changed
	}
	if len(t.FailedWhen) > 0 {
		rv := withResult(vars, t, *mr)
		failed := true
		for _, e := range t.FailedWhen {
			ok, err := tmpl.EvalBool(e.Pos.String(), e.Src, rv)
			if err != nil {
				mr.Failed = true
				return report.Failed, describe(err)
			}
			failed = failed && ok
		}
		mr.Failed = failed
	}
	switch {
	case mr.Failed:
		msg := mr.Msg
		if msg == "" {
			msg = "failed"
		}
		return report.Failed, msg
	case mr.Skipped:
		return report.Skipped, mr.Msg
	case mr.Changed:
		return report.Changed, ""
	}
	return report.OK, ""
}

// secretContent reports whether a task's arguments, or the template a
// template task renders, name a variable whose name says it is a secret
// (report.SecretName) inside {{ }} or {% %}.
func secretContent(t *playbook.Task, vars map[string]any) bool {
	var src string
	found := false
	var walk func(n *yaml.Node, key string)
	walk = func(n *yaml.Node, key string) {
		if n == nil || found {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			found = namesSecretVar(n.Value)
			if key == "src" {
				src = n.Value
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], n.Content[i].Value)
			}
		default:
			for _, c := range n.Content {
				walk(c, key)
			}
		}
	}
	walk(t.Args, "")
	if found || src == "" || module.Canonical(t.Module) != "template" {
		return found
	}
	if rendered, err := tmpl.Render("src", src, vars); err == nil {
		src = rendered
	}
	p, err := module.TemplatePath(t.Dir, src)
	if err != nil {
		return false // the module reports it
	}
	text, err := os.ReadFile(p)
	return err == nil && namesSecretVar(string(text))
}

// jinjaBlock is a {{ }} or {% %} of a template.
var jinjaBlock = regexp.MustCompile(`(?s)\{\{.*?\}\}|\{%.*?%\}`)

// jinjaName is a name inside one.
var jinjaName = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// namesSecretVar reports whether a template text names a secret variable.
func namesSecretVar(text string) bool {
	for _, b := range jinjaBlock.FindAllString(text, -1) {
		for _, n := range jinjaName.FindAllString(b, -1) {
			if report.SecretName(n) {
				return true
			}
		}
	}
	return false
}

// finish reports and records a task that ran without a loop (mr == nil and
// err == nil: skipped by when).
func (r *Runner) finish(hs *hostState, t *playbook.Task, res *report.Result, vars map[string]any, mr *module.Result, err error, start time.Time) {
	res.Duration = time.Since(start)
	if mr == nil && err == nil {
		res.Status = report.Skipped
		r.opts.Reporter.Result(*res)
		// As in Ansible, a skipped task still registers (skipped: true).
		r.record(hs, t, module.Result{Skipped: true, Msg: "conditional result was false"})
		r.countTask(hs, t, report.Skipped, nil, nil)
		return
	}
	if mr == nil {
		mr = &module.Result{}
	}
	st, msg := r.classify(t, vars, mr, err)
	res.Status, res.Err, res.Result = st, msg, *mr
	res.Ignored = st == report.Failed && t.IgnoreErrors
	r.opts.Reporter.Result(*res)
	if st != report.Unreachable {
		r.record(hs, t, *mr)
	}
	r.countTask(hs, t, st, mr, err)
}

// record stores what a task leaves behind: its registered result, set_fact
// facts, gathered facts (setup), and handler notifications.
func (r *Runner) record(hs *hostState, t *playbook.Task, mr module.Result) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if t.Register != "" {
		reg := mr.Registered()
		if t.NoLog {
			noLog(reg)
		}
		hs.dyn[t.Register] = reg
	}
	for k, v := range mr.Facts {
		hs.dyn[k] = v
	}
	if gathered := module.FactsOf(mr); gathered != nil {
		// setup (or any module returning ansible_facts): the host's facts
		// from now on, as ansible_facts and the ansible_* variables.
		f := merge(hs.facts, gathered)
		hs.facts = f
		hs.playVars = merge(hs.playVars, facts.Vars(f))
	}
	if mr.Changed && !mr.Failed {
		for _, n := range t.Notify {
			hs.notified[n] = true
		}
	}
}

// noLog marks the registered result of a no_log task, and each of its loop
// results, so that every reporter prints them censored (module.Censored)
// while conditions still read their fields.
func noLog(reg map[string]any) {
	reg[module.NoLogKey] = true
	results, _ := reg["results"].([]any)
	results = append([]any(nil), results...) // the loop's own is shared
	if len(results) > 0 {
		reg["results"] = results
	}
	for i, e := range results {
		if m, ok := e.(map[string]any); ok {
			c := make(map[string]any, len(m)+1)
			for k, v := range m {
				c[k] = v
			}
			c[module.NoLogKey] = true
			results[i] = c
		}
	}
}

// countTask updates the recap counters and the host's failed state.
func (r *Runner) countTask(hs *hostState, t *playbook.Task, st report.Status, mr *module.Result, err error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	switch st {
	case report.OK:
		hs.stats.OK++
	case report.Changed:
		hs.stats.OK++
		hs.stats.Changed++
	case report.Skipped:
		hs.stats.Skipped++
	case report.Unreachable:
		if t.IgnoreUnreachable { // as Ansible: ok and ignored, the host stays
			hs.stats.OK++
			hs.stats.Ignored++
			go r.pool.drop(hs.name)
			return
		}
		hs.stats.Unreachable++
		hs.unreachable = true
		go r.pool.drop(hs.name)
	case report.Failed:
		if t.IgnoreErrors {
			hs.stats.OK++ // as Ansible counts an ignored failure: ok and ignored,
			hs.stats.Ignored++
			if mr != nil && mr.Changed {
				hs.stats.Changed++ // and changed when its result says so (a command's)
			}
			return
		}
		hs.stats.Failed++
		hs.failed = true
		noteFailure(hs, t, mr) // block.go
	}
}

// startHeartbeat reports a task that keeps running on a host; the returned
// func stops it.
func (r *Runner) startHeartbeat(host, task string) func() {
	start := time.Now()
	var timer *time.Timer
	done := make(chan struct{})
	var tick func()
	tick = func() {
		select {
		case <-done:
			return
		default:
		}
		r.opts.Reporter.Running(host, task, time.Since(start))
		timer.Reset(2 * heartbeat)
	}
	timer = time.AfterFunc(heartbeat, tick)
	return func() {
		close(done)
		timer.Stop()
	}
}
