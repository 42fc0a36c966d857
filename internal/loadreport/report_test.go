package loadreport

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lvslab/internal/golden"
	"lvslab/internal/load"
)

// cases are the golden pictures.
var cases = []struct {
	name  string
	title string
	runs  func() []Run
}{
	{"compare", "lvslab load --compare", compareRuns},
	{"ramp", "lvslab load --ramp", func() []Run { return []Run{rampRun()} }},
}

func TestGolden(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var svg, page bytes.Buffer
			if err := SVG(&svg, c.title, c.runs()); err != nil {
				t.Fatal(err)
			}
			wellFormed(t, svg.Bytes())
			golden.Check(t, filepath.Join("testdata", c.name+".svg"), svg.Bytes())
			if err := HTML(&page, c.title, c.runs()); err != nil {
				t.Fatal(err)
			}
			inert(t, page.String())
			golden.Check(t, filepath.Join("testdata", c.name+".html"), page.Bytes())
		})
	}
}

// TestSamples writes every format of the golden cases into the folder
// LOADREPORT_SAMPLES names, to be looked at: go test -run Samples with
// LOADREPORT_SAMPLES=/tmp writes /tmp/loadreport-compare.png and so on.
func TestSamples(t *testing.T) {
	dir := os.Getenv("LOADREPORT_SAMPLES")
	if dir == "" {
		t.Skip("LOADREPORT_SAMPLES is not set")
	}
	extra := []struct {
		name  string
		title string
		runs  func() []Run
	}{
		{"long", "100,000 intervals over 40 real servers", func() []Run { return []Run{longRun()} }},
		{"empty", "runs without intervals", func() []Run { return []Run{{Label: "idle"}, {Label: "ramp", Ramp: &load.RampResult{}}} }},
	}
	for _, c := range append(cases, extra...) {
		for _, ext := range []string{".png", ".svg", ".html"} {
			if err := Write(filepath.Join(dir, "loadreport-"+c.name+ext), c.title, c.runs()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, render := range []func(io.Writer, string, []Run) error{SVG, HTML, PNG} {
		var a, b bytes.Buffer
		if err := render(&a, "t", compareRuns()); err != nil {
			t.Fatal(err)
		}
		if err := render(&b, "t", compareRuns()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatal("two renderings of the same runs differ")
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	runs := compareRuns()
	hostile := `<script>alert(1)</script>`
	runs[1].Label = hostile
	runs[1].Summary.URL = `http://x/"><img src=x onerror=alert(2)>`
	runs[1].Summary.Failures["<b>bold</b>"] = 1
	runs[1].Expected["<iframe>"] = 0.1
	for i := range runs[1].Summary.Intervals {
		runs[1].Summary.Intervals[i].Servers["<svg onload=alert(3)>"] = 5
	}
	var page bytes.Buffer
	if err := HTML(&page, "</title><script>alert(0)</script>", runs); err != nil {
		t.Fatal(err)
	}
	inert(t, page.String())
	if !strings.Contains(page.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile label is not in the page, escaped")
	}
	var svg bytes.Buffer
	if err := SVG(&svg, hostile, runs); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, svg.Bytes())
	if strings.Contains(svg.String(), "<script") {
		t.Error("the SVG contains <script")
	}
}

func TestPNG(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := PNG(&buf, c.title, c.runs()); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			b, err := picture(c.title, c.runs(), true)
			if err != nil {
				t.Fatal(err)
			}
			if want := image.Rect(0, 0, int(b.sc.w), int(b.sc.h)); img.Bounds() != want {
				t.Fatalf("PNG is %v, want %v", img.Bounds(), want)
			}
			if img.Bounds().Dx() != 960 || img.Bounds().Dy() < 900 {
				t.Fatalf("PNG is %v, want 960 wide and at least 900 high", img.Bounds())
			}
			inked, blue := 0, 0
			for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
				for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
					c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
					if c != (color.NRGBA{255, 255, 255, 255}) {
						inked++
					}
					if c == runColors[0] {
						blue++
					}
				}
			}
			if total := img.Bounds().Dx() * img.Bounds().Dy(); inked < total/50 {
				t.Errorf("PNG is nearly blank: %d of %d pixels drawn", inked, total)
			}
			if blue < 200 {
				t.Errorf("the first run's line is missing: %d pixels of its colour", blue)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	for name, render := range map[string]func(io.Writer, string, []Run) error{"svg": SVG, "html": HTML, "png": PNG} {
		if err := render(io.Discard, "t", nil); err == nil || err.Error() != "no runs to draw" {
			t.Errorf("%s of no runs: error %v, want no runs to draw", name, err)
		}
	}
	runs := []Run{{Label: "idle"}, {Label: "ramp", Ramp: &load.RampResult{}}}
	var svg, page, pic bytes.Buffer
	if err := SVG(&svg, "t", runs); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, svg.Bytes())
	if !strings.Contains(svg.String(), "no intervals") {
		t.Error("the SVG of runs without intervals does not say no intervals")
	}
	if err := HTML(&page, "t", runs); err != nil {
		t.Fatal(err)
	}
	if err := PNG(&pic, "t", runs); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&pic); err != nil {
		t.Fatal(err)
	}
	if err := SVG(io.Discard, "t", make([]Run, MaxRuns+1)); err == nil {
		t.Errorf("%d runs drawn, want an error", MaxRuns+1)
	}
}

// TestBounded draws a run of 100,000 intervals over 40 real servers, with
// NaN and negative values mixed in: every format stays small.
func TestBounded(t *testing.T) {
	runs := []Run{longRun()}
	limits := map[string]int{".svg": 600_000, ".html": 700_000, ".png": 1_000_000}
	for ext, limit := range limits {
		path := filepath.Join(t.TempDir(), "big"+ext)
		if err := Write(path, "big", runs); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > int64(limit) {
			t.Errorf("%s is %d bytes, want at most %d", ext, fi.Size(), limit)
		}
		if ext == ".svg" {
			data, _ := os.ReadFile(path)
			wellFormed(t, data)
			if bytes.Contains(data, []byte("NaN")) {
				t.Error("the SVG has NaN in it")
			}
		}
	}
}

// longRun is a run of 100,000 intervals of 0.1 s over 40 real servers,
// with NaN and negative values mixed in, and a very long label.
func longRun() Run {
	s := load.Summary{URL: "http://192.168.30.100/"}
	for i := range 100_000 {
		iv := load.Interval{Elapsed: float64(i+1) * 0.1, Completed: 300, RPS: 3000 + float64(i%500), P99: 5 + float64(i%97), Failed: int64(i % 7), Servers: map[string]int64{}}
		for k := range 3 {
			iv.Servers[fmt.Sprintf("rs%02d", (i+k)%40)] = 100
		}
		if i%1000 == 0 {
			iv.RPS, iv.P99 = -1, 0
		}
		s.Intervals = append(s.Intervals, iv)
	}
	s.Intervals[10].P99 = nanValue()
	return Run{Label: strings.Repeat("long label ", 1000), Summary: s}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "x.pdf"), "t", compareRuns()); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("x.pdf: error %v, want unknown format", err)
	}
	if err := Write(filepath.Join(dir, "x.svg"), "t", nil); err == nil {
		t.Error("no runs written")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("failed writes left %d files", len(entries))
	}
	if err := Write(filepath.Join(dir, "X.SVG"), "t", compareRuns()); err != nil {
		t.Fatal(err)
	}
}

// pageTags are the elements a page may have: no script, nothing loaded.
var pageTags = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
	"h1": true, "h2": true, "p": true, "div": true, "section": true,
	"table": true, "tr": true, "th": true, "td": true,
	"svg": true, "rect": true, "polyline": true, "polygon": true, "text": true,
}

var (
	tagRE  = regexp.MustCompile(`<(/?)([a-zA-Z0-9!]+)([^>]*)>`)
	attrRE = regexp.MustCompile(`\s([a-zA-Z-]+)=`)
)

// inert fails t unless every tag of page is one pageTags allows, with no
// event handler and no link to anything, and the style loads nothing.
func inert(t *testing.T, page string) {
	t.Helper()
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		name := strings.ToLower(m[2])
		if name == "!doctype" {
			continue
		}
		if !pageTags[name] {
			t.Errorf("the page has a <%s%s> tag", m[1], m[2])
		}
		for _, a := range attrRE.FindAllStringSubmatch(m[3], -1) {
			if attr := strings.ToLower(a[1]); strings.HasPrefix(attr, "on") || attr == "src" || attr == "href" || attr == "xlink:href" {
				t.Errorf("the page has a tag with %s: %s", attr, m[0])
			}
		}
	}
	if low := strings.ToLower(page); strings.Contains(low, "url(") || strings.Contains(low, "@import") {
		t.Error("the page's style loads something")
	}
}

// wellFormed fails t unless data is well-formed XML.
func wellFormed(t *testing.T, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}
