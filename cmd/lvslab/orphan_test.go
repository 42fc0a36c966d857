package main

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// TestKilledRunLeavesNoRemoteCommand: lvslab killed with SIGKILL while a
// copy's validate command (or a command, a shell) runs on the host leaves
// nothing running there: sshd signals no command of a session without a
// terminal, so lvslab's wrapper on the host stops it when its session ends.
func TestKilledRunLeavesNoRemoteCommand(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	// A sleep no other process has: its duration is unique to the test.
	token := fmt.Sprintf("%d.%d", 3000+os.Getpid()%1000, time.Now().UnixNano()%1000000)
	for i, tc := range []struct{ name, task string }{
		{"copy", "copy: {content: \"x\\n\", dest: \"{{ root }}/f\", validate: \"sleep %s && test -f %%s\"}"},
		{"command", "command: sleep %s"},
		{"shell", "shell: \"sleep %s; true\""},
	} {
		sleep := fmt.Sprintf("%s%d", token, i)
		writeFile(t, dir, tc.name+".yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - "+fmt.Sprintf(tc.task, sleep)+"\n")
		cmd := exec.Command(binary, "run", "-i", "inv.yml", tc.name+".yml")
		cmd.Dir = dir
		if out, err := sshtest.KillDuring(cmd, "sleep\x00"+sleep); err != nil {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
	}
}
