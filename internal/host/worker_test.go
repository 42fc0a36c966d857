package host_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// sessions counts the sessions sshd started so far.
func sessions(srv *sshtest.Server) int {
	return strings.Count(srv.Log(), "Starting session:")
}

// TestWorkerOneSessionForManyCommands: commands without stdin share one
// session, whose output framing survives whatever the commands print.
func TestWorkerOneSessionForManyCommands(t *testing.T) {
	t.Parallel()
	srv, h := start(t, sshtest.Options{})
	ctx := context.Background()
	before := sessions(srv)
	cases := []struct {
		cmd  string
		want host.Result
	}{
		{"printf 'no newline'", host.Result{Stdout: "no newline"}},
		{"printf 'a\\036b\\036'; printf '\\036' >&2; exit 4", host.Result{Stdout: "a\x1eb\x1e", Stderr: "\x1e", ExitCode: 4}},
		{"printf '\\000\\001\\377'", host.Result{Stdout: "\x00\x01\xff"}},
		{"cd /tmp; export LVSLAB_LEAK=1; ulimit -n 64; umask 077; lvslab_v=1; pwd", host.Result{Stdout: "/tmp\n"}},
		{"pwd; echo ${LVSLAB_LEAK-unset} ${lvslab_v-unset} $(umask)", host.Result{Stdout: "/root\nunset unset 0022\n"}},
		{"cat; echo read-eof", host.Result{Stdout: "read-eof\n"}},
		{"exec sh -c 'exit 6'", host.Result{ExitCode: 6}},
		{"echo é ü; printf %s 'ß'", host.Result{Stdout: "é ü\nß"}},
		{"echo $0 >/dev/null; for v in lc n t s rc; do eval \"echo \\${lvslab_$v-unset}\"; done | sort -u", host.Result{Stdout: "unset\n"}},
	}
	for _, c := range cases {
		res, err := h.Run(ctx, c.cmd, host.RunOpts{})
		if err != nil {
			t.Fatalf("%q: %v", c.cmd, err)
		}
		if res != c.want {
			t.Errorf("%q:\n got %#v\nwant %#v", c.cmd, res, c.want)
		}
	}
	big, err := h.Run(ctx, "head -c 3000000 /dev/zero | tr '\\0' x; echo; head -c 200000 /dev/zero | tr '\\0' y >&2", host.RunOpts{})
	if err != nil || len(big.Stdout) != 3000001 || len(big.Stderr) != 200000 || strings.Trim(big.Stdout, "x\n") != "" {
		t.Errorf("3 MB out, 200 kB err: %d, %d bytes, %v", len(big.Stdout), len(big.Stderr), err)
	}
	// A script of 100 kB with multibyte characters arrives whole.
	var script strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&script, "x=\"${x}%d€\"\n", i%10)
	}
	script.WriteString("printf %s \"$x\" | wc -c")
	if got := run(t, h, script.String()); got != "20000" {
		t.Errorf("long script: %s bytes of output, want 20000", got)
	}
	if n := sessions(srv) - before; n != 1 {
		t.Errorf("%d sessions for %d commands, want 1 (the worker)", n, len(cases)+2)
	}
}

// TestWorkerLocaleAsInASession: the worker's own LC_ALL=C never reaches a
// command.
func TestWorkerLocaleAsInASession(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, sshtest.Options{})
	cmd := "echo ${LC_ALL-unset} ${LANG-unset}; locale 2>/dev/null | grep -c '^LC_CTYPE=\"\\?C\"\\?$' || true"
	w := run(t, dial(t, srv.SSHConfig()), cmd)
	cfg := srv.SSHConfig()
	cfg.SessionPerCommand = true
	s := run(t, dial(t, cfg), cmd)
	if w != s {
		t.Errorf("worker %q, session %q: the environment differs", w, s)
	}
}

// TestWorkerKilledByItsCommand: a command that kills the worker ($$ is the
// worker's pid) fails with an error; the next command gets a new worker.
func TestWorkerKilledByItsCommand(t *testing.T) {
	t.Parallel()
	srv, h := start(t, sshtest.Options{})
	_, err := h.Run(context.Background(), "kill -KILL $$", host.RunOpts{})
	if err == nil || !strings.Contains(err.Error(), "worker shell ended") {
		t.Fatalf("got %v, want the worker lost", err)
	}
	if errors.Is(err, host.ErrUnreachable) {
		t.Errorf("the connection is up: %v must not say unreachable", err)
	}
	before := sessions(srv)
	if got := run(t, h, "echo again; true"); got != "again" {
		t.Errorf("after the worker died: %q", got)
	}
	if got := run(t, h, "echo and again"); got != "and again" {
		t.Errorf("after the worker died: %q", got)
	}
	if n := sessions(srv) - before; n != 1 {
		t.Errorf("%d sessions after the restart, want 1 (a new worker)", n)
	}
}

// TestWorkerCancel: a cancelled command is stopped with its children, and
// the connection goes on with a new worker.
func TestWorkerCancel(t *testing.T) {
	t.Parallel()
	_, h := start(t, sshtest.Options{})
	n := time.Now().UnixNano() % 1000000 // sleeps no other test runs
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := h.Run(ctx, fmt.Sprintf("sh -c 'sleep 30.%06d; :' & sleep 31.%06d; wait", n, n), host.RunOpts{})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("got %v, want interrupted", err)
	}
	if !eventually(5*time.Second, func() bool {
		return run(t, h, fmt.Sprintf("pgrep -fc 'sleep 3[01][.]%06d' || true", n)) == "0"
	}) {
		out, _ := h.Run(context.Background(), fmt.Sprintf("pgrep -fa 'sleep 3[01][.]%06d'", n), host.RunOpts{})
		t.Errorf("the cancelled command's processes are still running:\n%s", out.Stdout)
	}
}

// TestWorkerConcurrentRuns: runs at once on one connection use the worker
// and sessions side by side, each with its own output.
func TestWorkerConcurrentRuns(t *testing.T) {
	t.Parallel()
	_, h := start(t, sshtest.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := h.Run(context.Background(), fmt.Sprintf("echo %d; echo e%d >&2; exit %d", i, i, i%5), host.RunOpts{})
			if err != nil || res != (host.Result{Stdout: fmt.Sprintf("%d\n", i), Stderr: fmt.Sprintf("e%d\n", i), ExitCode: i % 5}) {
				errs <- fmt.Errorf("run %d: %+v, %v", i, res, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestWorkerFallbackWithoutBash: a host where the worker cannot start runs
// each command in a session of its own, the first one included.
func TestWorkerFallbackWithoutBash(t *testing.T) {
	t.Parallel()
	srv := startInproc(t, "pw", false)
	srv.mu.Lock()
	srv.env = []string{"PATH=/nonexistent"} // no bash to be found
	srv.mu.Unlock()
	h := dial(t, srv.config("u", "pw"))
	for i := 0; i < 3; i++ {
		res, err := h.Run(context.Background(), "echo hi; exit 2", host.RunOpts{})
		if err != nil || res != (host.Result{Stdout: "hi\n", ExitCode: 2}) {
			t.Fatalf("run %d: %+v, %v", i, res, err)
		}
	}
	cmds, _ := srv.recorded()
	var worker, plain int
	for _, c := range cmds {
		switch {
		case strings.Contains(c, "lvslab-worker"):
			worker++
		case strings.Contains(c, "\necho hi; exit 2\n"):
			plain++
		}
	}
	if worker != 1 || plain != 3 {
		t.Errorf("%d worker starts and %d sessions, want 1 and 3:\n%s", worker, plain, strings.Join(cmds, "\n"))
	}
}

// TestWorkerCancelWhileStarting cancels the first command of connections
// at moments around their worker's start: under go test -race, the worker's
// pid must not be read by the cancelling side while the goroutine that
// reads the worker's ready line may still be setting it.
func TestWorkerCancelWhileStarting(t *testing.T) {
	t.Parallel()
	srv := startInproc(t, "pw", false)
	for i := range 60 {
		h := dial(t, srv.config("deploy", "pw"))
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%30)*100*time.Microsecond)
		_, err := h.Run(ctx, "sleep 5", host.RunOpts{})
		cancel()
		h.Close()
		if err == nil {
			t.Fatalf("run %d: sleep 5 was not interrupted", i)
		}
	}
}
