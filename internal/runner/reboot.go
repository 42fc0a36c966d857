package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
)

// rebootPoll is how long the wait for a rebooting host sleeps between
// attempts.
var rebootPoll = time.Second

// localReboot refuses a reboot task whose connection is this machine, with
// Ansible's message.
func localReboot(t *playbook.Task, exec host.Executor) (module.Result, bool) {
	if module.Canonical(t.Module) != "reboot" {
		return module.Result{}, false
	}
	if e, ok := exec.(envExec); ok {
		exec = e.Executor
	}
	if _, local := exec.(*host.Local); !local {
		return module.Result{}, false
	}
	return module.Result{Failed: true, Msg: fmt.Sprintf("Running %s with local connection would reboot the control node.", t.Module),
		Data: map[string]any{"rebooted": false, "elapsed": 0}}, true
}

// awaitReboot finishes a reboot task whose reboot command ran (its result
// holds a module.RebootPlan): it drops the host's connections, waits
// post_reboot_delay, then reconnects until the host is back, which is a
// boot id other than the one before, or any answer once the host has been
// unreachable since the reboot command (a restart that keeps the boot id,
// as the tests' sshd); then it runs test_command until it exits 0. Each
// step must end within reboot_timeout of the reboot command, or the task
// fails with Ansible's "Timed out waiting for ... (timeout=N)".
func (r *Runner) awaitReboot(ctx context.Context, hs *hostState, t *playbook.Task, vars map[string]any, b host.Become, mr module.Result) (module.Result, error) {
	plan, ok := mr.Data[module.RebootKey].(module.RebootPlan)
	if !ok {
		return mr, nil
	}
	delete(mr.Data, module.RebootKey)
	deadline := plan.Start.Add(plan.Timeout)
	down := plan.BootID == "" // the reboot command lost the connection
	r.pool.dropHost(hs.name)
	result := func(failed bool, msg string) (module.Result, error) {
		mr.Failed, mr.Msg, mr.Changed = failed, msg, !failed
		mr.Data["rebooted"], mr.Data["elapsed"] = true, int(time.Since(plan.Start).Seconds())
		return mr, nil
	}
	if err := sleepCtx(ctx, plan.PostDelay); err != nil {
		return mr, err
	}
	timedOut := func(what string) (module.Result, error) {
		return result(true, fmt.Sprintf("Timed out waiting for %s (timeout=%d)", what, int(plan.Timeout.Seconds())))
	}
	// try runs cmd on a fresh connection; unreachable is "not yet".
	try := func(cmd string) (host.Result, bool, error) {
		dctx, cancel := ctx, context.CancelFunc(func() {})
		if plan.Connect > 0 {
			dctx, cancel = context.WithTimeout(ctx, plan.Connect)
		}
		exec, _, err := r.taskExecutor(dctx, hs, t, vars)
		cancel()
		var out host.Result
		if err == nil {
			out, err = host.WithBecome(exec, b).Run(ctx, cmd, host.RunOpts{})
		}
		if ctx.Err() != nil {
			return out, false, ctx.Err()
		}
		if err != nil {
			down = true
			r.pool.dropHost(hs.name)
			return out, false, nil
		}
		return out, true, nil
	}
	for {
		out, ok, err := try("cat /proc/sys/kernel/random/boot_id")
		if err != nil {
			return mr, err
		}
		id := strings.TrimSpace(out.Stdout)
		if ok && out.ExitCode == 0 && (down || (id != "" && id != plan.BootID)) {
			break
		}
		if ok {
			r.pool.dropHost(hs.name) // the host has not gone down yet
		}
		if time.Now().After(deadline) {
			return timedOut("last boot time check")
		}
		if err := sleepCtx(ctx, rebootPoll); err != nil {
			return mr, err
		}
	}
	for {
		out, ok, err := try(plan.TestCommand)
		if err != nil {
			return mr, err
		}
		if ok && out.ExitCode == 0 {
			return result(false, "")
		}
		if time.Now().After(deadline) {
			return timedOut("post-reboot test command")
		}
		if err := sleepCtx(ctx, rebootPoll); err != nil {
			return mr, err
		}
	}
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
