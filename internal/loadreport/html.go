package loadreport

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"image/color"
	"io"
)

//go:embed page.html.tmpl
var pageText string

var page = template.Must(template.New("page").Parse(pageText))

// htmlLabelChars is how long a label may be in the page's tables.
const htmlLabelChars = 200

// pageData is what the page template shows.
type pageData struct {
	Title    string
	Color    template.CSS
	Headline string
	Of       string
	Runs     []runTable
	Charts   template.HTML // the picture's SVG, every text in it escaped
}

// HTML writes a self-contained page of runs: the title, the headline, a
// summary table per run and the charts as inline SVG. It has no script and
// loads nothing; every text from the data is escaped.
func HTML(w io.Writer, title string, runs []Run) error {
	b, err := picture(title, runs, false)
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := writeSVG(&svg, b.sc, false); err != nil {
		return err
	}
	tables := make([]runTable, len(runs))
	for i, r := range runs {
		tables[i] = newRunTable(r, b.tracks[i], b.color(i))
	}
	big, small := headline(runs, b.tracks)
	err = page.Execute(w, pageData{
		Title:    clip(title, htmlLabelChars),
		Color:    cssColor(runColors[len(runs)-1]),
		Headline: big,
		Of:       small,
		Runs:     tables,
		Charts:   template.HTML(svg.String()), // #nosec: writeSVG escapes every text
	})
	if err != nil {
		return fmt.Errorf("html page: %w", err)
	}
	return nil
}

// cssColor is c as a CSS colour; c is one of the package's, never data.
func cssColor(c color.NRGBA) template.CSS {
	return template.CSS(fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B))
}
