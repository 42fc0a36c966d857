package loadreport

import (
	"cmp"
	"math"
	"slices"

	"lvslab/internal/load"
)

// Bounds on what is drawn of one run.
const (
	maxPoints  = 600 // samples; longer runs have consecutive intervals merged
	maxServers = 12  // real-server series; the rest are summed as others
)

// othersName is the series of the real servers beyond maxServers.
const othersName = "others"

// sample is one point in time of a run: an interval, or several merged.
type sample struct {
	t         float64 // seconds since the run started, at the sample's end
	dt        float64 // seconds the sample covers
	completed int64
	failed    int64
	p99       float64 // ms, the highest of the merged intervals'; meaningful when completed > 0
	servers   []int64 // answers per series of track.servers
}

// mid is the sample's middle, where it is drawn.
func (s sample) mid() float64 { return s.t - s.dt/2 }

// rps is the sample's completed requests per second.
func (s sample) rps() float64 { return float64(s.completed) / s.dt }

// stepSpan is one ramp step on the time axis.
type stepSpan struct {
	start, end float64
	rate       float64 // offered
	pass       bool
}

// track is one run's data as the charts draw it.
type track struct {
	samples []sample
	merged  int        // intervals per sample, 1 unless the run was long
	servers []string   // series drawn: the most answered, by name; othersName last when others
	others  bool       // whether the last series sums the servers beyond maxServers
	answers []int64    // per series, over the run
	steps   []stepSpan // a ramp's, else nil
	end     float64    // seconds the run covers
}

// eachInterval calls f with every interval of r in order: a ramp's steps'
// when they have any, else the summary's.
func eachInterval(r Run, f func(load.Interval)) {
	if r.Ramp != nil {
		n := 0
		for _, st := range r.Ramp.Steps {
			n += len(st.Summary.Intervals)
			for _, iv := range st.Summary.Intervals {
				f(iv)
			}
		}
		if n > 0 {
			return
		}
	}
	for _, iv := range r.Summary.Intervals {
		f(iv)
	}
}

// newTrack extracts what the charts draw of r.
func newTrack(r Run) track {
	totals := map[string]int64{}
	eachInterval(r, func(iv load.Interval) {
		for name, n := range iv.Servers {
			totals[name] += max(n, 0)
		}
	})
	var t track
	t.servers, t.answers, t.others = rankServers(totals)
	index := make(map[string]int, len(t.servers))
	for i, name := range t.servers {
		index[name] = i
	}
	rest := len(t.servers) - 1
	var raw []sample
	prev := 0.0
	eachInterval(r, func(iv load.Interval) {
		s := sample{
			t:         math.Max(finite(iv.Elapsed), prev),
			completed: max(iv.Completed, 0),
			failed:    max(iv.Failed, 0),
			p99:       finite(iv.P99),
			servers:   make([]int64, len(t.servers)),
		}
		if rps := finite(iv.RPS); rps > 0 && s.completed > 0 {
			s.dt = float64(s.completed) / rps
		} else {
			s.dt = s.t - prev
		}
		if s.dt <= 0 || s.dt > s.t {
			s.dt = math.Max(s.t-prev, 0)
		}
		if s.dt <= 0 {
			s.dt = 1e-3
		}
		for name, n := range iv.Servers {
			i, ok := index[name]
			if !ok {
				i = rest
			}
			s.servers[i] += max(n, 0)
		}
		prev = s.t
		raw = append(raw, s)
	})
	t.samples, t.merged = coarsen(raw, maxPoints)
	t.steps = rampSpans(r.Ramp)
	if len(raw) > 0 {
		t.end = raw[len(raw)-1].t
	}
	if n := len(t.steps); n > 0 {
		t.end = math.Max(t.end, t.steps[n-1].end)
	}
	return t
}

// rankServers keeps the maxServers real servers with the most answers (ties
// by name), ordered by name, and sums the rest as othersName.
func rankServers(totals map[string]int64) ([]string, []int64, bool) {
	names := make([]string, 0, len(totals))
	for name := range totals {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(totals[b], totals[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var rest int64
	others := len(names) > maxServers
	if others {
		for _, name := range names[maxServers:] {
			rest += totals[name]
		}
		names = names[:maxServers:maxServers]
	}
	slices.Sort(names)
	answers := make([]int64, len(names), len(names)+1)
	for i, name := range names {
		answers[i] = totals[name]
	}
	if others {
		names, answers = append(names, othersName), append(answers, rest)
	}
	return names, answers, others
}

// coarsen merges runs of consecutive samples so that at most limit remain,
// and says how many samples each merged.
func coarsen(raw []sample, limit int) ([]sample, int) {
	k := (len(raw) + limit - 1) / limit
	if k <= 1 {
		return raw, 1
	}
	out := make([]sample, 0, limit)
	for i := 0; i < len(raw); i += k {
		group := raw[i:min(i+k, len(raw))]
		m := sample{servers: make([]int64, len(group[0].servers))}
		for _, s := range group {
			m.t = s.t
			m.dt += s.dt
			m.completed += s.completed
			m.failed += s.failed
			if s.completed > 0 {
				m.p99 = math.Max(m.p99, s.p99)
			}
			for j, n := range s.servers {
				m.servers[j] += n
			}
		}
		out = append(out, m)
	}
	return out, k
}

// rampSpans places a ramp's steps on the time axis: each ends at its last
// interval, or its length after the one before when it has none.
func rampSpans(ramp *load.RampResult) []stepSpan {
	if ramp == nil {
		return nil
	}
	spans := make([]stepSpan, 0, len(ramp.Steps))
	prev := 0.0
	for _, st := range ramp.Steps {
		end := prev + finite(st.Summary.Seconds)
		if n := len(st.Summary.Intervals); n > 0 {
			end = math.Max(prev, finite(st.Summary.Intervals[n-1].Elapsed))
		}
		spans = append(spans, stepSpan{start: prev, end: end, rate: finite(st.Rate), pass: st.Pass})
		prev = end
	}
	return spans
}

// meanRPS is the run's completed requests per second: the summary's, or
// from the intervals when the summary has none.
func meanRPS(r Run, t track) float64 {
	if rps := finite(r.Summary.RPS); rps > 0 {
		return rps
	}
	var completed int64
	var secs float64
	for _, s := range t.samples {
		completed += s.completed
		secs += s.dt
	}
	if secs <= 0 {
		return 0
	}
	return float64(completed) / secs
}

// rate is what the headline compares: a ramp's capacity, else the mean.
func rate(r Run, t track) float64 {
	if r.Ramp != nil {
		return finite(r.Ramp.Capacity)
	}
	return meanRPS(r, t)
}

// finite is v when it is a finite number of at least 0, else 0: the
// picture never draws NaN, infinities or negative amounts.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}
