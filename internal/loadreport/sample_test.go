package loadreport

import (
	"math"
	"time"

	"lvslab/internal/load"
)

// wobble is a deterministic variation of about ±amp around 0.
func wobble(i int, seed, amp float64) float64 {
	return amp * (0.6*math.Sin(float64(i)*1.7+seed) + 0.4*math.Sin(float64(i)*0.37+2*seed))
}

// interval builds one interval of one second ending at elapsed, with the
// completed requests split among servers by shares.
func interval(step int, elapsed, rps, p99 float64, failed int64, servers []string, shares []float64) load.Interval {
	completed := int64(math.Round(rps))
	iv := load.Interval{Step: step, Elapsed: elapsed, Completed: completed, Failed: failed, RPS: float64(completed), P99: p99, Servers: map[string]int64{}}
	left := completed
	for i, name := range servers {
		n := int64(math.Round(float64(completed) * shares[i]))
		if i == len(servers)-1 {
			n = left
		}
		iv.Servers[name] = n
		left -= n
	}
	return iv
}

// summarize fills a summary's totals from its intervals.
func summarize(s load.Summary, latency load.Latency, failures map[string]int64) load.Summary {
	s.Servers = map[string]int64{}
	for _, iv := range s.Intervals {
		s.Completed += iv.Completed
		s.Failed += iv.Failed
		for k, v := range iv.Servers {
			s.Servers[k] += v
		}
	}
	s.Sent = s.Completed + s.Failed
	if n := len(s.Intervals); n > 0 {
		s.Seconds = float64(n) // one second each
	}
	s.RPS = float64(s.Completed) / s.Seconds
	s.Bytes = s.Completed * 850
	s.BytesPerSec = float64(s.Bytes) / s.Seconds
	s.Latency = latency
	s.Failures = failures
	s.Statuses = map[string]int64{"200": s.Completed}
	return s
}

// compareRuns is a --compare pair: rs01 directly, then the VIP with two
// real servers, 20 one-second intervals each; the VIP run has a few resets
// and one interval slowed by a retransmitted SYN.
func compareRuns() []Run {
	base := load.Summary{URL: "http://192.168.30.107:80/", Host: "192.168.30.107", Concurrency: 50}
	for i := range 20 {
		base.Intervals = append(base.Intervals, interval(0, float64(i+1), 2010+wobble(i, 0, 90), 11+wobble(i, 1, 2), 0, []string{"rs01"}, []float64{1}))
	}
	vip := load.Summary{URL: "http://192.168.30.100:80/", Host: "192.168.30.100", Concurrency: 50}
	for i := range 20 {
		p99, failed := 7+wobble(i, 3, 1.5), int64(0)
		if i == 12 {
			p99 = 1012
		}
		if i == 6 || i == 7 {
			failed = 3
		}
		share := 0.5 + wobble(i, 5, 0.03)
		vip.Intervals = append(vip.Intervals, interval(0, float64(i+1), 3850+wobble(i, 2, 160), p99, failed, []string{"rs01", "rs02"}, []float64{share, 1 - share}))
	}
	return []Run{
		{Label: "rs01 directly (192.168.30.107:80)", Summary: summarize(base, load.Latency{P50: 4.1, P90: 7.9, P99: 11.2, Max: 31, Mean: 4.6}, map[string]int64{})},
		{
			Label:    "VIP 192.168.30.100:80 (dr, 2 real servers)",
			Summary:  summarize(vip, load.Latency{P50: 2.3, P90: 4.4, P99: 7.4, Max: 1013, Mean: 2.9}, map[string]int64{load.CauseReset: 4, load.CauseTimeout: 2}),
			Expected: map[string]float64{"rs01": 0.5, "rs02": 0.5},
		},
	}
}

// rampRun is a ramp of 6 steps of 5 s through the VIP, 500 req/s × 1.5 per
// step: the fifth step is the capacity, the sixth breaks the p99 bound and
// times out requests. Its own Summary is left zero, as a ramp's may be.
func rampRun() Run {
	ramp := &load.RampResult{StoppedBy: "step 6: p99 412ms > 200ms"}
	rate, elapsed := 500.0, 0
	for s := range 6 {
		sum := load.Summary{URL: "http://192.168.30.100:80/", Host: "192.168.30.100", Rate: rate}
		over := s == 5
		for i := range 5 {
			elapsed++
			rps, p99, failed := rate+wobble(elapsed, 1, rate*0.01), 3+float64(s)*1.5+wobble(elapsed, 2, 0.6), int64(0)
			if over {
				rps, p99, failed = 2700+wobble(i, 3, 80), 180+float64(i)*70, int64(40+i*35)
			}
			sum.Intervals = append(sum.Intervals, interval(s+1, float64(elapsed), rps, p99, failed, []string{"rs01", "rs02"}, []float64{0.5, 0.5}))
		}
		failures := map[string]int64{}
		if over {
			failures[load.CauseTimeout] = 40 + 75 + 110 + 145 + 180
		}
		sum = summarize(sum, load.Latency{P50: 1.5 + float64(s), P90: 2.5 + float64(s), P99: 3 + float64(s)*1.5, Max: 20 + float64(s)*8}, failures)
		st := load.RampStep{Rate: rate, Summary: sum, Pass: !over}
		if over {
			st.Summary.Latency.P99 = 412
			st.Why = "p99 412ms > 200ms"
		} else {
			ramp.Capacity, ramp.CapacityRate = sum.RPS, rate
		}
		ramp.Steps = append(ramp.Steps, st)
		rate *= 1.5
	}
	return Run{
		Label:    "VIP 192.168.30.100:80 (dr, 2 real servers), ramp",
		Ramp:     ramp,
		Rule:     load.RampRule{MaxP99: 200 * time.Millisecond, MaxFailRatio: 0.001},
		Expected: map[string]float64{"rs01": 0.5, "rs02": 0.5},
	}
}
