package loadrun_test

import (
	"bytes"
	"strings"
	"testing"

	"lvslab/internal/load"
	"lvslab/internal/loadrun"
)

func TestLive(t *testing.T) {
	iv := func(s float64) load.Event {
		return load.Event{Interval: &load.Interval{Elapsed: s, Completed: 30, Failed: 1, RPS: 30, P99: 12.5,
			Servers: map[string]int64{"rs01": 20, "rs02": 10}}}
	}
	var tty bytes.Buffer
	l := &loadrun.Live{W: &tty, TTY: true}
	l.Start("VIP 10.0.0.1:80")
	l.Event(iv(1))
	l.Event(load.Event{Summary: &load.Summary{}}) // not an interval: nothing
	l.Event(iv(2))
	l.Done()
	want := "\r\033[KVIP 10.0.0.1:80  1s  30 req/s  p99 12.5ms  failed 1  rs01 67% rs02 33%" +
		"\r\033[KVIP 10.0.0.1:80  2s  30 req/s  p99 12.5ms  failed 2  rs01 67% rs02 33%\r\033[K"
	if tty.String() != want {
		t.Errorf("terminal:\n got %q\nwant %q", tty.String(), want)
	}
	var log bytes.Buffer
	l = &loadrun.Live{W: &log}
	l.Start("rs01 directly")
	for s := 1; s <= 11; s++ {
		l.Event(iv(float64(s)))
	}
	l.Done()
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "rs01 directly  5s ") || !strings.HasPrefix(lines[1], "rs01 directly  10s ") {
		t.Errorf("not a terminal: a line every 5 intervals, got %q", log.String())
	}
}
