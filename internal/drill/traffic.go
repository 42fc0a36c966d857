package drill

import (
	"sync"
	"time"

	"lvslab/internal/load"
)

// Slice is one interval of the steady load, placed on the controller's
// clock: requests that ended between From and To.
type Slice struct {
	From, To  time.Time
	Completed int64
	Failed    int64
	Failures  map[string]int64 // by cause
	Servers   map[string]int64
}

// traffic keeps the load's intervals as they arrive. The agent counts its
// intervals from its own start; that start on the controller's clock is
// the earliest arrival less the elapsed time it reports (the transport's
// delay is then the smallest one seen).
type traffic struct {
	every time.Duration

	mu     sync.Mutex
	start  time.Time
	raw    []load.Interval
	notify chan struct{}
}

func newTraffic(every time.Duration) *traffic {
	return &traffic{every: every, notify: make(chan struct{}, 1)}
}

// add records iv, arrived at.
func (t *traffic) add(iv load.Interval, at time.Time) {
	t.mu.Lock()
	s := at.Add(-time.Duration(iv.Elapsed * float64(time.Second)))
	if t.start.IsZero() || s.Before(t.start) {
		t.start = s
	}
	t.raw = append(t.raw, iv)
	t.mu.Unlock()
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

// slices are the intervals received so far, in order.
func (t *traffic) slices() []Slice {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Slice, 0, len(t.raw))
	for _, iv := range t.raw {
		to := t.start.Add(time.Duration(iv.Elapsed * float64(time.Second)))
		out = append(out, Slice{From: to.Add(-t.every), To: to, Completed: iv.Completed, Failed: iv.Failed,
			Failures: iv.Failures, Servers: iv.Servers})
	}
	return out
}

// Window sums the slices that ended in (from, to].
type Window struct {
	Completed, Failed   int64
	FirstFail, LastFail time.Time // ends of the first and last slices with failures
	FirstAnswer         time.Time // end of the first slice with an answer
	Servers             map[string]int64
	Failures            map[string]int64 // by cause
	Slices              int
}

func window(slices []Slice, from, to time.Time) Window {
	w := Window{Servers: map[string]int64{}, Failures: map[string]int64{}}
	for _, s := range slices {
		if !s.To.After(from) || s.To.After(to) {
			continue
		}
		w.Slices++
		w.Completed += s.Completed
		w.Failed += s.Failed
		if s.Failed > 0 {
			if w.FirstFail.IsZero() {
				w.FirstFail = s.To
			}
			w.LastFail = s.To
		}
		if s.Completed > 0 && w.FirstAnswer.IsZero() {
			w.FirstAnswer = s.To
		}
		for k, n := range s.Servers {
			w.Servers[k] += n
		}
		for k, n := range s.Failures {
			w.Failures[k] += n
		}
	}
	return w
}

// cleanSince is the start of the newest unbroken run of slices, after from,
// in which every request was answered (at least one each): zero when the
// last slice failed or none ended after from.
func cleanSince(slices []Slice, from time.Time) (since time.Time, length time.Duration) {
	for i := len(slices) - 1; i >= 0; i-- {
		s := slices[i]
		if !s.To.After(from) || s.Failed > 0 || s.Completed == 0 {
			break
		}
		since = s.From
		if since.Before(from) {
			since = from
		}
	}
	if since.IsZero() || len(slices) == 0 {
		return time.Time{}, 0
	}
	return since, slices[len(slices)-1].To.Sub(since)
}
