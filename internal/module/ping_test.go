package module

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestPing(t *testing.T) {
	for _, check := range []bool{false, true} {
		env := familyEnv("Debian")
		env.Check = check
		f := hosttest.New().On(`^echo pong$`, host.Result{Stdout: "pong\n"})
		res := apply(t, newModule(t, "ping", ""), f, env)
		if res.Changed || res.Failed || res.Data["ping"] != "pong" || len(f.Calls) != 1 {
			t.Errorf("check=%v: %+v %q", check, res, f.Calls)
		}
		goldenShell(t, "core/ping", f.Calls, false)
	}
	f := hosttest.New().On(`^echo pong$`, host.Result{Stdout: "pong\n"})
	if res := apply(t, newModule(t, "ping", "data: foo"), f, familyEnv("Debian")); res.Data["ping"] != "foo" {
		t.Errorf("data: %+v", res)
	}
	if res := apply(t, newModule(t, "ping", "data: crash"), f, familyEnv("Debian")); !res.Failed || res.Msg != "boom" {
		t.Errorf("crash: %+v", res)
	}
	bad := hosttest.New().On(`^echo pong$`, host.Result{ExitCode: 127, Stderr: "sh: echo: not found"})
	if _, err := newModule(t, "ping", "").Apply(context.Background(), bad, familyEnv("Debian")); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("broken shell: %v", err)
	}
	down := hosttest.New().OnErr(`.`, &host.UnreachableError{Host: "rs01", Err: errors.New("connection refused")})
	if _, err := newModule(t, "ping", "").Apply(context.Background(), down, familyEnv("Debian")); !errors.Is(err, host.ErrUnreachable) {
		t.Errorf("unreachable: %v", err)
	}
	if _, err := newModuleErr("ping", "{data: x, other: 1}"); err == nil || !strings.Contains(err.Error(), "other") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestPause(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	var waited []time.Duration
	pauseNow = func() time.Time { return now }
	pauseAfter = func(d time.Duration) <-chan time.Time {
		waited = append(waited, d)
		now = now.Add(d)
		c := make(chan time.Time, 1)
		c <- now
		return c
	}
	defer func() { pauseNow, pauseAfter = time.Now, time.After }()
	for _, c := range []struct {
		args, stdout string
		wait         time.Duration
		delta        int
	}{
		{"seconds: 3", "Paused for 3.0 seconds", 3 * time.Second, 3},
		{"seconds: 0", "Paused for 1.0 seconds", time.Second, 1},
		{"minutes: 2", "Paused for 2.0 minutes", 2 * time.Minute, 120},
		{"seconds: '5'\nprompt: continue?", "Paused for 5.0 seconds", 5 * time.Second, 5},
		{"prompt: continue?", "Paused for 0.0 minutes", 0, 0},
	} {
		for _, check := range []bool{false, true} {
			waited = nil
			env := familyEnv("Debian")
			env.Check = check
			f := hosttest.New()
			res := apply(t, newModule(t, "pause", c.args), f, env)
			if res.Changed || res.Failed || res.Data["stdout"] != c.stdout || res.Data["delta"] != c.delta || len(f.Calls) != 0 || res.Data["user_input"] != "" {
				t.Errorf("%q: %+v %q", c.args, res, f.Calls)
			}
			if (c.wait == 0 && len(waited) != 0) || (c.wait != 0 && (len(waited) != 1 || waited[0] != c.wait)) {
				t.Errorf("%q: waited %v", c.args, waited)
			}
			if _, warned := res.Data["warnings"]; warned != (c.wait == 0) {
				t.Errorf("%q: warnings %v", c.args, res.Data["warnings"])
			}
		}
	}
	if _, err := newModuleErr("pause", "{seconds: 1, minutes: 1}"); err == nil || !strings.Contains(err.Error(), "mutually exclusive: minutes|seconds") {
		t.Errorf("both: %v", err)
	}
	if _, err := newModuleErr("pause", "{seconds: x}"); err == nil || !strings.Contains(err.Error(), "seconds") {
		t.Errorf("not a number: %v", err)
	}
}

func TestPauseCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newModule(t, "pause", "minutes: 10").Apply(ctx, hosttest.New(), familyEnv("Debian"))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled pause: %v after %s", err, time.Since(start))
	}
}

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 0.5: "0.5", 12.345: "12.35", 0: "0.0", 0.004: "0.0"} {
		if got := pyFloat(f); got != want {
			t.Errorf("%v: %s, want %s", f, got, want)
		}
	}
}
