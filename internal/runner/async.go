package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
)

// asyncExec runs the command of an async task (async: SECONDS) as a job on
// the host (module.AsyncLaunch) instead of in the foreground. With poll > 0
// it checks the job's status file every poll seconds, as Ansible's
// _poll_async_result does (at most async/poll times, rounded up), and
// gives the module the job's output as the command's; a job that has not
// finished then is errAsyncTimeout. With poll 0 the module gets an empty,
// successful result at once and the runner registers the job instead
// (asyncResult). Only the module's first command is a job: command and
// shell run one command.
type asyncExec struct {
	host.Executor
	async, poll int
	jid, file   string // set once the job started
	last        module.AsyncState
	started     bool
}

// errAsyncTimeout says a polled job did not finish in its time.
var errAsyncTimeout = errors.New("async task did not complete within the requested time")

// newJID returns a job id in Ansible's form, j<12 digits>.<pid>.
func newJID() string { return fmt.Sprintf("j%012d.%d", rand.Int64N(1e12), os.Getpid()) }

func (a *asyncExec) Run(ctx context.Context, cmd string, opts host.RunOpts) (host.Result, error) {
	if a.started || opts.Stdout != nil {
		return a.Executor.Run(ctx, cmd, opts)
	}
	a.started, a.jid = true, newJID()
	launch := opts
	launch.Stdin = opts.Stdin
	out, err := a.Executor.Run(ctx, module.AsyncLaunch(a.jid, cmd, a.async, opts.Stdin != nil), launch)
	if err != nil {
		return host.Result{}, err
	}
	if out.ExitCode != 0 {
		return host.Result{}, fmt.Errorf("async: could not start the job: %s", strings.TrimSpace(out.Stderr))
	}
	a.file = strings.TrimSpace(out.Stdout)
	if a.poll == 0 {
		return host.Result{}, nil
	}
	left := a.async
	for left > 0 {
		select {
		case <-ctx.Done():
			return host.Result{}, fmt.Errorf("async job %s: %w", a.jid, ctx.Err())
		case <-time.After(time.Duration(a.poll) * time.Second):
		}
		st, err := a.status(ctx, opts.Become)
		if err != nil {
			return host.Result{}, err
		}
		a.last = st
		if st.Finished && !st.TimedOut {
			if st.Failed {
				return host.Result{}, fmt.Errorf("async job %s: %s", a.jid, st.Msg)
			}
			return host.Result{Stdout: st.Stdout, Stderr: st.Stderr, ExitCode: st.RC}, nil
		}
		left -= a.poll
	}
	return host.Result{}, errAsyncTimeout
}

// status reads the job's status file.
func (a *asyncExec) status(ctx context.Context, b host.Become) (module.AsyncState, error) {
	out, err := a.Executor.Run(ctx, "cat "+host.Quote(a.file), host.RunOpts{Become: b})
	if err != nil {
		return module.AsyncState{}, err
	}
	if out.ExitCode != 0 {
		return module.AsyncState{}, fmt.Errorf("async job %s: no status file %s: %s", a.jid, a.file, strings.TrimSpace(out.Stderr))
	}
	return module.ParseAsyncStatus(a.jid, out.Stdout)
}

// asyncResult adds what an async task registers to the module's result:
// with poll 0 the job (ansible_job_id, started 1, finished 0,
// results_file, changed), with poll > 0 the job id and finished 1 beside
// the command's values, and for a job that did not finish in time
// Ansible's failure with the job's last status in async_result.
func (a *asyncExec) asyncResult(t *playbook.Task, mr module.Result, err error) (module.Result, error) {
	if !a.started {
		return mr, err // nothing ran: creates/removes, a failed module
	}
	if errors.Is(err, errAsyncTimeout) {
		last := module.AsyncResult(module.AsyncState{JID: a.jid}, a.file)
		return module.Result{Failed: true, Msg: fmt.Sprintf("%v - %ds", errAsyncTimeout, t.Async),
			Data: map[string]any{"async_result": last.Data}}, nil
	}
	if err != nil {
		return mr, err
	}
	if a.poll == 0 {
		return module.Result{Changed: true, Data: map[string]any{"ansible_job_id": a.jid, "started": 1, "finished": 0,
			"results_file": a.file}}, nil
	}
	if mr.Data == nil {
		mr.Data = map[string]any{}
	}
	mr.Data["ansible_job_id"], mr.Data["started"], mr.Data["finished"], mr.Data["results_file"] = a.jid, 1, 1, a.file
	if a.last.Start != "" {
		times := module.AsyncResult(a.last, a.file).Data
		mr.Data["start"], mr.Data["end"], mr.Data["delta"] = times["start"], times["end"], times["delta"]
	}
	return mr, nil
}
