package host

import (
	"bytes"
	"io"
	"strconv"
)

// pidPrefix makes the login shell report its pid, which is also the id of
// the session's process group (sshd starts every session with setsid), as a
// stderr line that pidFilter takes out.
const pidPrefix = "echo lvslab-pid:$$ >&2; "

// pidFilter passes stderr through to w, except the first line of the form
// "lvslab-pid:N", whose N it records and then closes known. It forwards
// what comes before that line (shell start-up warnings) unchanged, and
// gives up looking after 64 KiB. Writes come from one goroutine; flush is
// called after the last one.
type pidFilter struct {
	w     io.Writer
	buf   []byte
	done  bool
	pid   int
	known chan struct{}
}

func newPidFilter(w io.Writer) *pidFilter {
	return &pidFilter{w: w, known: make(chan struct{})}
}

func (f *pidFilter) Write(p []byte) (int, error) {
	if f.done {
		return f.w.Write(p)
	}
	f.buf = append(f.buf, p...)
	for !f.done {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			if len(f.buf) > 64<<10 {
				f.done = true
				return len(p), f.flushBuf()
			}
			return len(p), nil
		}
		line := f.buf[:i]
		if rest, ok := bytes.CutPrefix(line, []byte("lvslab-pid:")); ok {
			if pid, err := strconv.Atoi(string(rest)); err == nil && pid > 1 {
				f.pid, f.done = pid, true
				close(f.known)
				f.buf = f.buf[i+1:]
				return len(p), f.flushBuf()
			}
		}
		if _, err := f.w.Write(f.buf[:i+1]); err != nil {
			return len(p), err
		}
		f.buf = f.buf[i+1:]
	}
	return len(p), nil
}

func (f *pidFilter) flushBuf() error {
	if len(f.buf) == 0 {
		return nil
	}
	_, err := f.w.Write(f.buf)
	f.buf = nil
	return err
}

// flush writes out what is held back.
func (f *pidFilter) flush() {
	f.done = true
	_ = f.flushBuf()
}
