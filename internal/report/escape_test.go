package report

import (
	"bytes"
	"strings"
	"testing"

	"lvslab/internal/module"
)

func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttab\nnewline":   "plain\ttab\nnewline",
		"\x1b[0;32mok\x1b[0m":   `\x1b[0;32mok\x1b[0m`,
		"a\rb\bc\x00\x7f":       `a\x0db\x08c\x00\x7f`,
		"csi \u009b2J é \uFFFD": `csi \x9b2J é ` + "\uFFFD",
		"bad \xff\x9b byte":     `bad \xff\x9b byte`,
	} {
		if got := escapeControls(in); got != want {
			t.Errorf("escapeControls(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRemoteOutputCannotForgeLines: a host's output with terminal escapes
// and a carriage return is shown escaped at every verbosity, so it cannot
// erase its line or print a forged "ok:" in its place.
func TestRemoteOutputCannotForgeLines(t *testing.T) {
	forged := "\r\x1b[2K\x1b[0;32mok: [rs01]\x1b[0m\u009b1A"
	res := Result{Host: "rs01", Task: "t", Status: Failed, Err: "boom" + forged,
		Result: module.Result{Msg: "m" + forged, Data: map[string]any{"rc": 1, "stdout": "out" + forged, "stderr": "err" + forged},
			Diff: []module.FileDiff{{Path: "/etc/x", Before: "a\n", After: "b" + forged + "\n"}}}}
	for v := 0; v <= 2; v++ {
		for _, st := range []Status{Failed, Changed} {
			res.Status = st
			var b bytes.Buffer
			NewText(&b, true, v, true, nil).Result(res)
			out := b.String()
			if strings.ContainsAny(out, "\r\u009b") || strings.Contains(out, "\x1b[2K") || strings.Contains(out, "\x1b[0;32mok: [rs01]") {
				t.Fatalf("-v%d %v: raw control characters in %q", v, st, out)
			}
			if !strings.Contains(out, `\x0d\x1b[2K`) {
				t.Fatalf("-v%d %v: no escaped form in %q", v, st, out)
			}
		}
	}
}
