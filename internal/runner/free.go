package runner

import (
	"context"
	"sync"

	"lvslab/internal/playbook"
	"lvslab/internal/report"
)

// runFree runs a play's tasks with Ansible's free strategy: each host runs
// the task list as fast as it can, without waiting for the others between
// tasks (at most Forks hosts at a time), and then its own handlers. The
// output shows each result as it comes, under the banner of its task,
// printed again whenever the result before was another task's (as
// Ansible's default callback shows a free play). Until --start-at-task is
// reached the play runs as linear, whose first host finds the task.
// any_errors_fatal and max_fail_percentage are checked once every host
// has finished.
func (r *Runner) runFree(ctx context.Context, play *playbook.Play, hosts []*hostState) error {
	if !r.started {
		return r.runLinear(ctx, play, hosts)
	}
	fr := &freeReporter{Reporter: r.opts.Reporter, pending: map[string]banner{}}
	r.opts.Reporter = fr
	defer func() { r.opts.Reporter = fr.Reporter }()
	var mu sync.Mutex
	var first error
	r.forEach(ctx, hosts, func(hs *hostState) {
		one := []*hostState{hs}
		var err error
		for _, t := range play.Tasks {
			var more bool
			if more, err = r.step(ctx, play, t, one, nil); err != nil || !more {
				break
			}
		}
		if err == nil {
			err = r.runHandlers(ctx, play, activeOf(one))
		}
		if err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
		}
	})
	if first == nil && r.checkFailLimits(play, hosts) {
		r.stopAll = true
	}
	return first
}

// runLinear runs a play's tasks with the linear strategy: each task on
// every host before the next one, then the handlers.
func (r *Runner) runLinear(ctx context.Context, play *playbook.Play, hosts []*hostState) error {
	for _, t := range play.Tasks {
		more, err := r.step(ctx, play, t, hosts, hosts) // block.go
		if err != nil || r.stopAll {
			return err
		}
		if !more {
			break
		}
	}
	return r.runHandlers(ctx, play, activeOf(hosts))
}

// announce shows the banner of a task (or handler) that starts on hosts:
// at once, or in a free play before the next result of each host.
func (r *Runner) announce(t *playbook.Task, title string, handler bool, hosts []*hostState) {
	fr, ok := r.opts.Reporter.(*freeReporter)
	if !ok {
		r.opts.Reporter.Task(title, handler)
		return
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	for _, hs := range hosts {
		fr.pending[hs.name] = banner{task: t, title: title, handler: handler}
	}
}

// banner is a task's banner in a free play.
type banner struct {
	task    *playbook.Task
	title   string
	handler bool
}

// freeReporter prints each host's results under the banner of the task
// the host is running, repeating the banner when the result printed
// before was another task's.
type freeReporter struct {
	report.Reporter
	mu      sync.Mutex
	pending map[string]banner // each host's task under way
	last    *banner
}

// Task shows banners that no host's announce holds back (Gathering Facts).
func (f *freeReporter) Task(name string, handler bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = &banner{title: name, handler: handler}
	f.Reporter.Task(name, handler)
}

// Result prints the host's task banner when it is not the last one
// printed, then the result.
func (f *freeReporter) Result(res report.Result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.pending[res.Host]; ok && (f.last == nil || *f.last != b) {
		f.Reporter.Task(b.title, b.handler)
		f.last = &b
	}
	f.Reporter.Result(res)
}
