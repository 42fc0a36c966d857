package loadreport

import (
	"fmt"
	"math"
)

// serverChart draws run i's requests per second per real server, stacked,
// on the scale every run's chart shares: how the load spreads.
func (b *board) serverChart(i int, y float64) float64 {
	r, t := b.runs[i], b.tracks[i]
	var total int64
	for _, n := range t.answers {
		total += n
	}
	legend := make([]legendItem, 0, len(t.servers))
	for j, name := range t.servers {
		text := serverName(name)
		if total > 0 {
			text += fmt.Sprintf(" %.1f%%", 100*float64(t.answers[j])/float64(total))
		}
		if want, ok := r.Expected[name]; ok {
			text += fmt.Sprintf(" (expected %.1f%%)", 100*finite(want))
		}
		legend = append(legend, legendItem{text, b.serverColor(t, j), swatchBox})
	}
	empty := ""
	switch {
	case len(t.samples) == 0:
		empty = "no intervals"
	case total == 0:
		empty = "no answer named its real server"
	}
	p, next := b.sc.frame(chart{
		title:  "Requests per second by real server — " + clip(r.Label, 60),
		unit:   "req/s",
		legend: legend,
		values: linearAxis(b.serverTop()*1.08, 5),
		time:   b.time,
		height: serverPlotH,
		empty:  empty,
	}, y)
	if total > 0 {
		b.stack(p, t)
	}
	return b.notes(next)
}

// serverTop is the highest sum of the real servers' requests per second
// in any sample of any run.
func (b *board) serverTop() float64 {
	top := 0.0
	for _, t := range b.tracks {
		for _, s := range t.samples {
			var n int64
			for _, c := range s.servers {
				n += c
			}
			top = math.Max(top, float64(n)/s.dt)
		}
	}
	return top
}

// stack draws t's servers as stacked areas, painting each server's area
// from 0 up to its cumulative top, the highest first, so that each shows
// as the band between its top and the one below.
func (b *board) stack(p plot, t track) {
	n := len(t.samples)
	cum := make([]float64, n)
	tops := make([][]float64, len(t.servers))
	for j := range t.servers {
		tops[j] = make([]float64, n)
		for k, s := range t.samples {
			cum[k] += float64(s.servers[j]) / s.dt
			tops[j][k] = cum[k]
		}
	}
	for j := len(t.servers) - 1; j >= 0; j-- {
		if t.answers[j] == 0 {
			continue
		}
		pts := make([]pt, 0, n+2)
		for k, s := range t.samples {
			pts = append(pts, pt{p.x.at(s.mid()), p.y.at(tops[j][k])})
		}
		if n == 1 {
			pts = append(pts, pt{p.x.at(t.samples[0].t), pts[0].y})
			pts[0].x = p.x.at(t.samples[0].t - t.samples[0].dt)
		}
		last, first := pts[len(pts)-1].x, pts[0].x
		pts = append(pts, pt{last, p.bottom}, pt{first, p.bottom})
		b.sc.area(pts, b.serverColor(t, j))
	}
}
