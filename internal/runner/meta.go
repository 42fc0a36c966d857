package runner

import (
	"context"

	"lvslab/internal/playbook"
	"lvslab/internal/report"
)

// runMeta runs a meta task on the play's live hosts: flush_handlers,
// end_play, end_batch, end_host, clear_facts, clear_host_errors,
// reset_connection, refresh_inventory and noop (the inventory's files are
// read once per run, so refresh_inventory changes nothing).
func (r *Runner) runMeta(ctx context.Context, play *playbook.Play, t *playbook.Task, hosts []*hostState) error {
	var chosen []*hostState // the hosts the task's when holds for
	for _, hs := range hosts {
		vars, err := r.taskVars(hs, t, nil)
		ok := err == nil
		if ok {
			ok, err = r.when(t, vars)
		}
		if err != nil {
			r.opts.Reporter.Result(report.Result{Host: hs.name, Task: t.DisplayName(), Status: report.Failed, Err: describe(err)})
			r.countTask(hs, t, report.Failed, nil, err)
			continue
		}
		if ok {
			chosen = append(chosen, hs)
		} else if len(t.When) > 0 {
			r.opts.Reporter.Result(report.Result{Host: hs.name, Task: t.DisplayName(), Status: report.Skipped})
			r.countTask(hs, t, report.Skipped, nil, nil)
		}
	}
	if len(chosen) == 0 {
		return nil
	}
	switch t.Meta {
	case "flush_handlers":
		if err := r.runHandlers(ctx, play, chosen); err != nil {
			return err
		}
		for _, hs := range chosen {
			hs.mu.Lock()
			hs.notified = map[string]bool{}
			hs.mu.Unlock()
		}
	case "end_play", "end_batch":
		// As Ansible: the play ends for every host once one host's
		// condition holds.
		for _, hs := range hosts {
			hs.ended = true
		}
	case "end_host":
		for _, hs := range chosen {
			hs.ended = true
		}
	case "clear_facts":
		for _, hs := range chosen {
			hs.mu.Lock()
			hs.facts = nil
			hs.mu.Unlock()
		}
	case "clear_host_errors":
		r.mu.Lock()
		all := make([]*hostState, 0, len(r.hosts))
		for _, hs := range r.hosts {
			all = append(all, hs)
		}
		r.mu.Unlock()
		for _, hs := range all {
			hs.mu.Lock()
			hs.failed = false
			hs.mu.Unlock()
		}
	case "reset_connection":
		for _, hs := range chosen {
			r.pool.drop(hs.name)
		}
	}
	return ctx.Err()
}

// resetEnded lets hosts that end_play or end_host ended take part in the
// next play.
func (r *Runner) resetEnded() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, hs := range r.hosts {
		hs.ended = false
	}
}
