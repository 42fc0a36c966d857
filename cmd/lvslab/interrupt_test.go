package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// TestInterruptClosesEverything interrupts (SIGINT, then SIGTERM) a run
// whose task runs on three hosts at once: lvslab exits 130 promptly with
// the recap as its last JSON event, the remote commands are stopped and
// every connection is closed (each sshd is back to its listener alone).
func TestInterruptClosesEverything(t *testing.T) {
	t.Parallel()
	servers := []*sshtest.Server{sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{})}
	dir := t.TempDir()
	var hosts []invHost
	for i, s := range servers {
		hosts = append(hosts, invHost{fmt.Sprintf("rs%02d", i+1), s.Vars()})
	}
	writeInventory(t, dir, hosts)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		marker := fmt.Sprintf("3%d.%d", int(sig), time.Now().UnixNano()%1000000)
		writeFile(t, dir, "slow.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - shell: \"sleep "+marker+"\"\n    - command: \"true\"\n")
		cmd := exec.Command(binary, "run", "-i", "inv.yml", "slow.yml", "-o", "json")
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(20 * time.Second); countProcs("^sleep "+marker) < len(servers); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				cmd.Process.Kill()
				t.Fatalf("%v: the remote commands never all ran", sig)
			}
		}
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: lvslab still running 20s after the signal", sig)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Fatalf("%v: exit %v, want 130\n%s", sig, err, out.String())
		}
		evs := jsonEvents(t, out.String())
		if last := evs[len(evs)-1]; last.Event != "recap" || len(last.Hosts) != len(servers) {
			t.Errorf("%v: last event %+v, want the recap of every host", sig, last)
		}
		for _, ev := range evs {
			if ev.Event == "result" && ev.Status == "ok" {
				t.Errorf("%v: an interrupted task is ok: %+v", sig, ev)
			}
		}
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			left := countProcs("^sleep " + marker)
			conns := 0
			for _, s := range servers {
				conns += len(s.Pids()) - 1
			}
			if left == 0 && conns == 0 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("%v: 10s after exit %d remote commands and %d connection processes are left", sig, left, conns)
			}
		}
	}
}

// countProcs returns how many processes' command lines match pattern.
func countProcs(pattern string) int {
	out, _ := exec.Command("pgrep", "-f", pattern).Output()
	return len(strings.Fields(string(out)))
}
