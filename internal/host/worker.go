package host

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
)

// A worker is one long-lived bash on the host, in a session of its own,
// that runs the connection's commands one after another: a command costs a
// fork of that shell instead of a new session (sshd's fork, environment
// and login shell start), which is most of a converged task's time on the
// host. Commands that read stdin (uploads through the shell, sudo with a
// password) still get sessions of their own.
//
// Each command goes to the worker's stdin as a frame, "LEN TAG\n" and LEN
// bytes of script; the worker runs it in a subshell with stdin from
// /dev/null, the environment and working directory of a fresh session, and
// then writes "\x1eTAG\n" on stderr and "\x1eTAG:STATUS\n" on stdout. TAG is
// random per command and never in the script, so output cannot forge the
// end of a command. The subshell is in the worker's process group, which a
// cancelled command is stopped by, as in exec.
//
// While a command runs nothing else comes on the worker's stdin, so a
// watcher subshell reads it: it sees the end of stdin only when the session
// ends under the command (lvslab killed, the connection lost — sshd signals
// no command of a session without a terminal), and then stops the worker's
// process group, the command with it: TERM, and KILL 2s later. The watcher
// is killed once the command ends, before its status goes out.
//
// LC_ALL=C holds in the worker only, so that read -N counts bytes; each
// command gets the session's LC_ALL back.
const workerScript = `lvslab_lc=${LC_ALL-@lvslab-unset@}
export LC_ALL=C
printf '\036%s:%d\n' "$1" "$$"
exec 3<&0
while IFS=' ' read -r lvslab_n lvslab_t <&3; do
  IFS= read -r -N "$lvslab_n" lvslab_s <&3 || exit 1
  (
    trap '' TERM
    IFS= read -r -N 1 _ <&3
    kill -TERM -- -$$ 2>/dev/null
    sleep 2
    kill -KILL -- -$$ 2>/dev/null
  ) &
  lvslab_w=$!
  (
    if [ "$lvslab_lc" = @lvslab-unset@ ]; then unset LC_ALL; else LC_ALL=$lvslab_lc; fi
    unset lvslab_lc lvslab_n lvslab_t lvslab_rc lvslab_w
    eval "unset lvslab_s; $lvslab_s"
  ) </dev/null 3<&-
  lvslab_rc=$?
  kill -KILL "$lvslab_w" 2>/dev/null
  wait "$lvslab_w" 2>/dev/null
  printf '\036%s\n' "$lvslab_t" >&2
  printf '\036%s:%d\n' "$lvslab_t" "$lvslab_rc"
done
`

// errNoWorker says the host cannot run the worker (no bash, a login shell
// that runs no commands): commands get a session each.
var errNoWorker = errors.New("the host cannot run the worker shell")

// errWorkerLost says the worker ended while a command ran in it, with the
// connection still up: whether the command did its work is unknown.
var errWorkerLost = errors.New("the host's worker shell ended during the command")

type worker struct {
	sess    *ssh.Session
	in      io.WriteCloser
	out     *bufio.Reader
	errs    *bufio.Reader
	pid     atomic.Int64 // the worker's pid, its session's process group; 0 until ready
	release func()
}

// startWorker opens the worker's session. It does not wait for the worker
// to be ready: the first command's frame goes right after, and its run
// reads the ready line first.
func (s *SSH) startWorker(ctx context.Context) (*worker, string, error) {
	sess, release, err := s.session(ctx)
	if err != nil {
		return nil, "", err
	}
	w := &worker{sess: sess, release: release}
	fail := func(op string, err error) (*worker, string, error) {
		_ = sess.Close()
		release()
		return nil, "", s.opErr(ctx, op, err)
	}
	if w.in, err = sess.StdinPipe(); err != nil {
		return fail("open worker stdin", err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		return fail("open worker stdout", err)
	}
	errs, err := sess.StderrPipe()
	if err != nil {
		return fail("open worker stderr", err)
	}
	w.out, w.errs = bufio.NewReaderSize(out, 64<<10), bufio.NewReaderSize(errs, 16<<10)
	ready := "lvslab-worker-" + randHex(8)
	cmd := "command -v bash >/dev/null 2>&1 || exit 97; exec bash --noprofile --norc -c " + Quote(workerScript) + " lvslab-worker " + ready
	if err := sess.Start(cmd); err != nil {
		return fail("start worker", err)
	}
	return w, ready, nil
}

// waitReady reads the worker's first line, "\x1eREADY:PID", skipping what
// the login shell printed before it (warnings, a noisy rc file).
func (w *worker) waitReady(ready string) error {
	var junk bytes.Buffer
	if err := readUntil(w.out, &junk, []byte("\x1e"+ready+":"), 64<<10); err != nil {
		return errNoWorker
	}
	line, err := w.out.ReadString('\n')
	if err != nil {
		return errNoWorker
	}
	pid, err := strconv.Atoi(strings.TrimSuffix(line, "\n"))
	if err != nil || pid <= 1 {
		return errNoWorker
	}
	w.pid.Store(int64(pid))
	return nil
}

// run runs one command in the worker. Any error but one writing stdout
// leaves the worker unusable.
func (w *worker) run(line string, stdout, stderr io.Writer) (int, error) {
	out := &errWriter{w: stdout, onErr: func() {}} // drains after an error
	errOut := &errWriter{w: stderr, onErr: func() {}}
	tag := randHex(12)
	frame := strconv.Itoa(len(line)) + " " + tag + "\n" + line
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(w.in, frame)
		werr <- err
	}()
	eerr := make(chan error, 1)
	go func() {
		eerr <- readUntil(w.errs, errOut, []byte("\x1e"+tag+"\n"), -1)
	}()
	err := readUntil(w.out, out, []byte("\x1e"+tag+":"), -1)
	var status string
	if err == nil {
		status, err = w.out.ReadString('\n')
	}
	if err != nil {
		_ = w.sess.Close() // ends the stderr reader and the writer
		<-eerr
		return 0, errWorkerLost
	}
	if err := <-eerr; err != nil {
		return 0, errWorkerLost
	}
	if err := <-werr; err != nil {
		return 0, errWorkerLost
	}
	code, err := strconv.Atoi(strings.TrimSuffix(status, "\n"))
	if err != nil {
		return 0, fmt.Errorf("worker shell: bad status %q", status)
	}
	if werr := out.failed(); werr != nil {
		return 0, fmt.Errorf("write output: %w", werr)
	}
	if werr := errOut.failed(); werr != nil {
		return 0, fmt.Errorf("write output: %w", werr)
	}
	return code, nil
}

// close ends the worker: EOF on its stdin ends its loop.
func (w *worker) close() {
	_ = w.in.Close()
	_ = w.sess.Close()
	w.release()
}

// readUntil copies r to w up to mark, which it consumes. With limit >= 0 it
// fails once more than limit bytes came before mark.
func readUntil(r *bufio.Reader, w io.Writer, mark []byte, limit int) error {
	n := 0
	for {
		chunk, err := r.ReadSlice(mark[0])
		switch {
		case err == bufio.ErrBufferFull:
		case err != nil:
			_, _ = w.Write(chunk)
			return err
		default:
			chunk = chunk[:len(chunk)-1]
		}
		if _, werr := w.Write(chunk); werr != nil {
			return werr
		}
		if n += len(chunk); limit >= 0 && n > limit {
			return fmt.Errorf("no mark in the first %d bytes", limit)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		// A mark byte: the rest of mark follows, or it was output.
		rest, perr := r.Peek(len(mark) - 1)
		if bytes.Equal(rest, mark[1:]) {
			_, _ = r.Discard(len(rest))
			return nil
		}
		if perr != nil && len(rest) < len(mark)-1 {
			return perr
		}
		if _, werr := w.Write(mark[:1]); werr != nil {
			return werr
		}
		n++
	}
}

// closeWorker ends the worker unless a command runs in it (closing the
// connection ends that one), and starts no other.
func (s *SSH) closeWorker() {
	if !s.wk.mu.TryLock() {
		return
	}
	defer s.wk.mu.Unlock()
	if s.wk.w != nil {
		s.wk.w.close()
		s.wk.w = nil
	}
	s.wk.no = true
}

// workerSlot is the connection's worker, run by one command at a time.
type workerSlot struct {
	mu sync.Mutex // held while a command runs in the worker
	w  *worker
	no bool // the host cannot run it: sessions only
}

// runInWorker runs line in the connection's worker and reports ok=false
// when it cannot (the worker is busy with another command, the host has no
// bash, sessions per command are configured): the caller then opens a
// session for it. as is the sudo the line is already wrapped in, for
// stopping it when ctx ends.
func (s *SSH) runInWorker(ctx context.Context, line string, as *Become, stdout, stderr io.Writer) (code int, ok bool, err error) {
	if s.cfg.SessionPerCommand || strings.IndexByte(line, 0) >= 0 || !s.wk.mu.TryLock() {
		return 0, false, nil
	}
	defer s.wk.mu.Unlock()
	if s.wk.no {
		return 0, false, nil
	}
	w := s.wk.w
	ready := ""
	if w == nil {
		if w, ready, err = s.startWorker(ctx); err != nil {
			return 0, true, err
		}
	}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		if ready != "" {
			if err := w.waitReady(ready); err != nil {
				done <- result{err: err}
				return
			}
		}
		code, err := w.run(line, stdout, stderr)
		done <- result{code, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		// Stop the command as exec does, with the worker it ran in. The
		// goroutine may still be reading the ready line, which sets the
		// pid, or writing the command: once the session is closed, no
		// command gets through, so a pid not set by then ran none. The
		// worker's stdin is not closed under a write in progress, which
		// x/crypto/ssh does not allow; closing the session is enough.
		_ = w.sess.Signal(ssh.SIGTERM)
		_ = w.sess.Close()
		w.release() // before killGroup takes a session
		s.wk.w = nil
		if pid := w.pid.Load(); pid > 1 {
			s.killGroup(int(pid), as)
		}
		<-done
		return 0, true, fmt.Errorf("command interrupted: %w", ctx.Err())
	}
	switch {
	case r.err == nil:
		s.wk.w = w
		return r.code, true, nil
	case errors.Is(r.err, errNoWorker):
		w.close()
		s.wk.w = nil
		select {
		case <-s.dead:
			return 0, true, s.unreachable(errors.New("connection closed"))
		default:
		}
		s.wk.no = true // nothing ran: the caller runs it in a session
		return 0, false, nil
	default:
		w.close()
		s.wk.w = nil
		if s.connLost(io.EOF) {
			return 0, true, s.unreachable(fmt.Errorf("command lost: %w", r.err))
		}
		return 0, true, r.err
	}
}
