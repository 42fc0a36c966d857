package loadreport

import (
	"image/color"
	"math"
)

// swatch is how a legend item shows what it names.
type swatch int

const (
	swatchLine swatch = iota
	swatchDash
	swatchBand // a wide, pale line
	swatchBox
	swatchTick
	swatchNone // text alone
)

// legendItem is one entry of a chart's legend.
type legendItem struct {
	label string
	col   color.NRGBA
	kind  swatch
}

// legend draws items in rows from (x, y) up to right, and returns the
// height it took.
func (sc *scene) legend(items []legendItem, x, y, right float64) float64 {
	if len(items) == 0 {
		return 0
	}
	cx, rows := x, 1
	for _, it := range items {
		w := textWidth(it.label, legendText.size, false)
		if it.kind != swatchNone {
			w += 24
		}
		if cx > x && cx+w > right {
			cx, rows = x, rows+1
		}
		base := y + float64(rows-1)*rowH + 12
		mid := base - 4
		switch it.kind {
		case swatchLine:
			sc.line([]pt{{cx, mid}, {cx + 18, mid}}, it.col, 2.5, false)
		case swatchDash:
			sc.line([]pt{{cx, mid}, {cx + 18, mid}}, it.col, 1.5, true)
		case swatchBand:
			sc.line([]pt{{cx, mid}, {cx + 18, mid}}, it.col, 5, false)
		case swatchBox:
			sc.rect(cx, mid-5, 18, 10, it.col)
		case swatchTick:
			for i := 0.0; i < 3; i++ {
				sc.rect(cx+2+i*6, mid-5, 3, 10, it.col)
			}
		}
		tx := cx
		if it.kind != swatchNone {
			tx += 24
		}
		sc.text(tx, base, it.label, legendText.in(legendColor(it)))
		cx += w + 18
	}
	return float64(rows) * rowH
}

// legendColor is the colour of an item's text: its own for a text alone.
func legendColor(it legendItem) color.NRGBA {
	if it.kind == swatchNone {
		return it.col
	}
	return legendText.col
}

// plot is a chart's plot area with its scales.
type plot struct {
	left, top, right, bottom float64
	x, y                     scale
}

// chart is what frame draws around a chart's data.
type chart struct {
	title  string
	unit   string // of the values, above their labels
	legend []legendItem
	values axis
	time   axis
	height float64 // of the plot, plotH when 0
	below  float64 // room between the plot and the time labels
	empty  string  // said in the middle of the plot when there is no data
}

// frame draws c's title, legend, grid and axes from y down, and returns the
// plot to draw the data in and where the chart's time labels end.
func (sc *scene) frame(c chart, y float64) (plot, float64) {
	sc.text(margin, y+18, c.title, chartText)
	y += 30
	y += sc.legend(c.legend, plotL, y, pictureW-margin)
	top := y + 18
	h := c.height
	if h == 0 {
		h = plotH
	}
	p := plot{left: plotL, top: top, right: pictureW - margin, bottom: top + h}
	p.x = c.time.scale(p.left, p.right)
	p.y = c.values.scale(p.bottom, p.top)
	sc.text(p.left-8, top-8, c.unit, tickText.with(anchorEnd))
	for _, v := range c.values.ticks {
		py := math.Round(p.y.at(v))
		sc.rect(p.left, py, p.right-p.left, 1, gridCol)
		sc.text(p.left-8, py+4, tickLabel(v), tickText.with(anchorEnd))
	}
	labels := p.bottom + c.below + 16
	for _, v := range c.time.ticks {
		px := math.Round(p.x.at(v))
		sc.rect(px, p.top, 1, h, gridCol)
		sc.text(px, labels, tickLabel(v), tickText.with(anchorMiddle))
	}
	sc.rect(p.left, p.bottom, p.right-p.left, 1, axisCol)
	sc.rect(p.left, p.top, 1, h+1, axisCol)
	sc.text(p.right, labels+15, "time (s)", tickText.with(anchorEnd))
	if c.empty != "" {
		sc.text((p.left+p.right)/2, (p.top+p.bottom)/2, c.empty, bodyText.with(anchorMiddle).in(inkMuted))
	}
	return p, labels + 22
}

// polyline draws the points of the samples where ok holds, joined, and
// broken where it does not; a lone point is drawn as a dot.
func (sc *scene) polyline(n int, ok func(int) bool, at func(int) pt, col color.NRGBA, width float64) {
	var run []pt
	flush := func() {
		switch len(run) {
		case 0:
		case 1:
			sc.rect(run[0].x-2.5, run[0].y-2.5, 5, 5, col)
		default:
			sc.line(run, col, width, false)
		}
		run = nil
	}
	for i := 0; i < n; i++ {
		if !ok(i) {
			flush()
			continue
		}
		run = append(run, at(i))
	}
	flush()
}

// hline draws a dashed horizontal line across p at value v with a label
// above its left end, where load runs start low.
func (sc *scene) hline(p plot, v float64, label string, col color.NRGBA) {
	y := p.y.at(v)
	sc.line([]pt{{p.left, y}, {p.right, y}}, col, 1.5, true)
	sc.text(p.left+6, y-5, label, bodyText.strong().in(col))
}

// thin keeps at most about limit of pts, evenly, the last always.
func thin(pts []pt, limit int) []pt {
	if len(pts) <= limit {
		return pts
	}
	k := (len(pts) + limit - 1) / limit
	out := make([]pt, 0, limit+1)
	for i := 0; i < len(pts); i += k {
		out = append(out, pts[i])
	}
	if last := pts[len(pts)-1]; out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}
