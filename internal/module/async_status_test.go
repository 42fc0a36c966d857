package module

import (
	"strings"
	"testing"
)

func TestAsyncStatusArgs(t *testing.T) {
	_, err := newModuleErr("async_status", "{jid: ../x, mode: wait}")
	if err == nil || !strings.Contains(err.Error(), `jid "../x" is no job id`) || !strings.Contains(err.Error(), "mode must be one of: status, cleanup, got: wait") {
		t.Errorf("bad arguments: %v", err)
	}
	if _, err := newModuleErr("async_status", "{}"); err == nil || !strings.Contains(err.Error(), "missing required arguments: jid") {
		t.Errorf("no jid: %v", err)
	}
}

// TestAsyncResultShapes registers what Ansible's async_status does for a
// running, a finished, a failed and a timed-out job.
func TestAsyncResultShapes(t *testing.T) {
	parse := func(text string) AsyncState {
		st, err := ParseAsyncStatus("j1.2", text)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	run := AsyncResult(parse(`{"started": 1, "finished": 0, "ansible_job_id": "j1.2"}`), "/r/.ansible_async/j1.2")
	if run.Changed || run.Failed || run.Data["finished"] != 0 || run.Data["started"] != 1 || run.Data["results_file"] != "/r/.ansible_async/j1.2" {
		t.Errorf("running: %+v", run)
	}
	done := AsyncResult(parse(`{"started": 1, "finished": 1, "rc": 2, "start": "2024-01-02 03:04:05.100000001", "end": "2024-01-02 03:04:06.350000999", "stdout": "a\nb\n", "stderr": ""}`), "f")
	if !done.Changed || !done.Failed || done.Msg != "non-zero return code" || done.Data["delta"] != "0:00:01.250000" ||
		done.Data["start"] != "2024-01-02 03:04:05.100000" || done.Data["stdout"] != "a\nb" || len(done.Data["stdout_lines"].([]string)) != 2 {
		t.Errorf("finished: %+v", done)
	}
	// async_wrapper's own result has no started: finished.
	if old := AsyncResult(parse(`{"rc": 0, "stdout": "x"}`), "f"); old.Failed || old.Data["finished"] != 1 {
		t.Errorf("no started: %+v", old)
	}
	to := AsyncResult(parse(`{"failed": true, "msg": "Timeout exceeded", "child_pid": 7, "started": 1, "finished": 1}`), "f")
	if !to.Failed || to.Msg != "Timeout exceeded" || to.Data["child_pid"] != float64(7) {
		t.Errorf("timed out: %+v", to)
	}
}
