package loadreport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lvslab/internal/load"
)

// MaxRuns is the most runs one picture draws.
const MaxRuns = 8

// Run is one load run as the picture shows it.
type Run struct {
	// Label names the run, e.g. "rs01 directly (192.168.30.107:80)" or
	// "VIP 192.168.30.100:80 (dr, 2 real servers)".
	Label string
	// Summary is the run's outcome. For a ramp the intervals drawn are the
	// steps' (Ramp.Steps[i].Summary.Intervals, Elapsed cumulative); a ramp's
	// Summary may be left zero, its table is then summed from the steps.
	Summary load.Summary
	// Ramp is the ramp's outcome, nil unless the run was a ramp.
	Ramp *load.RampResult
	// Rule is the rule a ramp's steps were judged by; MaxP99 > 0 draws the
	// bound on the latency chart.
	Rule load.RampRule
	// Expected is optional: the predicted share of answers per real server,
	// 0..1, shown beside the share seen.
	Expected map[string]float64
}

// Write writes the picture of runs to path, in the format its extension
// names: .html, .svg or .png. The file is replaced whole or not at all.
func Write(path, title string, runs []Run) error {
	var render func(io.Writer, string, []Run) error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".html", ".htm":
		render = HTML
	case ".svg":
		render = SVG
	case ".png":
		render = PNG
	default:
		return fmt.Errorf("picture %s: unknown format %q (want .html, .svg or .png)", path, ext)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("picture %s: %w", path, err)
	}
	tmp := f.Name()
	bw := bufio.NewWriter(f)
	err = render(bw, title, runs)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("picture %s: %w", path, err)
	}
	return nil
}

// SVG writes the picture of runs as one SVG document: the title, the
// headline and the charts stacked.
func SVG(w io.Writer, title string, runs []Run) error {
	b, err := picture(title, runs, true)
	if err != nil {
		return err
	}
	return writeSVG(w, b.sc, true)
}

// PNG writes the picture of runs, as SVG draws it, rasterized.
func PNG(w io.Writer, title string, runs []Run) error {
	b, err := picture(title, runs, true)
	if err != nil {
		return err
	}
	return writePNG(w, b.sc)
}

// picture checks runs and lays out their picture.
func picture(title string, runs []Run, header bool) (*board, error) {
	if err := check(runs); err != nil {
		return nil, err
	}
	b := newBoard(runs)
	b.draw(title, header)
	return b, nil
}

// check refuses what cannot be drawn.
func check(runs []Run) error {
	if len(runs) == 0 {
		return errors.New("no runs to draw")
	}
	if len(runs) > MaxRuns {
		return fmt.Errorf("%d runs to draw, at most %d fit in one picture", len(runs), MaxRuns)
	}
	return nil
}

// maxP99 is the latency bound of run r in milliseconds, 0 when none.
func maxP99(r Run) float64 {
	if r.Ramp == nil || r.Rule.MaxP99 <= 0 {
		return 0
	}
	return float64(r.Rule.MaxP99) / float64(time.Millisecond)
}
