package loadreport

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
)

// fontFamily is the SVG's font: the Go font the layout measures with, or
// the nearest the viewer has.
const fontFamily = "Go, 'DejaVu Sans', Verdana, Arial, sans-serif"

// writeSVG writes sc as SVG: a document of its own when standalone, else an
// element to put inside HTML.
func writeSVG(w io.Writer, sc *scene, standalone bool) error {
	bw := bufio.NewWriter(w)
	if standalone {
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %[1]s %[2]s" font-family="%s">`+"\n",
		num(sc.w), num(sc.h), fontFamily)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	for _, o := range sc.ops {
		switch o := o.(type) {
		case rectOp:
			fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%s" height="%s"%s/>`+"\n", num(o.x), num(o.y), num(o.w), num(o.h), paint("fill", o.col))
		case lineOp:
			dash := ""
			if o.dash {
				dash = ` stroke-dasharray="6 4"`
			}
			fmt.Fprintf(bw, `<polyline points="%s" fill="none"%s stroke-width="%s" stroke-linejoin="round" stroke-linecap="butt"%s/>`+"\n",
				points(o.pts), paint("stroke", o.col), num(o.width), dash)
		case areaOp:
			fmt.Fprintf(bw, `<polygon points="%s"%s/>`+"\n", points(o.pts), paint("fill", o.col))
		case textOp:
			bw.WriteString(svgText(o))
		}
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// svgText is o as an SVG text element, its text escaped.
func svgText(o textOp) string {
	attrs := ""
	switch o.anchor {
	case anchorMiddle:
		attrs += ` text-anchor="middle"`
	case anchorEnd:
		attrs += ` text-anchor="end"`
	}
	if o.bold {
		attrs += ` font-weight="bold"`
	}
	return fmt.Sprintf(`<text x="%s" y="%s" font-size="%s"%s%s>%s</text>`+"\n",
		num(o.x), num(o.y), num(o.size), attrs, paint("fill", o.col), escape(o.s))
}

// escape is s as XML character data (and as HTML): markup in it is inert.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// paint is the attribute painting with c, with its opacity when not opaque.
func paint(attr string, c color.NRGBA) string {
	s := fmt.Sprintf(` %s="#%02x%02x%02x"`, attr, c.R, c.G, c.B)
	if c.A != 0xff {
		s += fmt.Sprintf(` %s-opacity="%s"`, attr, strconv.FormatFloat(float64(c.A)/255, 'f', 2, 64))
	}
	return s
}

// points is pts as an SVG points list.
func points(pts []pt) string {
	b := make([]byte, 0, len(pts)*12)
	for i, p := range pts {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, num(p.x)...)
		b = append(b, ',')
		b = append(b, num(p.y)...)
	}
	return string(b)
}

// num is v rounded to a tenth of a pixel, shortest form.
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
