package loadreport

import "image/color"

// The picture's geometry, in pixels.
const (
	pictureW    = 960.0
	margin      = 24.0  // left of titles, right of plots
	plotL       = 76.0  // left of plots: room for the value labels
	plotH       = 200.0 // height of a plot area
	serverPlotH = 150.0 // height of a real-server chart's
	rowH        = 18.0  // height of a legend row
)

// rgb is the opaque colour 0xRRGGBB.
func rgb(hex uint32) color.NRGBA {
	return color.NRGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 0xff}
}

// fade is c with opacity a (0..1).
func fade(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(a*255 + 0.5)
	return c
}

// The picture's colours.
var (
	inkStrong = rgb(0x111827)
	ink       = rgb(0x374151)
	inkMuted  = rgb(0x6b7280)
	gridCol   = rgb(0xe5e7eb)
	axisCol   = rgb(0x9ca3af)
	failCol   = rgb(0xdc2626)
	failShade = fade(rgb(0xfca5a5), 0.25)
	boundCol  = rgb(0xb91c1c)
	okCol     = rgb(0x15803d)
	othersCol = rgb(0xbab0ac)
)

// runColors are the runs' colours, in order; none is the failures' red.
var runColors = []color.NRGBA{
	rgb(0x2563eb), rgb(0xea580c), rgb(0x059669), rgb(0x7c3aed),
	rgb(0xdb2777), rgb(0x0891b2), rgb(0x65a30d), rgb(0xa16207),
}

// serverColors are the real servers' colours, unlike the runs'.
var serverColors = []color.NRGBA{
	rgb(0x76b7b2), rgb(0xb07aa1), rgb(0x59a14f), rgb(0xedc948),
	rgb(0x9c755f), rgb(0xff9da7), rgb(0x4e79a7), rgb(0xf28e2b),
	rgb(0xe15759), rgb(0x8cd17d), rgb(0x499894), rgb(0xd37295),
}

// The text styles.
var (
	titleText  = textStyle{size: 20, bold: true, col: inkStrong}
	headText   = textStyle{size: 17, bold: true, col: inkStrong}
	chartText  = textStyle{size: 14, bold: true, col: inkStrong}
	bodyText   = textStyle{size: 12, col: ink}
	tickText   = textStyle{size: 11, col: inkMuted}
	noteText   = textStyle{size: 11, col: inkMuted}
	legendText = textStyle{size: 12, col: ink}
)

// with is st anchored at a.
func (st textStyle) with(a anchor) textStyle {
	st.anchor = a
	return st
}

// in is st in colour c.
func (st textStyle) in(c color.NRGBA) textStyle {
	st.col = c
	return st
}

// strong is st in bold.
func (st textStyle) strong() textStyle {
	st.bold = true
	return st
}
