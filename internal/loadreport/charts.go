package loadreport

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"lvslab/internal/load"
)

// Lengths texts are shortened to in the picture.
const (
	labelChars  = 72
	serverChars = 32
)

// board lays out the picture of runs.
type board struct {
	sc     *scene
	runs   []Run
	tracks []track
	time   axis
	hues   map[string]int // real server to colour, the same in every run's chart
}

// newBoard extracts what the picture of runs draws.
func newBoard(runs []Run) *board {
	b := &board{sc: &scene{w: pictureW}, runs: runs, hues: map[string]int{}}
	end := 0.0
	for _, r := range runs {
		t := newTrack(r)
		b.tracks = append(b.tracks, t)
		end = math.Max(end, t.end)
		for j, name := range t.servers {
			if _, ok := b.hues[name]; !ok && !(t.others && j == len(t.servers)-1) {
				b.hues[name] = len(b.hues)
			}
		}
	}
	b.time = linearAxis(end, 8)
	return b
}

// draw lays out the picture: the header when asked, then the charts.
func (b *board) draw(title string, header bool) {
	y := 8.0
	if header {
		y = b.header(title)
	}
	y = b.rpsChart(y)
	y = b.latencyChart(y)
	for i := range b.runs {
		y = b.serverChart(i, y)
	}
	b.sc.h = math.Ceil(y + 8)
}

// header draws the title and the headline, and returns where it ends.
func (b *board) header(title string) float64 {
	big, small := headline(b.runs, b.tracks)
	b.sc.text(margin, 34, clip(title, 80), titleText)
	b.sc.text(margin, 64, big, headText.in(runColors[len(b.runs)-1]))
	b.sc.text(margin, 84, clip(small, 140), bodyText)
	return 96
}

// headline is what the picture says first: the scale-out factor of two
// runs, else the rates; and the line that says of what.
func headline(runs []Run, tracks []track) (big, small string) {
	rates := make([]string, len(runs))
	for i := range runs {
		rates[i] = quantity(rate(runs[i], tracks[i])) + " req/s"
		if runs[i].Ramp != nil {
			rates[i] = "capacity " + rates[i]
		}
	}
	switch len(runs) {
	case 1:
		return rates[0], clip(runs[0].Label, labelChars)
	case 2:
		of := fmt.Sprintf("%s: %s vs %s: %s", clip(runs[1].Label, labelChars), rates[1], clip(runs[0].Label, labelChars), rates[0])
		first, second := rate(runs[0], tracks[0]), rate(runs[1], tracks[1])
		if first <= 0 {
			return "scale-out n/a: the first run completed nothing", of
		}
		return fmt.Sprintf("×%.2f scale-out", second/first), of
	}
	labels := make([]string, len(runs))
	for i, r := range runs {
		labels[i] = clip(r.Label, 40)
	}
	return strings.Join(rates, " · "), strings.Join(labels, " · ")
}

// color is run i's colour.
func (b *board) color(i int) color.NRGBA { return runColors[i%len(runColors)] }

// serverColor is the colour of t's j-th real-server series.
func (b *board) serverColor(t track, j int) color.NRGBA {
	if t.others && j == len(t.servers)-1 {
		return othersCol
	}
	return serverColors[b.hues[t.servers[j]]%len(serverColors)]
}

// anySamples says whether any run has intervals.
func (b *board) anySamples() bool {
	for _, t := range b.tracks {
		if len(t.samples) > 0 {
			return true
		}
	}
	return false
}

// emptyNote is what a chart without data says.
func (b *board) emptyNote() string {
	if b.anySamples() {
		return ""
	}
	return "no intervals"
}

// mergedNote says how many intervals a point stands for, when more than one.
func (b *board) mergedNote() string {
	k := 1
	for _, t := range b.tracks {
		k = max(k, t.merged)
	}
	if k == 1 {
		return ""
	}
	return fmt.Sprintf("long run: each point merges %d intervals", k)
}

// serverName is how a real server is named in the picture.
func serverName(name string) string {
	if name == load.Unnamed {
		return "(no " + load.ServerHeader + ")"
	}
	return clip(name, serverChars)
}
