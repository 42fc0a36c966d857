package load

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

func TestOpenLoop(t *testing.T) { bothEngines(t, testOpenLoop) }

func testOpenLoop(t *testing.T) {
	s := newServer(t, okHandler, false)
	o := opts(s.URL)
	o.Rate, o.Requests, o.Concurrency = 500, 40, 0
	sum := mustRun(t, o)
	if sum.Sent != 40 || sum.Completed != 40 || sum.Rate != 500 || sum.Concurrency != 0 {
		t.Errorf("sent %d completed %d rate %g concurrency %d; want 40 40 500 0", sum.Sent, sum.Completed, sum.Rate, sum.Concurrency)
	}
	if sum.Seconds <= 0 || sum.RPS <= 0 || sum.Latency.P50 <= 0 || sum.Latency.Max < sum.Latency.P99 {
		t.Errorf("figures: seconds %g rps %g latency %+v", sum.Seconds, sum.RPS, sum.Latency)
	}
	checkConsistent(t, sum)
}

func TestOverload(t *testing.T) { bothEngines(t, testOverload) }

func testOverload(t *testing.T) {
	// One request in flight at most, against a server that never answers:
	// the first request times out, the 9 due meanwhile (within 9ms, long
	// before the 2s timeout) are not sent.
	o := opts(rawServer(t, silent))
	o.Rate, o.Requests, o.MaxInFlight, o.Timeout = 1000, 10, 1, 2*time.Second
	sum := mustRun(t, o)
	if sum.Sent != 1 || sum.Failed != 10 || sum.Failures[CauseOverload] != 9 || sum.Failures[CauseTimeout] != 1 {
		t.Errorf("sent %d failed %d failures %v; want 1 sent, 9 overload, 1 timeout", sum.Sent, sum.Failed, sum.Failures)
	}
	checkConsistent(t, sum)
}

func TestIntervals(t *testing.T) { bothEngines(t, testIntervals) }

func testIntervals(t *testing.T) {
	s := newServer(t, okHandler, false)
	o := opts(s.URL)
	o.Requests, o.Duration, o.Interval, o.KeepAlive = 0, 350*time.Millisecond, 100*time.Millisecond, true
	var (
		mu      sync.Mutex
		emitted []Interval
	)
	sum, err := Run(context.Background(), o, func(iv Interval) {
		mu.Lock() // emit is never called concurrently: the race detector says so without it
		defer mu.Unlock()
		emitted = append(emitted, iv)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Intervals) == 0 || len(sum.Intervals) > 4 || len(emitted) != len(sum.Intervals) {
		t.Fatalf("%d intervals, %d emitted; want 1..4 both", len(sum.Intervals), len(emitted))
	}
	for i, iv := range sum.Intervals {
		if iv.Elapsed != emitted[i].Elapsed || (i > 0 && iv.Elapsed < sum.Intervals[i-1].Elapsed) {
			t.Errorf("interval %d: elapsed %g (emitted %g)", i, iv.Elapsed, emitted[i].Elapsed)
		}
	}
	if sum.Completed == 0 {
		t.Error("nothing completed")
	}
	checkConsistent(t, sum)
}

func TestCancel(t *testing.T) { bothEngines(t, testCancel) }

func testCancel(t *testing.T) {
	accepted := make(chan struct{}, 100)
	url := rawServer(t, func(c net.Conn) {
		accepted <- struct{}{}
		silent(c)
	})
	for _, rate := range []float64{0, 100} {
		o := opts(url)
		o.Rate, o.Requests, o.Duration, o.Timeout = rate, 0, time.Hour, time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-accepted
			cancel()
		}()
		// Were the requests in flight not abandoned, Run would wait an hour.
		sum, err := Run(ctx, o, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("rate %g: Run: %v, want context.Canceled", rate, err)
		}
		if sum.Sent != 0 || sum.Failed != 0 {
			t.Errorf("rate %g: abandoned requests counted: sent %d failed %d %v", rate, sum.Sent, sum.Failed, sum.Failures)
		}
		if sum.URL != url || sum.Intervals == nil {
			t.Errorf("rate %g: summary so far not filled: %+v", rate, sum)
		}
	}
}

func TestCancelConnecting(t *testing.T) { bothEngines(t, testCancelConnecting) }

func testCancelConnecting(t *testing.T) {
	o := opts(fullListener(t))
	o.Requests, o.Timeout = 0, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel) // while connecting, most likely: either way nothing counts
	// Were the connects not abandoned, Run would wait an hour.
	sum, err := Run(ctx, o, nil)
	if !errors.Is(err, context.Canceled) || sum.Sent != 0 {
		t.Errorf("Run: %v, sent %d %v; want context.Canceled, nothing counted", err, sum.Sent, sum.Failures)
	}
}

func TestRunValidates(t *testing.T) {
	if _, err := Run(context.Background(), Options{URL: "http://127.0.0.1/"}, nil); err == nil {
		t.Error("Run without a duration: no error")
	}
}
