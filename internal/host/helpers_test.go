package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// dial connects with cfg and closes the connection when the test ends.
func dial(t testing.TB, cfg host.SSHConfig) *host.SSH {
	t.Helper()
	h, err := host.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", cfg.Name, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// start starts an sshd and connects to it.
func start(t testing.TB, opts sshtest.Options) (*sshtest.Server, *host.SSH) {
	t.Helper()
	srv := sshtest.Start(t, opts)
	return srv, dial(t, srv.SSHConfig())
}

// run runs cmd, fails the test unless it exits 0, and returns its trimmed stdout.
func run(t testing.TB, h host.Executor, cmd string) string {
	t.Helper()
	res, err := h.Run(context.Background(), cmd, host.RunOpts{})
	if err != nil {
		t.Fatalf("run %q: %v", cmd, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("run %q: exit %d: %s", cmd, res.ExitCode, res.Stderr)
	}
	return strings.TrimSpace(res.Stdout)
}

// wantUnreachable fails the test unless err is an *host.UnreachableError
// for name.
func wantUnreachable(t testing.TB, err error, name string) {
	t.Helper()
	var ue *host.UnreachableError
	if !errors.Is(err, host.ErrUnreachable) || !errors.As(err, &ue) {
		t.Fatalf("want an unreachable error, got %T: %v", err, err)
	}
	if ue.Host != name {
		t.Errorf("unreachable error names %q, want %q", ue.Host, name)
	}
}

// eventually polls cond every 50ms for up to d.
func eventually(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
