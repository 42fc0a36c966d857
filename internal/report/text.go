package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"lvslab/internal/module"
)

// Text prints Ansible's familiar output.
type Text struct {
	mu        sync.Mutex
	w         io.Writer
	color     bool
	verbosity int
	diff      bool
	red       *Redactor
}

// NewText returns a text reporter. color adds ANSI colours (use it on a
// terminal); verbosity is the number of -v flags.
func NewText(w io.Writer, color bool, verbosity int, diff bool, red *Redactor) *Text {
	return &Text{w: w, color: color, verbosity: verbosity, diff: diff, red: red}
}

const (
	green  = "\033[0;32m"
	yellow = "\033[0;33m"
	red    = "\033[0;31m"
	cyan   = "\033[0;36m"
	purple = "\033[0;35m"
	reset  = "\033[0m"
)

func (t *Text) paint(c, s string) string {
	if !t.color {
		return s
	}
	return c + s + reset
}

func banner(s string) string {
	n := 79 - len(s)
	if n < 3 {
		n = 3
	}
	return s + " " + strings.Repeat("*", n)
}

func (t *Text) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprint(t.w, t.red.String(fmt.Sprintf(format, args...)))
}

// Playbook prints nothing in text mode beyond -v.
func (t *Text) Playbook(path string) {
	if t.verbosity > 0 {
		t.printf("PLAYBOOK: %s\n", escapeControls(path))
	}
}

// Play prints the PLAY banner.
func (t *Text) Play(name string) { t.printf("\n%s\n", banner("PLAY ["+escapeControls(name)+"]")) }

// Task prints the TASK or RUNNING HANDLER banner.
func (t *Text) Task(name string, handler bool) {
	name = escapeControls(name)
	if handler {
		t.printf("\n%s\n", banner("RUNNING HANDLER ["+name+"]"))
		return
	}
	t.printf("\n%s\n", banner("TASK ["+name+"]"))
}

// Result prints one host's outcome.
//
// Text that comes from a host or from input (names, messages, output,
// diffs) is shown with its control characters escaped (escapeControls).
func (t *Text) Result(r Result) {
	item := ""
	if r.HasItem {
		item = " => (item=" + escapeControls(itemLabel(r.Item, r.NoLog)) + ")"
	}
	r.Result.Msg, _ = module.Censored(r.Result.Msg).(string)
	r.Host, r.Err = escapeControls(r.Host), escapeControls(module.Censored(r.Err).(string))
	var b strings.Builder
	switch r.Status {
	case OK:
		b.WriteString(t.paint(green, "ok: ["+r.Host+"]"+item))
	case Changed:
		b.WriteString(t.paint(yellow, "changed: ["+r.Host+"]"+item))
	case Skipped:
		b.WriteString(t.paint(cyan, "skipping: ["+r.Host+"]"+item))
	case Included:
		b.WriteString(t.paint(cyan, "included: "+escapeControls(r.Result.Msg)+" for "+r.Host+item))
	case Unreachable:
		b.WriteString(t.paint(red, "fatal: ["+r.Host+"]: UNREACHABLE! => "+r.Err))
	case Failed:
		msg := r.Err
		if r.NoLog {
			msg = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
		}
		b.WriteString(t.paint(red, "fatal: ["+r.Host+"]"+item+": FAILED! => "+msg))
		if !r.NoLog {
			b.WriteString(t.paint(red, t.details(r, true)))
		}
		if r.Ignored {
			b.WriteString("\n" + t.paint(cyan, "...ignoring"))
		}
	}
	if r.Status == OK || r.Status == Changed {
		if r.Result.Msg != "" && !r.NoLog && (r.Result.Data == nil || r.verboseMsg(t.verbosity)) {
			b.WriteString(" => " + escapeControls(r.Result.Msg))
		}
		if t.verbosity > 0 && !r.NoLog {
			b.WriteString(t.details(r, false))
		}
	}
	b.WriteString("\n")
	if t.diff && !r.NoLog {
		for _, d := range r.Result.Diff {
			d = t.red.Diff(d)
			b.WriteString(t.paint(purple, escapeControls(Unified(d.Path, d.Before, d.After))))
		}
	}
	t.printf("%s", b.String())
}

// verboseMsg: debug and similar modules carry their message without data;
// commands only show messages under -v.
func (r Result) verboseMsg(v int) bool { return v > 0 }

// details renders stdout/stderr (and, with -vv, all data) of a result.
func (t *Text) details(r Result, failing bool) string {
	d, _ := module.Censored(r.Result.Data).(map[string]any)
	if len(d) == 0 {
		return ""
	}
	if t.verbosity >= 2 {
		b, _ := json.MarshalIndent(t.red.Value(d), "  ", "  ")
		return "\n  " + escapeControls(string(b))
	}
	var b strings.Builder
	for _, k := range []string{"cmd", "rc", "stdout", "stderr"} {
		v, ok := d[k]
		if !ok || v == "" || (k == "rc" && !failing) {
			continue
		}
		s := escapeControls(fmt.Sprint(v))
		if k == "cmd" && !failing {
			continue
		}
		b.WriteString("\n  " + k + ": " + strings.ReplaceAll(s, "\n", "\n    "))
	}
	return b.String()
}

func itemLabel(item any, noLog bool) string {
	if noLog {
		return "None"
	}
	switch x := module.Censored(item).(type) {
	case string:
		return x
	case map[string]any:
		if n, ok := x["name"]; ok {
			return fmt.Sprint(n)
		}
	}
	b, _ := json.Marshal(module.Censored(item))
	return string(b)
}

// Running prints a heartbeat for a long task.
func (t *Text) Running(host, task string, elapsed time.Duration) {
	t.printf("%s\n", t.paint(cyan, fmt.Sprintf("  ... [%s] still running %q (%s)", escapeControls(host), task, elapsed.Round(time.Second))))
}

// Connection prints, from -vvv on, what a connection to a host did.
func (t *Text) Connection(host, msg string) {
	if t.verbosity >= 3 {
		t.printf("%s\n", t.paint(cyan, escapeControls("<"+host+"> "+msg)))
	}
}

// Warn prints a warning.
func (t *Text) Warn(msg string) { t.printf("%s\n", t.paint(purple, "[WARNING]: "+escapeControls(msg))) }

// Recap prints the PLAY RECAP with one line per host, in Ansible's form.
func (t *Text) Recap(stats []Stats) {
	var b strings.Builder
	b.WriteString("\n" + banner("PLAY RECAP") + "\n")
	sorted := append([]Stats(nil), stats...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Host < sorted[j].Host })
	for _, s := range sorted {
		c := green
		switch {
		case s.Failed > 0 || s.Unreachable > 0:
			c = red
		case s.Changed > 0:
			c = yellow
		}
		fmt.Fprintf(&b, "%s : ok=%-4d changed=%-4d unreachable=%-4d failed=%-4d skipped=%-4d rescued=%-4d ignored=%d\n",
			t.paint(c, fmt.Sprintf("%-26s", escapeControls(s.Host))), s.OK, s.Changed, s.Unreachable, s.Failed, s.Skipped, s.Rescued, s.Ignored)
	}
	t.printf("%s\n", b.String())
}
