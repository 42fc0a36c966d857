package loadrun

import (
	"fmt"
	"io"
	"strings"

	"lvslab/internal/load"
	"lvslab/internal/lvs"
)

// Write prints the results: one line per run side by side, then each run's
// answers per real server against the prediction, the director's counters,
// and, for two runs, the scale-out factor.
func Write(w io.Writer, c lvs.Config, results []Result) {
	if len(results) == 0 {
		return
	}
	o := results[0].Options
	how := fmt.Sprintf("%d concurrent", o.Concurrency)
	if o.Rate > 0 {
		how = fmt.Sprintf("%g req/s offered", o.Rate)
	}
	if results[0].Ramp != nil {
		how = "a rate ramp"
	}
	conn := "a new connection per request"
	if o.KeepAlive {
		conn = "keep-alive connections"
	}
	fmt.Fprintf(w, "%s mode, scheduler %s; from %s, %s, %s\n\n", c.Mode, c.Scheduler, results[0].From, how, conn)
	t := lvs.NewTable("run", "sent", "ok", "failed", "req/s", "p50", "p90", "p99", "max", "recv/s")
	t.AlignRight(1, 2, 3, 4, 5, 6, 7, 8, 9)
	for _, r := range results {
		s := r.Summary
		l := s.Latency
		t.Add(r.Target.Label, fmt.Sprint(s.Sent), fmt.Sprint(s.Completed), fmt.Sprint(s.Failed), fmt.Sprintf("%.1f", s.RPS),
			ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), bytes(s.BytesPerSec))
	}
	t.WriteTo(w)
	for _, r := range results {
		writeOne(w, r)
	}
	if f, ok := Factor(results); ok {
		fmt.Fprintf(w, "\nscale-out: %s\n", f)
	}
}

func writeOne(w io.Writer, r Result) {
	s := r.Summary
	fmt.Fprintf(w, "\n%s, %s, from %s:\n", r.Target.Label, r.Target.Via, r.From)
	if r.Ramp != nil {
		writeRamp(w, *r.Ramp)
	}
	if s.Failed > 0 {
		fmt.Fprintf(w, "failed: %s\n", failureWords(s))
	}
	r.Shares.Table().WriteTo(w)
	fmt.Fprintln(w, r.Target.Expect.Why)
	if len(r.Director) > 0 {
		fmt.Fprintln(w)
		writeDirector(w, r)
	}
}

func writeRamp(w io.Writer, r load.RampResult) {
	t := lvs.NewTable("step", "offered", "req/s", "p99", "failed", "rule")
	t.AlignRight(0, 1, 2, 3, 4)
	for i, st := range r.Steps {
		rule := "ok"
		if !st.Pass {
			rule = "FAIL: " + st.Why
		}
		t.Add(fmt.Sprint(i+1), fmt.Sprintf("%.0f/s", st.Rate), fmt.Sprintf("%.1f", st.Summary.RPS),
			ms(st.Summary.Latency.P99), fmt.Sprint(st.Summary.Failed), rule)
	}
	t.WriteTo(w)
	if r.Capacity > 0 {
		fmt.Fprintf(w, "capacity: %.0f req/s sustained (at %.0f/s offered); stopped by %s\n\n", r.Capacity, r.CapacityRate, r.StoppedBy)
	} else {
		fmt.Fprintf(w, "capacity: not found, the first step failed (%s): lower --rate\n\n", r.StoppedBy)
	}
}

// writeDirector prints the director's counters of the run and what they
// say about the reply path.
func writeDirector(w io.Writer, r Result) {
	t := lvs.NewTable("director (ipvsadm --stats, during the run)", "conns", "pkts in", "pkts out", "bytes in", "bytes out")
	t.AlignRight(1, 2, 3, 4, 5)
	for _, d := range r.Director {
		t.Add(append([]string{d.Key}, counters(d.Stats)...)...)
		for _, x := range d.Dests {
			t.Add(append([]string{"  -> " + x.Addr}, counters(x.Stats)...)...)
		}
	}
	t.WriteTo(w)
	sum := lvs.Sum(r.Director)
	var sent int64
	for _, s := range rampSteps(r) {
		sent += s.Sent
	}
	fmt.Fprintf(w, "%d connections counted by the director for %d requests sent", sum[lvs.Conns], sent)
	switch {
	case sum[lvs.OutPkts] > 0:
		fmt.Fprintln(w, "; replies came back through it (NAT)")
	case sum[lvs.InPkts] > 0:
		fmt.Fprintln(w, "; no reply passed it (the real servers answer the client directly)")
	default:
		fmt.Fprintln(w)
	}
}

// Factor is the scale-out factor of two runs (a baseline, then the VIP):
// the VIP's rate over the baseline's, capacities for ramps.
func Factor(results []Result) (string, bool) {
	if len(results) != 2 {
		return "", false
	}
	a, b := rate(results[0]), rate(results[1])
	if a <= 0 {
		return "", false
	}
	what := "req/s"
	if results[0].Ramp != nil {
		what = "req/s capacity"
	}
	return fmt.Sprintf("%s %.0f %s / %s %.0f %s = x%.2f with %d real servers",
		results[1].Target.Label, b, what, results[0].Target.Label, a, what, b/a, active(results[1].Target.Servers)), true
}

// rate is a run's throughput: the capacity of a ramp, else its RPS.
func rate(r Result) float64 {
	if r.Ramp != nil {
		return r.Ramp.Capacity
	}
	return r.Summary.RPS
}

func active(servers []lvs.Server) int {
	n := 0
	for _, s := range servers {
		if s.Weight > 0 {
			n++
		}
	}
	return n
}

func counters(c lvs.Counters) []string {
	out := make([]string, len(c))
	for i, v := range c {
		out[i] = fmt.Sprint(v)
	}
	return out
}

func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

func bytes(perSec float64) string {
	units := []string{"B", "kB", "MB", "GB"}
	i := 0
	for perSec >= 1000 && i < len(units)-1 {
		perSec /= 1000
		i++
	}
	return strings.TrimSpace(fmt.Sprintf("%.1f %s", perSec, units[i]))
}
