package lab

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress writes one line per step to the user, each prefixed with the
// time elapsed since the command started: "[  12.3s] debootstrap bookworm".
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, start: time.Now()}
}

// Printf writes one progress line.
func (p *progress) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// Step announces a long step and returns a function that reports its end
// with its own duration.
func (p *progress) Step(format string, args ...any) (done func()) {
	msg := fmt.Sprintf(format, args...)
	p.Printf("%s ...", msg)
	t := time.Now()
	return func() { p.Printf("%s: done in %.1fs", msg, time.Since(t).Seconds()) }
}
