package load

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestRampRuleCheck(t *testing.T) {
	rule := RampRule{MaxP99: 200 * time.Millisecond, MaxFailRatio: 0.001}
	good := Summary{Sent: 1000, Completed: 1000, Latency: Latency{P99: 12.5}}
	cases := []struct {
		name string
		s    Summary
		ok   bool
		why  string
	}{
		{"good", good, true, ""},
		{"at the limits", Summary{Sent: 1000, Completed: 999, Failed: 1, Latency: Latency{P99: 200}}, true, ""},
		{"slow", Summary{Sent: 1000, Completed: 1000, Latency: Latency{P99: 312.4}}, false, "p99 312ms > 200ms"},
		{"failing", Summary{Sent: 1000, Completed: 996, Failed: 4, Latency: Latency{P99: 3}}, false, "0.4% failed > 0.1%"},
		{"slow and failing", Summary{Sent: 100, Completed: 50, Failed: 50, Latency: Latency{P99: 1234}}, false, "p99 1.234s > 200ms, 50% failed > 0.1%"},
		{"overload counts as due", Summary{Sent: 900, Completed: 900, Failed: 100, Failures: map[string]int64{CauseOverload: 100}, Latency: Latency{P99: 3}}, false, "10% failed > 0.1%"},
		{"nothing sent", Summary{}, false, "nothing sent"},
		{"all overload", Summary{Failed: 5, Failures: map[string]int64{CauseOverload: 5}}, false, "nothing completed, 100% failed > 0.1%"},
		{"nothing completed", Summary{Sent: 3, Failed: 3}, false, "nothing completed, 100% failed > 0.1%"},
	}
	for _, c := range cases {
		ok, why := rule.Check(c.s)
		if ok != c.ok || why != c.why {
			t.Errorf("%s: %v %q, want %v %q", c.name, ok, why, c.ok, c.why)
		}
	}
}

// limited answers within 2ms while fewer than slots requests are being
// served, and 503 to the ones beyond: its capacity is about 1000 requests
// per second with 2 slots.
func limited(slots int) http.Handler {
	sem := make(chan struct{}, slots)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		select {
		case sem <- struct{}{}:
			time.Sleep(2 * time.Millisecond)
			<-sem
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
}

// queued serves one request at a time, in 2ms: its capacity is under 500
// requests per second, and above it requests wait longer and longer.
func queued() http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	})
}

func TestRamp(t *testing.T) {
	// Steps of 10, 40, 160, 640, 2560, 10240 /s: the first is far below
	// either server's capacity, the last ones far above it.
	r := RampOptions{Start: 10, Factor: 4, Step: 400 * time.Millisecond, MaxSteps: 6}
	for _, c := range []struct {
		name    string
		h       http.Handler
		rule    RampRule
		failure func(Summary) bool // what the failing step must show
	}{
		{"503 above capacity", limited(2), RampRule{MaxP99: time.Minute, MaxFailRatio: 0.05},
			func(s Summary) bool { return s.Failures[CauseStatus] > 0 }},
		{"slow above capacity", queued(), RampRule{MaxP99: 200 * time.Millisecond, MaxFailRatio: 1},
			func(s Summary) bool { return s.Latency.P99 > 200 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t, c.h, false)
			r := r
			r.Rule = c.rule
			checkRamp(t, Options{URL: s.URL, KeepAlive: true, Interval: 100 * time.Millisecond}, r, c.failure)
		})
	}
}

// checkRamp runs a ramp that must stop on a failing step showing failure,
// after steps that all passed, and checks what it reports.
func checkRamp(t *testing.T, o Options, r RampOptions, failure func(Summary) bool) {
	t.Helper()
	var (
		mu        sync.Mutex
		intervals []Interval
		steps     []RampStep
	)
	res, err := Ramp(context.Background(), o, r,
		func(iv Interval) { mu.Lock(); intervals = append(intervals, iv); mu.Unlock() },
		func(st RampStep) { mu.Lock(); steps = append(steps, st); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	n := len(res.Steps)
	if n < 2 || n > r.MaxSteps || len(steps) != n {
		t.Fatalf("%d steps (%d reported); want 2..%d", n, len(steps), r.MaxSteps)
	}
	last := res.Steps[n-1]
	if last.Pass || res.StoppedBy != last.Why || !failure(last.Summary) {
		t.Errorf("last step: pass %v why %q failures %v p99 %gms, stopped by %q", last.Pass, last.Why, last.Summary.Failures, last.Summary.Latency.P99, res.StoppedBy)
	}
	var capacity, rate float64
	for i, st := range res.Steps[:n-1] {
		if !st.Pass {
			t.Errorf("step %d (%g/s) failed (%s) but the ramp went on", i+1, st.Rate, st.Why)
		}
		if want := r.Start * float64(int(1)<<(2*i)); st.Rate != want || st.Summary.Rate != want {
			t.Errorf("step %d: rate %g (summary %g), want %g", i+1, st.Rate, st.Summary.Rate, want)
		}
		if st.Summary.RPS > capacity {
			capacity, rate = st.Summary.RPS, st.Rate
		}
	}
	if res.Capacity != capacity || res.CapacityRate != rate || capacity == 0 {
		t.Errorf("capacity %g at %g/s, want %g at %g/s (the best passing step)", res.Capacity, res.CapacityRate, capacity, rate)
	}
	prev := Interval{Step: 1}
	for _, iv := range intervals {
		if iv.Step < prev.Step || iv.Step > n || iv.Elapsed < prev.Elapsed {
			t.Errorf("interval step %d elapsed %g after step %d elapsed %g", iv.Step, iv.Elapsed, prev.Step, prev.Elapsed)
		}
		prev = iv
	}
	if prev.Step != n {
		t.Errorf("last interval of step %d, want %d", prev.Step, n)
	}
}

func TestRampMaxSteps(t *testing.T) {
	s := newServer(t, okHandler, false)
	r := RampOptions{Start: 20, Factor: 1.5, Step: 100 * time.Millisecond, MaxSteps: 2, Rule: RampRule{MaxP99: time.Minute, MaxFailRatio: 1}}
	res, err := Ramp(context.Background(), Options{URL: s.URL, Duration: -1, Rate: -1}, r, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != 2 || res.StoppedBy != StoppedMaxSteps || res.CapacityRate == 0 {
		t.Errorf("%d steps, stopped by %q, capacity %g at %g/s", len(res.Steps), res.StoppedBy, res.Capacity, res.CapacityRate)
	}
}

func TestRampValidates(t *testing.T) {
	_, err := Ramp(context.Background(), Options{URL: "gopher://x"}, RampOptions{Factor: 0.5}, nil, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"start 0/s", "factor 0.5", "url \"gopher://x\""} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
