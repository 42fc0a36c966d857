package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/report"
	"lvslab/internal/tmpl"
)

// inclusion is one file an include brings in for some hosts: as Ansible's
// IncludedFile, the hosts whose include named the same file with the same
// loop item share it, and run its tasks together.
type inclusion struct {
	key      string
	path     string // as the included line shows it
	tasks    []*playbook.Task
	loopVars map[string]any // the item's variables, nil without a loop
	label    any
	hasItem  bool
	hosts    []*hostState
}

// runInclude runs a dynamic include_tasks or include_role on hosts as
// Ansible's linear strategy does: on each host its when (per item with a
// loop), its loop and its file name (rendered with the host's variables)
// are evaluated once; hosts are
// grouped by file and item, an "included:" line printed for each group
// (include_tasks), and each group's tasks then run on its hosts, groups
// in order. As in Ansible's recap, an include_tasks counts ok once per
// file and item it includes, an include_role nothing, and a skipped one
// skipped. all are the play's hosts, for any_errors_fatal and
// max_fail_percentage (nil in a block or a handler).
func (r *Runner) runInclude(ctx context.Context, play *playbook.Play, t *playbook.Task, hosts []*hostState, all []*hostState) error {
	if !r.started && t.Name != r.opts.StartAtTask {
		return nil // --start-at-task: the include is a task before it
	}
	var groups []*inclusion
	byKey := map[string]*inclusion{}
	add := func(hs *hostState, in *inclusion) {
		if g, ok := byKey[in.key]; ok {
			g.hosts = append(g.hosts, hs)
			return
		}
		in.hosts = []*hostState{hs}
		byKey[in.key] = in
		groups = append(groups, in)
	}
	for _, hs := range hosts {
		ins, err := r.includedBy(t, hs)
		switch {
		case err != nil:
			r.opts.Reporter.Result(report.Result{Host: hs.name, Task: t.DisplayName(), Status: report.Failed, Err: describe(err)})
			r.countTask(hs, t, report.Failed, nil, err)
		case len(ins) == 0:
			r.countTask(hs, t, report.Skipped, nil, nil)
		case t.Include.Kind == "include_tasks":
			for range ins { // as Ansible counts them: ok once per file and item
				r.countTask(hs, t, report.OK, nil, nil)
			}
		} // an include_role that runs counts nothing, as in Ansible
		for _, in := range ins {
			add(hs, in)
		}
	}
	for _, g := range groups {
		if t.Include.Kind == "include_tasks" {
			names := make([]string, len(g.hosts))
			for i, hs := range g.hosts {
				names[i] = hs.name
			}
			res := report.Result{Host: strings.Join(names, ", "), Task: t.DisplayName(), Status: report.Included,
				Item: g.label, HasItem: g.hasItem}
			res.Result.Msg = g.path
			r.opts.Reporter.Result(res)
		}
	}
	for _, g := range groups {
		if err := r.runInclusion(ctx, play, g, all); err != nil || r.stopAll {
			return err
		}
	}
	return ctx.Err()
}

// runInclusion runs one group's tasks on its hosts, each host seeing the
// group's loop item (over an outer include's).
func (r *Runner) runInclusion(ctx context.Context, play *playbook.Play, g *inclusion, all []*hostState) error {
	saved := make(map[*hostState]map[string]any, len(g.hosts))
	for _, hs := range g.hosts {
		hs.mu.Lock()
		saved[hs] = hs.loopVars
		if g.loopVars != nil {
			hs.loopVars = merge(hs.loopVars, g.loopVars)
		}
		hs.mu.Unlock()
	}
	defer func() {
		for hs, lv := range saved {
			hs.mu.Lock()
			hs.loopVars = lv
			hs.mu.Unlock()
		}
	}()
	for _, sub := range g.tasks {
		more, err := r.step(ctx, play, sub, g.hosts, all)
		if err != nil || !more || r.stopAll {
			return err
		}
	}
	return nil
}

// includedBy evaluates the include t on hs: the files it includes there,
// one per loop item whose when holds (none when it is skipped).
func (r *Runner) includedBy(t *playbook.Task, hs *hostState) ([]*inclusion, error) {
	start := time.Now()
	vars, err := r.taskVars(hs, t, nil)
	if err != nil {
		return nil, err
	}
	if t.Loop == nil {
		ok, err := r.when(t, vars)
		if err != nil || !ok {
			if err == nil {
				r.opts.Reporter.Result(report.Result{Host: hs.name, Task: t.DisplayName(), Status: report.Skipped, Duration: time.Since(start)})
			}
			return nil, err
		}
		in, err := r.inclusionOf(t, vars, nil)
		if err != nil {
			return nil, err
		}
		return []*inclusion{in}, nil
	}
	items, err := loopItems(t, vars)
	if err != nil {
		return nil, err
	}
	spec := taskLoopSpec(t)
	var out []*inclusion
	for i, item := range items {
		lv := map[string]any{}
		setLoopVars(lv, spec, i, items)
		iv := merge(vars, lv)
		ok, err := r.when(t, iv)
		if err != nil {
			return nil, err
		}
		label := itemLabel(spec, iv, item)
		if !ok {
			r.opts.Reporter.Result(report.Result{Host: hs.name, Task: t.DisplayName(), Status: report.Skipped, Item: label, HasItem: true})
			continue
		}
		in, err := r.inclusionOf(t, iv, lv)
		if err != nil {
			return nil, err
		}
		in.label, in.hasItem = label, true
		out = append(out, in)
	}
	if len(out) == 0 {
		r.opts.Reporter.Result(report.Result{Host: hs.name, Task: t.DisplayName(), Status: report.Skipped})
	}
	return out, nil
}

// inclusionOf is the file t includes with the variables vars (lv: the
// loop item's own): a plain name's, or the one its templated name renders
// to.
func (r *Runner) inclusionOf(t *playbook.Task, vars, lv map[string]any) (*inclusion, error) {
	inc := t.Include
	in := &inclusion{path: inc.File, tasks: inc.Tasks, loopVars: lv}
	if inc.Role != nil {
		in.path = inc.Role.Path
	}
	if inc.Expr != "" {
		v, err := tmpl.Eval(t.Pos.String(), inc.Expr, vars)
		if err != nil {
			return nil, pos.Place(t.Pos, fmt.Errorf("include_tasks %q: %w", inc.Name, err))
		}
		name, _ := v.(string)
		found := false
		for _, f := range inc.Files {
			if f.Rel == name || f.Path == name {
				in.path, in.tasks, found = f.Path, f.Tasks, true
				break
			}
		}
		if !found {
			return nil, pos.Errorf(t.Pos, "include_tasks %q: could not find or access %q (it names none of %s)", inc.Name, name, fileNames(inc.Files))
		}
	}
	if abs, err := filepath.Abs(in.path); err == nil {
		in.path = abs
	}
	key := map[string]any{}
	for k, v := range lv {
		if k != "ansible_loop_index" {
			key[k] = v
		}
	}
	b, _ := json.Marshal(key)
	in.key = in.path + "\x00" + string(b)
	return in, nil
}

func fileNames(fs []playbook.IncludeFile) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Rel
	}
	return strings.Join(out, ", ")
}

// include checks a dynamic include for one host before the run (its
// variables, its when, its loop, the file a templated name renders to
// where the name reads no run-time variable) and returns the tasks it may
// run there, for the walk to check: none when its when is known false
// there, the one file its name renders to when that is known, else all.
func (v *validator) include(t *playbook.Task, hs *hostState) []*playbook.Task {
	all := t.Include.Subtasks()
	vars, err := v.r.taskVars(hs, t, nil)
	if err != nil {
		if !v.isDynamic(err) {
			v.add(t.Pos, err)
		}
		return all
	}
	v.exprNames(t.When, vars, hs, nil)
	if t.Loop != nil {
		if _, err := loopItems(t, vars); err != nil && !v.isDynamic(err) {
			v.add(t.Pos, err)
		}
		return all
	}
	if v.staticallyFalse(t, vars) {
		return nil // skipped on this host: what it includes need not hold here
	}
	if t.Include.Expr == "" {
		return all
	}
	names, err := tmpl.Names(t.Include.Expr)
	if err != nil {
		return all
	}
	for _, n := range names {
		if v.isDynamicName(n) {
			return all
		}
	}
	in, err := v.r.inclusionOf(t, vars, nil)
	if err != nil {
		v.add(t.Pos, forHost(err, hs.name))
		return nil
	}
	return in.tasks
}
