package loadrun

import (
	"fmt"
	"io"
	"strings"
	"time"

	"lvslab/internal/load"
)

// Live shows a run's progress as it goes: on a terminal one line rewritten
// every interval, elsewhere a line every Every intervals (default 5).
type Live struct {
	W     io.Writer
	TTY   bool
	Every int

	label     string
	n         int
	completed int64
	failed    int64
	servers   map[string]int64
	shown     bool
}

// Start begins the line of a new run.
func (l *Live) Start(label string) {
	l.Done()
	l.label, l.n, l.completed, l.failed, l.servers = label, 0, 0, 0, map[string]int64{}
}

// Event takes one of the run's events.
func (l *Live) Event(ev load.Event) {
	iv := ev.Interval
	if iv == nil {
		return
	}
	l.n++
	l.completed += iv.Completed
	l.failed += iv.Failed
	for s, n := range iv.Servers {
		l.servers[s] += n
	}
	line := l.line(*iv)
	switch {
	case l.TTY:
		fmt.Fprintf(l.W, "\r\033[K%s", line)
		l.shown = true
	case l.n%l.every() == 0:
		fmt.Fprintln(l.W, line)
	}
}

// Done ends the run's line.
func (l *Live) Done() {
	if l.TTY && l.shown {
		fmt.Fprint(l.W, "\r\033[K")
	}
	l.shown = false
}

func (l *Live) every() int {
	if l.Every > 0 {
		return l.Every
	}
	return 5
}

func (l *Live) line(iv load.Interval) string {
	var shares []string
	for _, s := range sortedKeys(l.servers) {
		if l.completed > 0 {
			shares = append(shares, fmt.Sprintf("%s %.0f%%", s, 100*float64(l.servers[s])/float64(l.completed)))
		}
	}
	step := ""
	if iv.Step > 0 {
		step = fmt.Sprintf(" step %d", iv.Step)
	}
	return fmt.Sprintf("%s%s  %s  %.0f req/s  p99 %s  failed %d  %s", l.label, step,
		(time.Duration(iv.Elapsed * float64(time.Second))).Round(time.Second), iv.RPS, ms(iv.P99), l.failed, strings.Join(shares, " "))
}
