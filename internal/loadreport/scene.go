package loadreport

import (
	"image/color"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// scene is a picture as a list of drawing operations, in pixels, that the
// SVG and PNG writers replay.
type scene struct {
	w, h float64
	ops  []op
}

// op is one drawing operation: rectOp, lineOp, areaOp or textOp.
type op interface{ isOp() }

type pt struct{ x, y float64 }

// rectOp fills an axis-aligned rectangle.
type rectOp struct {
	x, y, w, h float64
	col        color.NRGBA
}

// lineOp strokes a polyline.
type lineOp struct {
	pts   []pt
	col   color.NRGBA
	width float64
	dash  bool
}

// areaOp fills a polygon.
type areaOp struct {
	pts []pt
	col color.NRGBA
}

// anchor is where a text's position is along its width.
type anchor int

const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

// textOp draws one line of text, y at its baseline.
type textOp struct {
	x, y   float64
	s      string
	size   float64
	bold   bool
	anchor anchor
	col    color.NRGBA
}

func (rectOp) isOp() {}
func (lineOp) isOp() {}
func (areaOp) isOp() {}
func (textOp) isOp() {}

func (sc *scene) rect(x, y, w, h float64, col color.NRGBA) {
	sc.ops = append(sc.ops, rectOp{x: x, y: y, w: w, h: h, col: col})
}

func (sc *scene) line(pts []pt, col color.NRGBA, width float64, dash bool) {
	if len(pts) > 1 {
		sc.ops = append(sc.ops, lineOp{pts: pts, col: col, width: width, dash: dash})
	}
}

func (sc *scene) area(pts []pt, col color.NRGBA) {
	if len(pts) > 2 {
		sc.ops = append(sc.ops, areaOp{pts: pts, col: col})
	}
}

func (sc *scene) text(x, y float64, s string, st textStyle) {
	if s != "" {
		sc.ops = append(sc.ops, textOp{x: x, y: y, s: s, size: st.size, bold: st.bold, anchor: st.anchor, col: st.col})
	}
}

// textStyle is how a text is drawn.
type textStyle struct {
	size   float64
	bold   bool
	anchor anchor
	col    color.NRGBA
}

// faces caches the Go font faces by size and weight; the PNG writer draws
// with them and the layout measures with them.
var faces struct {
	sync.Mutex
	regular, bold *opentype.Font
	byKey         map[faceKey]font.Face
}

type faceKey struct {
	size float64
	bold bool
}

// face is the Go font face of size pixels, regular or bold. The caller
// holds faces' lock: font.Face values are not safe for concurrent use.
func face(size float64, bold bool) font.Face {
	if faces.byKey == nil {
		faces.regular = mustFont(goregular.TTF)
		faces.bold = mustFont(gobold.TTF)
		faces.byKey = map[faceKey]font.Face{}
	}
	k := faceKey{size, bold}
	if f, ok := faces.byKey[k]; ok {
		return f
	}
	fnt := faces.regular
	if bold {
		fnt = faces.bold
	}
	f, err := opentype.NewFace(fnt, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic("loadreport: go font face: " + err.Error()) // the embedded font is valid
	}
	faces.byKey[k] = f
	return f
}

func mustFont(ttf []byte) *opentype.Font {
	f, err := opentype.Parse(ttf)
	if err != nil {
		panic("loadreport: go font: " + err.Error()) // the embedded font is valid
	}
	return f
}

// textWidth is the width of s in pixels, as drawn in the Go font.
func textWidth(s string, size float64, bold bool) float64 {
	faces.Lock()
	defer faces.Unlock()
	return float64(font.MeasureString(face(size, bold), s)) / 64
}

// clip shortens s to at most n characters, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
