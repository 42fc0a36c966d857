package loadreport

import (
	"fmt"
	"math"
)

// rpsChart draws requests per second over time, one line per run; for a
// ramp also the offered rate, the steps that failed the rule and the
// capacity; and under it the strip of intervals with failures.
func (b *board) rpsChart(y float64) float64 {
	top, failed, ramps, failedSteps := 0.0, int64(0), 0, false
	var legend []legendItem
	for i, t := range b.tracks {
		r := b.runs[i]
		for _, s := range t.samples {
			top = math.Max(top, s.rps())
			failed += s.failed
		}
		for _, st := range t.steps {
			top = math.Max(top, st.rate)
			failedSteps = failedSteps || !st.pass
		}
		legend = append(legend, legendItem{fmt.Sprintf("%s — mean %s req/s", clip(r.Label, labelChars), quantity(meanRPS(r, t))), b.color(i), swatchLine})
		if r.Ramp != nil {
			ramps++
		}
	}
	if ramps > 0 {
		legend = append(legend, legendItem{"offered rate", fade(b.color(0), 0.3), swatchBand}, legendItem{"capacity found", inkMuted, swatchDash})
	}
	if failedSteps {
		legend = append(legend, legendItem{"step failed the rule", fade(rgb(0xfca5a5), 0.6), swatchBox})
	}
	n, ideal := b.ideal()
	if ideal > 0 {
		top = math.Max(top, ideal)
		legend = append(legend, legendItem{fmt.Sprintf("%d × the first run (perfect scale-out)", n), inkMuted, swatchDash})
	}
	strip := 0.0
	if failed > 0 {
		legend = append(legend, legendItem{fmt.Sprintf("intervals with failed requests (%d failed)", failed), failCol, swatchTick})
		strip = float64(len(b.runs))*12 + 10
	} else if b.anySamples() {
		legend = append(legend, legendItem{"no failed requests", okCol, swatchNone})
	}
	p, next := b.sc.frame(chart{
		title:  "Requests per second",
		unit:   "req/s",
		legend: legend,
		values: linearAxis(top*1.08, 5),
		time:   b.time,
		below:  strip,
		empty:  b.emptyNote(),
	}, y)
	for i, t := range b.tracks {
		b.rampShade(p, t)
		b.offered(p, i, t)
	}
	if ideal > 0 {
		first := quantity(meanRPS(b.runs[0], b.tracks[0]))
		b.sc.hline(p, ideal, fmt.Sprintf("perfect scale-out: %d × %s = %s req/s", n, first, quantity(ideal)), inkMuted)
	}
	for i, t := range b.tracks {
		b.sc.polyline(len(t.samples), func(int) bool { return true }, func(j int) pt {
			s := t.samples[j]
			return pt{p.x.at(s.mid()), p.y.at(s.rps())}
		}, b.color(i), 2)
	}
	for i, r := range b.runs {
		if r.Ramp == nil || len(r.Ramp.Steps) == 0 {
			continue
		}
		if c := finite(r.Ramp.Capacity); c > 0 {
			b.sc.hline(p, c, "capacity "+quantity(c)+" req/s", b.color(i))
		} else {
			b.sc.text(p.right-4, p.bottom-6, "no step sustained the rule", bodyText.strong().with(anchorEnd).in(b.color(i)))
		}
	}
	if failed > 0 {
		b.failureStrip(p)
	}
	return b.notes(next, b.mergedNote(), b.stoppedBy())
}

// ideal is, for a pair of runs where the first had one real server and the
// second n, n times the first's rate: what the second reaches if the
// director adds nothing and the servers share the load evenly.
func (b *board) ideal() (int, float64) {
	if len(b.runs) != 2 || b.runs[0].Ramp != nil || b.runs[1].Ramp != nil {
		return 0, 0
	}
	first, second := b.tracks[0], b.tracks[1]
	if len(first.servers) != 1 || len(second.servers) < 2 || second.others {
		return 0, 0
	}
	n := len(second.servers)
	return n, float64(n) * meanRPS(b.runs[0], first)
}

// rampShade shades the steps of t that failed the rule.
func (b *board) rampShade(p plot, t track) {
	for _, st := range t.steps {
		if st.pass {
			continue
		}
		x0, x1 := p.x.at(st.start), p.x.at(st.end)
		b.sc.rect(x0, p.top, math.Max(x1-x0, 1), p.bottom-p.top, failShade)
	}
}

// offered draws a ramp's offered rate as a step line.
func (b *board) offered(p plot, i int, t track) {
	pts := make([]pt, 0, 2*len(t.steps))
	for _, st := range t.steps {
		y := p.y.at(st.rate)
		pts = append(pts, pt{p.x.at(st.start), y}, pt{p.x.at(st.end), y})
	}
	b.sc.line(thin(pts, 2*maxPoints), fade(b.color(i), 0.3), 5, false)
	if len(t.steps) > 24 {
		return
	}
	for _, st := range t.steps {
		x0, x1 := p.x.at(st.start), p.x.at(st.end)
		if x1-x0 >= 30 {
			b.sc.text((x0+x1)/2, p.y.at(st.rate)-7, quantity(st.rate), tickText.with(anchorMiddle).in(b.color(i)))
		}
	}
}

// failureStrip draws one row per run under the plot, a red tick for each
// interval with failures, the deeper the more of its requests failed.
func (b *board) failureStrip(p plot) {
	b.sc.text(p.left-20, p.bottom+18, "failed", tickText.with(anchorEnd).in(failCol))
	for i, t := range b.tracks {
		y := p.bottom + 9 + float64(i)*12
		b.sc.rect(p.left-14, y+1, 8, 8, b.color(i))
		for _, s := range t.samples {
			if s.failed == 0 {
				continue
			}
			x0, x1 := p.x.at(s.t-s.dt), p.x.at(s.t)
			ratio := float64(s.failed) / float64(s.failed+s.completed)
			b.sc.rect(x0, y, math.Max(x1-x0, 2), 10, fade(failCol, 0.5+0.5*ratio))
		}
	}
}

// stoppedBy says why each ramp stopped.
func (b *board) stoppedBy() string {
	var out string
	for _, r := range b.runs {
		if r.Ramp == nil || r.Ramp.StoppedBy == "" {
			continue
		}
		if out != "" {
			out += "; "
		}
		out += "ramp stopped by " + clip(r.Ramp.StoppedBy, 80)
		if len(b.runs) > 1 {
			out += " (" + clip(r.Label, 30) + ")"
		}
	}
	return out
}

// notes writes small lines of text under a chart from y, and returns where
// they end.
func (b *board) notes(y float64, lines ...string) float64 {
	for _, l := range lines {
		if l == "" {
			continue
		}
		b.sc.text(plotL, y, l, noteText)
		y += 15
	}
	return y + 10
}
