package module

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"lvslab/internal/host"
)

// AsyncStatus is Ansible's async_status: it reads the status file of an
// async job (a task with async and poll 0) and registers what it says, so
// that `until: job.finished` with retries waits for the job.
//
// Arguments: jid (required, the ansible_job_id the task registered) and
// mode: status (the default) or cleanup, which removes the status file.
// A running job registers started 1, finished 0 and results_file; a
// finished one its command's rc, stdout, stderr (and _lines), start, end,
// delta, changed as command's (always), failed with "non-zero return
// code" when rc is not 0, finished 1; a job its watchdog ended fails with
// Ansible's "Timeout exceeded". A job without a status file fails with
// "could not find job". The job runs as the task that started it became,
// its status file is in that user's ~/.ansible_async: give async_status
// the same become. It is never changed itself; in check mode it reads the
// status and cleanup removes nothing.
type AsyncStatus struct {
	JID  string `yaml:"jid"`
	Mode string `yaml:"mode"`
}

// asyncStatusWant is what an async_status task asks.
type asyncStatusWant struct{ AsyncStatus }

var jidName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// want defaults mode and checks the arguments.
func (m *AsyncStatus) want() (asyncStatusWant, error) {
	var p problems
	w := asyncStatusWant{*m}
	w.Mode = orDefault(m.Mode, "status")
	switch {
	case m.JID == "":
		p.add("missing required arguments: jid")
	case !jidName.MatchString(m.JID) || strings.Trim(m.JID, ".") == "":
		p.add("jid %q is no job id", m.JID)
	}
	if w.Mode != "status" && w.Mode != "cleanup" {
		p.add("value of mode must be one of: status, cleanup, got: %s", w.Mode)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *AsyncStatus) Validate() error { _, err := m.want(); return err }

// Apply reads (or removes) the status file with one command.
func (m *AsyncStatus) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	script := fmt.Sprintf("f=%s/%s\nprintf '%%s\\n' \"$f\"\n", AsyncDir, w.JID)
	if w.Mode == "cleanup" && !env.Check {
		script += "rm -f \"$f\"\n"
	} else {
		script += "[ -e \"$f\" ] && cat \"$f\"\n"
	}
	out, err := h.Run(ctx, script, host.RunOpts{})
	if err != nil {
		return Result{}, fmt.Errorf("async_status %s: %w", w.JID, err)
	}
	path, text, _ := strings.Cut(out.Stdout, "\n")
	if w.Mode == "cleanup" {
		return Result{Data: map[string]any{"ansible_job_id": w.JID, "erased": path, "started": 0, "finished": 0}}, nil
	}
	if strings.TrimSpace(text) == "" {
		return Result{Failed: true, Msg: "could not find job",
			Data: map[string]any{"ansible_job_id": w.JID, "results_file": path, "started": 1, "finished": 1}}, nil
	}
	st, err := ParseAsyncStatus(w.JID, text)
	if err != nil {
		return Result{}, err
	}
	return AsyncResult(st, path), nil
}

// AsyncResult is what an async job's status registers, as Ansible's
// async_status returns it (see AsyncStatus).
func AsyncResult(st AsyncState, path string) Result {
	data := map[string]any{"ansible_job_id": st.JID, "results_file": path, "started": 1, "finished": 0}
	if !st.Finished {
		data["stdout"], data["stderr"] = "", ""
		return Result{Data: data}
	}
	data["finished"] = 1
	if st.Failed {
		for k, v := range st.Data {
			if _, set := data[k]; !set && k != "failed" && k != "msg" {
				data[k] = v
			}
		}
		return Result{Failed: true, Msg: st.Msg, Data: data}
	}
	stdout, stderr := trimNL(st.Stdout), trimNL(st.Stderr)
	data["rc"], data["stdout"], data["stderr"] = st.RC, stdout, stderr
	data["stdout_lines"], data["stderr_lines"] = outLines(stdout), outLines(stderr)
	data["start"], data["end"], data["delta"] = trimMicro(st.Start), trimMicro(st.End), st.Delta()
	res := Result{Changed: true, Data: data}
	if st.RC != 0 {
		res.Failed, res.Msg = true, "non-zero return code"
	}
	return res
}
