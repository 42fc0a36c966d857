package runner

import (
	"context"

	"lvslab/internal/module"
	"lvslab/internal/playbook"
)

// failure is the last task that failed on a host, for a rescue's
// ansible_failed_task and ansible_failed_result.
type failure struct {
	task   *playbook.Task
	result map[string]any
}

// step runs one entry of a task list, a task or a block, on the hosts of
// hosts still active, and reports whether any is left. all are the play's
// hosts, for any_errors_fatal and max_fail_percentage (nil inside a block,
// whose failures a rescue may take back).
func (r *Runner) step(ctx context.Context, play *playbook.Play, t *playbook.Task, hosts, all []*hostState) (bool, error) {
	if t.IsBlock() {
		if len(activeOf(hosts)) == 0 {
			return false, nil
		}
		if err := r.runBlock(ctx, play, t, hosts); err != nil {
			return false, err
		}
	} else {
		if !r.started {
			if t.Name != r.opts.StartAtTask {
				return true, nil
			}
			r.started = true
		}
		if !t.HasTag(r.opts.Tags, r.opts.SkipTags) {
			return true, nil
		}
		live := activeOf(hosts)
		if len(live) == 0 {
			return false, nil
		}
		r.refreshPlayHosts(play, live)
		r.announce(t, r.title(t, live[0]), false, live)
		var err error
		if t.IsInclude() {
			err = r.runInclude(ctx, play, t, live, all) // include.go
		} else {
			err = r.runTaskOnHosts(ctx, play, t, live, false)
		}
		if err != nil {
			return false, err
		}
	}
	if all != nil && r.checkFailLimits(play, all) {
		r.stopAll = true
		return false, nil
	}
	return len(activeOf(hosts)) > 0, nil
}

// steps runs a task list on hosts, until no host is left.
func (r *Runner) steps(ctx context.Context, play *playbook.Play, tasks []*playbook.Task, hosts []*hostState) error {
	for _, t := range tasks {
		more, err := r.step(ctx, play, t, hosts, nil)
		if err != nil || !more || r.stopAll {
			return err
		}
	}
	return nil
}

// runBlock runs a block as Ansible's linear strategy does: its tasks on
// every host; then its rescue on the hosts that failed in it, which are no
// longer failed (the failure counts as rescued) and see
// ansible_failed_task and ansible_failed_result; then its always on every
// host that entered it and is still reachable, failed or not. A host that
// failed and was not rescued is failed after the always.
func (r *Runner) runBlock(ctx context.Context, play *playbook.Play, b *playbook.Task, hosts []*hostState) error {
	in := activeOf(hosts)
	if err := r.steps(ctx, play, b.Block, in); err != nil {
		return err
	}
	if len(b.Rescue) > 0 {
		var rescue []*hostState
		for _, hs := range in {
			hs.mu.Lock()
			if hs.failed && !hs.unreachable {
				hs.failed = false
				hs.stats.Failed--
				hs.stats.Rescued++
				if f := hs.lastFailure; f != nil {
					hs.dyn["ansible_failed_task"] = failedTask(f.task)
					hs.dyn["ansible_failed_result"] = f.result
				}
				rescue = append(rescue, hs)
			}
			hs.mu.Unlock()
		}
		if len(rescue) > 0 {
			if err := r.steps(ctx, play, b.Rescue, rescue); err != nil {
				return err
			}
		}
	}
	if len(b.Always) == 0 {
		return nil
	}
	var always, failed []*hostState
	for _, hs := range in {
		hs.mu.Lock()
		if !hs.unreachable {
			if hs.failed {
				hs.failed = false
				failed = append(failed, hs)
			}
			always = append(always, hs)
		}
		hs.mu.Unlock()
	}
	err := r.steps(ctx, play, b.Always, always)
	for _, hs := range failed {
		hs.mu.Lock()
		hs.failed = true
		hs.mu.Unlock()
	}
	return err
}

// noteFailure keeps the result of a task that failed on a host (called with
// hs.mu held), for a rescue.
func noteFailure(hs *hostState, t *playbook.Task, mr *module.Result) {
	res := map[string]any{"failed": true}
	if mr != nil {
		res = mr.Registered()
	}
	hs.lastFailure = &failure{task: t, result: res}
}

// failedTask is ansible_failed_task: the fields of the failed task that
// rescues read.
func failedTask(t *playbook.Task) map[string]any {
	out := map[string]any{"name": t.Name, "action": t.Module}
	if t.Role != nil {
		out["role"] = t.Role.Name
	}
	if len(t.Tags) > 0 {
		tags := make([]any, len(t.Tags))
		for i, s := range t.Tags {
			tags[i] = s
		}
		out["tags"] = tags
	}
	return out
}
