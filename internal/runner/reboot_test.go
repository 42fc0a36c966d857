package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/report"
)

// TestRebootReconnects runs reboot against a real sshd whose "reboot" is
// real for its clients: the reboot command leaves a marker, on which the
// test restarts the host's sshd (every connection and command killed, the
// port closed for a second). The runner must drop its connection, wait
// through the unreachable time, reconnect, run test_command, and register
// rebooted and elapsed; the task after it runs on the new connection.
func TestRebootReconnects(t *testing.T) {
	f := newSSHDFixture(t, "rs01")
	defer func(d time.Duration) { rebootPoll = d }(rebootPoll)
	rebootPoll = 100 * time.Millisecond
	srv := f.servers["rs01"]
	marker := filepath.Join(f.roots["rs01"], "rebooting")
	restarted := make(chan bool, 1)
	go func() {
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(marker); err == nil {
				os.Remove(marker)
				srv.Restart(1500 * time.Millisecond)
				restarted <- true
				return
			}
		}
		restarted <- false
	}()
	rec, st, err := f.runPlaybook(t, `- hosts: all
  gather_facts: false
  tasks:
    - name: reboot
      reboot:
        reboot_command: "touch {{ root }}/rebooting"
        reboot_timeout: 30
        connect_timeout: 2
        test_command: test -d /proc
      register: rb
    - assert: {that: ["rb.rebooted", "rb.elapsed >= 1", "rb is changed", "rb.elapsed is number"]}
    - name: after
      command: echo after
`, nil)
	if !<-restarted {
		t.Fatal("the reboot command never ran")
	}
	if err != nil {
		t.Fatalf("run: %v %+v %+v", err, st, rec.results)
	}
	if got := strings.Count(srv.Log(), "Server listening on"); got != 2 {
		t.Errorf("sshd started %d times, want 2", got)
	}
	if r, _ := rec.result("rs01", "after"); r.Status != report.Changed {
		t.Errorf("after the reboot: %+v", r)
	}
}

// TestRebootCheckAndTimeout: in check mode nothing runs (changed,
// rebooted, elapsed 0, as Ansible); a host that never comes back fails
// with Ansible's message once reboot_timeout has passed.
func TestRebootCheckAndTimeout(t *testing.T) {
	f := newSSHDFixture(t, "rs01")
	defer func(d time.Duration) { rebootPoll = d }(rebootPoll)
	rebootPoll = 100 * time.Millisecond
	play := `- hosts: all
  gather_facts: false
  tasks:
    - name: reboot
      reboot: {reboot_command: "touch {{ root }}/rebooting", reboot_timeout: 2}
      register: rb
    - assert: {that: ["rb.rebooted", "rb.elapsed == 0", "rb is changed"]}
`
	if _, st, err := f.runPlaybook(t, play, func(o *Options) { o.Check = true }); err != nil {
		t.Fatalf("check mode: %v %+v", err, st)
	}
	if _, err := os.Stat(filepath.Join(f.roots["rs01"], "rebooting")); err == nil {
		t.Fatal("check mode ran the reboot command")
	}
	// The sshd never goes away: the boot id never changes.
	rec, _, err := f.runPlaybook(t, play, nil)
	r, _ := rec.result("rs01", "reboot")
	if err == nil || r.Err != "Timed out waiting for last boot time check (timeout=2)" || r.Result.Data["rebooted"] != true {
		t.Errorf("timeout: %v %+v", err, r)
	}
}

// TestRebootRefusesLocal refuses to reboot this machine, as Ansible.
func TestRebootRefusesLocal(t *testing.T) {
	f := newFixture(t, "a")
	f.opts.Modules.Register("reboot", func() module.Module { return &module.Reboot{} })
	f.opts.Connect = func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
		return host.NewLocal(name, map[string]any{})
	}
	_, err := f.run(t, "- hosts: web\n  gather_facts: false\n  tasks:\n    - name: reboot\n      reboot: {reboot_command: 'false'}\n")
	r, _ := f.rec.result("a", "reboot")
	if err == nil || r.Err != "Running reboot with local connection would reboot the control node." {
		t.Errorf("local: %v %+v", err, r)
	}
}
