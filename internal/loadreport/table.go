package loadreport

import (
	"cmp"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/load"
)

// maxStepRows bounds the rows of a ramp's steps table.
const maxStepRows = 100

// runTable is one run's summary in the page.
type runTable struct {
	Label   string
	Color   template.CSS
	Rows    []tableRow
	Servers []serverRow
	Steps   []stepRow
	More    string // what the tables left out
}

type tableRow struct {
	Name, Value string
	Fail        bool
}

type serverRow struct{ Name, Answers, Share, Expected string }

type stepRow struct {
	N                                    int
	Offered, Achieved, P99, Failed, Rule string
	Pass                                 bool
}

// newRunTable summarizes r for the page.
func newRunTable(r Run, t track, col color.NRGBA) runTable {
	s, latencies := summary(r)
	tb := runTable{Label: clip(r.Label, htmlLabelChars), Color: cssColor(col)}
	add := func(name, value string) { tb.Rows = append(tb.Rows, tableRow{Name: name, Value: value}) }
	add("address", clip(address(s), htmlLabelChars))
	add("mode", mode(r, s))
	add("duration", strconv.FormatFloat(finite(s.Seconds), 'f', 1, 64)+" s")
	add("sent", group(s.Sent))
	add("completed", group(s.Completed))
	tb.Rows = append(tb.Rows, tableRow{Name: "failed", Value: failedText(s), Fail: s.Failed > 0})
	if len(s.Statuses) > 0 {
		add("answers by status", counts(s.Statuses, false))
	}
	add("requests/s", quantity(meanRPS(r, t)))
	ms := func(v float64) string {
		if !latencies {
			return "–"
		}
		return quantity(finite(v)) + " ms"
	}
	add("latency p50", ms(s.Latency.P50))
	add("latency p90", ms(s.Latency.P90))
	add("latency p99", ms(s.Latency.P99))
	add("latency max", quantity(finite(s.Latency.Max))+" ms")
	add("received", bytesText(finite(s.BytesPerSec))+"/s ("+bytesText(float64(max(s.Bytes, 0)))+" in all)")
	if r.Ramp != nil {
		add("capacity", capacityText(r.Ramp))
		if r.Ramp.StoppedBy != "" {
			add("stopped by", clip(r.Ramp.StoppedBy, htmlLabelChars))
		}
		tb.Steps, tb.More = stepRows(r.Ramp)
	}
	tb.Servers = serverRows(s.Servers, r.Expected)
	return tb
}

// summary is r's summary, summed from a ramp's steps when the ramp's own is
// empty; latencies says whether its percentiles are known (sums have none).
func summary(r Run) (load.Summary, bool) {
	if r.Ramp == nil || r.Summary.Sent > 0 || len(r.Ramp.Steps) == 0 {
		return r.Summary, true
	}
	s := load.Summary{URL: r.Ramp.Steps[0].Summary.URL, Host: r.Ramp.Steps[0].Summary.Host, KeepAlive: r.Ramp.Steps[0].Summary.KeepAlive,
		Failures: map[string]int64{}, Statuses: map[string]int64{}, Servers: map[string]int64{}}
	for _, st := range r.Ramp.Steps {
		x := st.Summary
		s.Seconds += finite(x.Seconds)
		s.Sent += x.Sent
		s.Completed += x.Completed
		s.Failed += x.Failed
		s.Bytes += x.Bytes
		s.Latency.Max = math.Max(s.Latency.Max, finite(x.Latency.Max))
		for _, pair := range [][2]map[string]int64{{s.Failures, x.Failures}, {s.Statuses, x.Statuses}, {s.Servers, x.Servers}} {
			for k, v := range pair[1] {
				pair[0][k] += v
			}
		}
	}
	if s.Seconds > 0 {
		s.RPS = float64(s.Completed) / s.Seconds
		s.BytesPerSec = float64(s.Bytes) / s.Seconds
	}
	return s, false
}

// address is where the run sent its requests.
func address(s load.Summary) string {
	if s.Host != "" && !strings.Contains(s.URL, s.Host) {
		return s.URL + " (Host: " + s.Host + ")"
	}
	return s.URL
}

// mode says how the run sent its requests.
func mode(r Run, s load.Summary) string {
	var m string
	switch {
	case r.Ramp != nil:
		m = fmt.Sprintf("ramp of %d open-loop steps", len(r.Ramp.Steps))
	case s.Rate > 0:
		m = "open loop, " + quantity(finite(s.Rate)) + " req/s offered"
	case s.Concurrency > 0:
		m = fmt.Sprintf("closed loop, %d workers", s.Concurrency)
	default:
		m = "closed loop"
	}
	if s.KeepAlive {
		return m + ", keep-alive"
	}
	return m + ", a new connection per request"
}

// failedText is the failed count with its causes.
func failedText(s load.Summary) string {
	if s.Failed <= 0 {
		return "0"
	}
	if len(s.Failures) == 0 {
		return group(s.Failed)
	}
	return group(s.Failed) + " (" + counts(s.Failures, true) + ")"
}

// counts lists m as "key: n, ...": by count, most first, when byCount, else
// by key; at most maxServers entries and the rest as others.
func counts(m map[string]int64, byCount bool) string {
	keys := sortedKeys(m, byCount)
	parts := make([]string, 0, min(len(keys), maxServers)+1)
	var rest int64
	for i, k := range keys {
		if i >= maxServers {
			rest += m[k]
			continue
		}
		parts = append(parts, clip(k, serverChars)+": "+group(m[k]))
	}
	if rest > 0 {
		parts = append(parts, othersName+": "+group(rest))
	}
	return strings.Join(parts, ", ")
}

// sortedKeys are m's keys by value, highest first, then by key; or by key
// alone.
func sortedKeys[V cmp.Ordered](m map[string]V, byValue bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if byValue {
			if c := cmp.Compare(m[b], m[a]); c != 0 {
				return c
			}
		}
		return cmp.Compare(a, b)
	})
	return keys
}

// serverRows are the answers per real server with their shares, and the
// expected shares beside them; servers only expected are listed with none.
func serverRows(answers map[string]int64, expected map[string]float64) []serverRow {
	all := map[string]int64{}
	var total int64
	for k, v := range answers {
		all[k] = max(v, 0)
		total += max(v, 0)
	}
	for k := range expected {
		all[k] += 0
	}
	share := func(n int64) string {
		if total == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
	}
	var rows []serverRow
	var rest, restN int64
	var restWant float64
	for i, k := range sortedKeys(all, true) {
		want, ok := expected[k]
		if i >= maxServers {
			rest, restN, restWant = rest+all[k], restN+1, restWant+finite(want)
			continue
		}
		exp := "–"
		if ok {
			exp = fmt.Sprintf("%.1f%%", 100*finite(want))
		}
		rows = append(rows, serverRow{Name: serverName(k), Answers: group(all[k]), Share: share(all[k]), Expected: exp})
	}
	if restN > 0 {
		rows = append(rows, serverRow{Name: fmt.Sprintf("%s (%d)", othersName, restN), Answers: group(rest), Share: share(rest), Expected: fmt.Sprintf("%.1f%%", 100*restWant)})
	}
	return rows
}

// capacityText says what a ramp found.
func capacityText(ramp *load.RampResult) string {
	if finite(ramp.Capacity) == 0 {
		return "none: the first step failed the rule"
	}
	return quantity(finite(ramp.Capacity)) + " req/s, at " + quantity(finite(ramp.CapacityRate)) + " req/s offered"
}

// stepRows is a ramp's steps table, and what it left out.
func stepRows(ramp *load.RampResult) ([]stepRow, string) {
	var rows []stepRow
	for i, st := range ramp.Steps {
		if i >= maxStepRows {
			return rows, fmt.Sprintf("… and %d steps more", len(ramp.Steps)-maxStepRows)
		}
		rule := "pass"
		if !st.Pass {
			rule = "fail"
			if st.Why != "" {
				rule += ": " + clip(st.Why, 80)
			}
		}
		rows = append(rows, stepRow{
			N:        i + 1,
			Offered:  quantity(finite(st.Rate)),
			Achieved: quantity(finite(st.Summary.RPS)),
			P99:      quantity(finite(st.Summary.Latency.P99)) + " ms",
			Failed:   group(st.Summary.Failed),
			Rule:     rule,
			Pass:     st.Pass,
		})
	}
	return rows, ""
}

// group writes n with thousands separated: 1,234,567.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// bytesText is an amount of bytes in decimal units: 512 B, 1.5 kB, 12.3 MB.
func bytesText(v float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return quantity(v) + " " + units[i]
}
