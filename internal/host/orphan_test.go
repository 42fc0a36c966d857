package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// TestOrphanChild is the child process of TestKilledClientStopsCommand: it
// connects with the configuration in its environment and runs the command
// there, until it is killed.
func TestOrphanChild(t *testing.T) {
	env := os.Getenv("LVSLAB_ORPHAN_CHILD")
	if env == "" {
		t.Skip("the child of TestKilledClientStopsCommand")
	}
	var c struct {
		Cfg     host.SSHConfig
		Cmd     string
		Session bool
	}
	if err := json.Unmarshal([]byte(env), &c); err != nil {
		t.Fatal(err)
	}
	h, err := host.Dial(context.Background(), c.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts := host.RunOpts{}
	if c.Session {
		opts.Stdout = os.Stdout // streamed: a session of its own, not the worker
	}
	_, _ = h.Run(context.Background(), c.Cmd, opts)
	t.Fatal("the command ended before the kill")
}

// TestKilledClientStopsCommand: a client killed with SIGKILL while its
// command runs on the host (in the worker, or in a session of its own)
// leaves nothing running there, though sshd signals no command of a
// session without a terminal.
func TestKilledClientStopsCommand(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, sshtest.Options{})
	for i, session := range []bool{false, true} {
		token := fmt.Sprintf("%d.%d%d", 4000+os.Getpid()%1000, time.Now().UnixNano()%1000000, i)
		env, _ := json.Marshal(map[string]any{"Cfg": srv.SSHConfig(), "Cmd": "sleep " + token + " && echo done", "Session": session})
		child := exec.Command(os.Args[0], "-test.run", "^TestOrphanChild$", "-test.count=1")
		child.Env = append(os.Environ(), "LVSLAB_ORPHAN_CHILD="+string(env))
		if out, err := sshtest.KillDuring(child, "sleep\x00"+token); err != nil {
			t.Errorf("session %v: %v\n%s", session, err, out)
		}
	}
}
