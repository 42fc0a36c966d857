package loadreport

import (
	"fmt"
	"math"
)

// latencyChart draws the p99 latency over time, one line per run, broken
// where an interval completed nothing; for a ramp also the rule's bound.
func (b *board) latencyChart(y float64) float64 {
	low, top := math.Inf(1), 0.0
	var legend []legendItem
	bounds := 0
	for i, t := range b.tracks {
		r := b.runs[i]
		for _, s := range t.samples {
			if s.completed > 0 && s.p99 > 0 {
				low, top = math.Min(low, s.p99), math.Max(top, s.p99)
			}
		}
		text := clip(r.Label, labelChars)
		if p99 := finite(r.Summary.Latency.P99); p99 > 0 {
			text += " — p99 of the run " + quantity(p99) + " ms"
		}
		legend = append(legend, legendItem{text, b.color(i), swatchLine})
		if bound := maxP99(r); bound > 0 {
			low, top = math.Min(low, bound), math.Max(top, bound)
			bounds++
		}
	}
	if bounds > 0 {
		legend = append(legend, legendItem{"the ramp rule's bound on p99", boundCol, swatchDash})
	}
	values := latencyAxis(low, top)
	unit := "ms"
	if values.log {
		unit = "ms (log)"
	}
	p, next := b.sc.frame(chart{
		title:  "p99 latency",
		unit:   unit,
		legend: legend,
		values: values,
		time:   b.time,
		empty:  b.emptyNote(),
	}, y)
	for i, t := range b.tracks {
		b.sc.polyline(len(t.samples), func(j int) bool { return t.samples[j].completed > 0 }, func(j int) pt {
			s := t.samples[j]
			return pt{p.x.at(s.mid()), p.y.at(s.p99)}
		}, b.color(i), 2)
	}
	for _, r := range b.runs {
		if bound := maxP99(r); bound > 0 {
			label := "bound " + quantity(bound) + " ms"
			if bounds > 1 {
				label = fmt.Sprintf("%s (%s)", label, clip(r.Label, 30))
			}
			b.sc.hline(p, bound, label, boundCol)
		}
	}
	return b.notes(next)
}
