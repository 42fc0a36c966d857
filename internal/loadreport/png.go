package loadreport

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// writePNG rasterizes sc and writes it as PNG.
func writePNG(w io.Writer, sc *scene) error {
	img := image.NewRGBA(image.Rect(0, 0, int(math.Ceil(sc.w)), int(math.Ceil(sc.h))))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, o := range sc.ops {
		switch o := o.(type) {
		case rectOp:
			fillRect(img, o)
		case lineOp:
			fill(img, stroke(o), o.col)
		case areaOp:
			fill(img, [][]pt{o.pts}, o.col)
		case textOp:
			drawText(img, o)
		}
	}
	return png.Encode(w, img)
}

// fillRect fills o, its edges antialiased by coverage.
func fillRect(img *image.RGBA, o rectOp) {
	if o.w >= 1 && o.h >= 1 && o.x == math.Round(o.x) && o.y == math.Round(o.y) && o.w == math.Round(o.w) && o.h == math.Round(o.h) {
		r := image.Rect(int(o.x), int(o.y), int(o.x+o.w), int(o.y+o.h))
		draw.Draw(img, r, image.NewUniform(o.col), image.Point{}, draw.Over)
		return
	}
	fill(img, [][]pt{{{o.x, o.y}, {o.x + o.w, o.y}, {o.x + o.w, o.y + o.h}, {o.x, o.y + o.h}}}, o.col)
}

// fill paints the union of polygons in col, antialiased.
func fill(img *image.RGBA, polys [][]pt, col color.NRGBA) {
	box := image.Rectangle{}
	first := true
	for _, poly := range polys {
		for _, p := range poly {
			r := image.Rect(int(math.Floor(p.x))-1, int(math.Floor(p.y))-1, int(math.Ceil(p.x))+1, int(math.Ceil(p.y))+1)
			if first {
				box, first = r, false
			} else {
				box = box.Union(r)
			}
		}
	}
	box = box.Intersect(img.Bounds())
	if box.Empty() {
		return
	}
	z := vector.NewRasterizer(box.Dx(), box.Dy())
	ox, oy := float64(box.Min.X), float64(box.Min.Y)
	for _, poly := range polys {
		if len(poly) < 3 {
			continue
		}
		if area(poly) < 0 {
			poly = reversed(poly)
		}
		z.MoveTo(float32(poly[0].x-ox), float32(poly[0].y-oy))
		for _, p := range poly[1:] {
			z.LineTo(float32(p.x-ox), float32(p.y-oy))
		}
		z.ClosePath()
	}
	z.Draw(img, box, image.NewUniform(col), image.Point{})
}

// stroke turns a polyline into polygons of one orientation whose union is
// the line drawn o.width wide with round joins: a quadrilateral per
// segment and an octagon per vertex. Dashed lines are cut into dashes
// first.
func stroke(o lineOp) [][]pt {
	pieces := [][]pt{o.pts}
	if o.dash {
		pieces = dashes(o.pts, 6, 4)
	}
	hw := o.width / 2
	var polys [][]pt
	for _, line := range pieces {
		for i := 0; i+1 < len(line); i++ {
			a, b := line[i], line[i+1]
			dx, dy := b.x-a.x, b.y-a.y
			l := math.Hypot(dx, dy)
			if l == 0 {
				continue
			}
			nx, ny := -dy/l*hw, dx/l*hw
			polys = append(polys, []pt{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}})
		}
		if o.dash {
			continue
		}
		for i := 1; i+1 < len(line); i++ {
			polys = append(polys, octagon(line[i], hw))
		}
	}
	return polys
}

// dashes cuts a polyline into dashes on long, off apart.
func dashes(pts []pt, on, off float64) [][]pt {
	var out [][]pt
	var cur []pt
	pos, drawing := 0.0, true // pos: length into the current dash or gap
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		l := math.Hypot(b.x-a.x, b.y-a.y)
		at := 0.0
		for at < l {
			span := on
			if !drawing {
				span = off
			}
			step := math.Min(span-pos, l-at)
			p0 := lerp(a, b, at/l)
			p1 := lerp(a, b, (at+step)/l)
			if drawing {
				if len(cur) == 0 {
					cur = append(cur, p0)
				}
				cur = append(cur, p1)
			}
			at += step
			pos += step
			if pos >= span {
				if drawing {
					out = append(out, cur)
					cur = nil
				}
				drawing, pos = !drawing, 0
			}
		}
	}
	if len(cur) > 1 {
		out = append(out, cur)
	}
	return out
}

func lerp(a, b pt, f float64) pt { return pt{a.x + (b.x-a.x)*f, a.y + (b.y-a.y)*f} }

// octagon is the regular octagon of radius r around c.
func octagon(c pt, r float64) []pt {
	out := make([]pt, 8)
	for k := range out {
		a := float64(k) * math.Pi / 4
		out[k] = pt{c.x + r*math.Cos(a), c.y + r*math.Sin(a)}
	}
	return out
}

// area is the signed area of a polygon: its sign is its orientation.
func area(poly []pt) float64 {
	s := 0.0
	for i, p := range poly {
		q := poly[(i+1)%len(poly)]
		s += p.x*q.y - q.x*p.y
	}
	return s / 2
}

func reversed(poly []pt) []pt {
	out := make([]pt, len(poly))
	for i, p := range poly {
		out[len(poly)-1-i] = p
	}
	return out
}

// drawText draws o in the Go font.
func drawText(img *image.RGBA, o textOp) {
	faces.Lock()
	defer faces.Unlock()
	f := face(o.size, o.bold)
	x := o.x
	switch o.anchor {
	case anchorMiddle:
		x -= float64(font.MeasureString(f, o.s)) / 64 / 2
	case anchorEnd:
		x -= float64(font.MeasureString(f, o.s)) / 64
	}
	d := font.Drawer{Dst: img, Src: image.NewUniform(o.col), Face: f, Dot: fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6(o.y * 64)}}
	d.DrawString(o.s)
}
