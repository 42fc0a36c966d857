package drill

import (
	"context"
	"strings"
	"testing"
	"time"

	"lvslab/internal/lvs"
)

func stepNamed(t *testing.T, r *Report, prefix string) Step {
	t.Helper()
	for _, s := range r.Steps {
		if strings.HasPrefix(s.Name, prefix) {
			return s
		}
	}
	t.Fatalf("no step %q in %+v", prefix, r.Steps)
	return Step{}
}

func writeReport(r *Report) string {
	var b strings.Builder
	r.Write(&b)
	return b.String()
}

// With keepalived on two directors, every step recovers: rs02 leaves the
// pool and the failures stop there, it comes back, d2 takes the VIP when
// d1's keepalived stops and when d1 is reset, and d1 takes it back.
func TestDrillRecovers(t *testing.T) {
	l := newLab(2, true)
	rep, err := Run(context.Background(), l.options())
	if err != nil {
		t.Fatal(err)
	}
	out := writeReport(rep)
	if f := rep.Failed(); len(f) > 0 {
		t.Fatalf("steps failed: %+v\n%s", f, out)
	}
	if len(rep.Steps) != 6 {
		t.Fatalf("%d steps, want 6:\n%s", len(rep.Steps), out)
	}
	stop := stepNamed(t, rep, "nginx stopped on rs02")
	if stop.Failed == 0 || stop.LastFail.After(stop.Recovered.Add(200*time.Millisecond)) {
		t.Errorf("nginx stop: %d failed, last at %s, left the pool at %s:\n%s", stop.Failed, stop.LastFail, stop.Recovered, out)
	}
	for _, want := range []string{
		"rs02 (10.0.1.2) left the pool of d1", "rs02 (10.0.1.2) joined the pool of d1",
		"d2 holds the VIP", "d1 does not answer SSH", "d1 answers SSH again", "keepalived not running on d1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
	want := []string{"rs02: systemctl stop nginx", "rs02: systemctl start nginx", "d1: systemctl stop keepalived",
		"d1: systemctl start keepalived", "d1: " + resetHost}
	if strings.Join(l.ran, "\n") != strings.Join(want, "\n") {
		t.Errorf("ran:\n%s\nwant:\n%s", strings.Join(l.ran, "\n"), strings.Join(want, "\n"))
	}
	if j := rep.JSON()["drill"].(map[string]any); len(j["steps"].([]map[string]any)) != 6 || len(j["timeline"].([]map[string]any)) < 8 {
		t.Errorf("JSON: %v", j)
	}
}

// Without keepalived's checks (one director, no --ha) the failed real
// server stays in the pool: the nginx step fails, saying why; nginx is
// started again all the same; the director steps are skipped.
func TestDrillWithoutHealthChecksFails(t *testing.T) {
	l := newLab(1, false)
	o := l.options()
	o.LeaveBound = time.Second
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	out := writeReport(rep)
	stop := stepNamed(t, rep, "nginx stopped")
	if stop.OK || !strings.Contains(stop.Why, "still in the pool") || !strings.Contains(stop.Why, "--ha") {
		t.Errorf("nginx step: ok=%v why=%q\n%s", stop.OK, stop.Why, out)
	}
	if f := rep.Failed(); len(f) != 1 {
		t.Errorf("failed steps: %+v", f)
	}
	if s := stepNamed(t, rep, "keepalived stopped"); s.Skipped == "" {
		t.Errorf("keepalived step not skipped: %+v", s)
	}
	if !l.nginxUp["rs02"] {
		t.Error("nginx was left stopped on rs02")
	}
}

// A real server that keeps receiving connections after it left the pool
// (here: requests keep failing) fails its step.
func TestDrillFailuresAfterLeavingFail(t *testing.T) {
	l := newLab(2, true)
	l.failAfterLeave = true
	o := l.options()
	o.Faults = []string{FaultNginx}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	stop := stepNamed(t, rep, "nginx stopped")
	if stop.OK || !strings.Contains(stop.Why, "failed after rs02 left the pool") {
		t.Errorf("nginx step: ok=%v why=%q\n%s", stop.OK, stop.Why, writeReport(rep))
	}
}

// A BACKUP that never takes the VIP fails the takeover step, and
// keepalived is started again on the MASTER.
func TestDrillNoTakeoverFails(t *testing.T) {
	l := newLab(2, true)
	l.keepalived["d2"] = false
	o := l.options()
	o.Faults = []string{FaultKeepalived}
	o.TakeoverBound = time.Second
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	s := stepNamed(t, rep, "keepalived stopped on d1")
	if s.OK || !strings.Contains(s.Why, "no other director") {
		t.Errorf("takeover step: ok=%v why=%q\n%s", s.OK, s.Why, writeReport(rep))
	}
	if !l.keepalived["d1"] {
		t.Error("keepalived left stopped on d1")
	}
}

// An interrupted drill still starts nginx again.
func TestDrillInterruptedUndoes(t *testing.T) {
	l := newLab(2, true)
	o := l.options()
	o.Faults = []string{FaultNginx}
	ctx, cancel := context.WithCancel(context.Background())
	o.Progress = func(ev Event) {
		if ev.Kind == "fault" {
			cancel()
		}
	}
	Run(ctx, o)
	if !l.nginxUp["rs02"] {
		t.Error("nginx left stopped on rs02 after an interrupt")
	}
}

func TestSightParse(t *testing.T) {
	out := "addr=10.254.0.6\naddr=192.168.30.100\nkeepalived=running\nkeepalived=configured\n" + ipvsMark + "\n" +
		"-A -t 192.168.30.100:80 -s rr\n-a -t 192.168.30.100:80 -r 192.168.30.7:80 -g -w 1\n-a -t 192.168.30.100:80 -r 192.168.30.8:80 -g -w 0\n" +
		"-A -t 192.168.30.100:443 -s rr\n-a -t 192.168.30.100:443 -r 192.168.30.8:443 -g -w 2\n"
	s := parseSight("lvs-server", "192.168.30.100", "TCP 192.168.30.100:80", out)
	if !s.Role.HasVIP || !s.Role.Keepalived || !s.Role.Configured {
		t.Errorf("role: %+v", s.Role)
	}
	// The pool is port 80's: rs .8 drained there, whatever 443 says.
	if !s.InPool("192.168.30.7") || s.InPool("192.168.30.8") || s.Pool["192.168.30.8"] != 0 || s.InPool("192.168.30.9") {
		t.Errorf("pool: %v", s.Pool)
	}
	if s := parseSight("lvs-server", "192.168.30.100", "TCP 192.168.30.100:443", out); s.Pool["192.168.30.8"] != 2 || s.InPool("192.168.30.7") {
		t.Errorf("pool of 443: %v", s.Pool)
	}
	if s := parseSight("d", "192.168.30.100", "TCP 192.168.30.100:80", "addr=10.0.0.1\n"+ipvsMark+"\n"); s.Role.HasVIP || len(s.Pool) != 0 {
		t.Errorf("no VIP, no table: %+v", s)
	}
}

func TestHATimingBounds(t *testing.T) {
	tm := lvs.HATiming{CheckInterval: 3 * time.Second, CheckTimeout: 3 * time.Second, CheckRetries: 2,
		RetryDelay: time.Second, AdvertInt: time.Second}
	o := Options{Timing: tm}
	o.Bounds()
	if o.LeaveBound != 19*time.Second || o.ReturnBound != 11*time.Second || o.TakeoverBound != 9*time.Second {
		t.Errorf("bounds: leave %s return %s takeover %s", o.LeaveBound, o.ReturnBound, o.TakeoverBound)
	}
	o.Faults = []string{"nginx", "flood"}
	o.Load.Rate = 10
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), `"flood"`) {
		t.Errorf("validate: %v", err)
	}
}
