package runner

import (
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
	"lvslab/internal/report"
)

// TestAsyncOnRealSSHD runs async tasks as jobs on a real sshd host: poll 0
// and an async_status loop until the job finished, cleanup, a polled job,
// and a polled job that outlives its async seconds (failed as Ansible,
// and ended on the host by its watchdog).
func TestAsyncOnRealSSHD(t *testing.T) {
	f := newSSHDFixture(t, "rs01")
	rec, st, err := f.runPlaybook(t, `- hosts: all
  gather_facts: false
  tasks:
    - name: fire
      shell: sleep 1; echo done; echo warn >&2
      async: 20
      poll: 0
      register: job
    - assert:
        that:
          - job.started == 1
          - job.finished == 0
          - job.ansible_job_id is match('j[0-9]{12}[.][0-9]+$')
          - job.results_file.endswith('/.ansible_async/' + job.ansible_job_id)
          - job is changed
    - name: wait
      async_status: {jid: "{{ job.ansible_job_id }}"}
      register: st
      until: st.finished
      retries: 20
      delay: 1
    - assert:
        that:
          - st.stdout == 'done'
          - st.stderr == 'warn'
          - st.rc == 0
          - st.attempts > 1
          - st is changed
          - st.delta is match('0:00:01[.]')
    - name: cleanup
      async_status: {jid: "{{ job.ansible_job_id }}", mode: cleanup}
      register: cl
    - stat: {path: "{{ job.results_file }}"}
      register: gone
    - assert:
        that:
          - not gone.stat.exists
          - cl.erased == job.results_file
    - name: missing
      async_status: {jid: "{{ job.ansible_job_id }}"}
      register: missing
      ignore_errors: true
    - assert: {that: ["missing is failed", "missing.msg == 'could not find job'"]}
    - name: polled
      command: echo hi
      async: 10
      poll: 1
      register: polled
    - assert: {that: ["polled.stdout == 'hi'", "polled.finished == 1", "polled.rc == 0", "polled is changed"]}
    - name: slow
      command: sleep 31.5
      async: 2
      poll: 1
      register: slow
      ignore_errors: true
    - assert:
        that:
          - slow is failed
          - slow.msg == 'async task did not complete within the requested time - 2s'
          - slow.async_result.finished == 0
          - slow.async_result.started == 1
`, nil)
	if err != nil {
		for _, r := range rec.results {
			if r.Status == report.Failed {
				t.Logf("%s %s: %s %v", r.Host, r.Task, r.Err, r.Result.Data)
			}
		}
		t.Fatalf("run: %v %+v", err, st)
	}
	if s := rec.status("rs01", "slow"); len(s) != 1 || s[0] != report.Failed {
		t.Errorf("slow: %v, want failed (ignored)", s)
	}
	// The watchdog ends the job that outlived its async seconds.
	deadline := time.Now().Add(10 * time.Second)
	for len(sshtest.CommandsWith("sleep\x0031.5")) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the timed-out job still runs: %v", sshtest.CommandsWith("sleep\x0031.5"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAsyncCheckMode fails an async task in check mode, as Ansible does.
func TestAsyncCheckMode(t *testing.T) {
	f := newSSHDFixture(t, "rs01")
	rec, _, err := f.runPlaybook(t, `- hosts: all
  gather_facts: false
  tasks:
    - name: fire
      command: echo hi
      async: 10
      poll: 0
`, func(o *Options) { o.Check = true })
	r, _ := rec.result("rs01", "fire")
	if err == nil || r.Status != report.Failed || r.Err != "check mode and async cannot be used on same task." {
		t.Errorf("check mode: %v %+v", err, r)
	}
}
