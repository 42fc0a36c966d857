package host

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// keepAliveMisses is how many keepalives may go unanswered before the
// connection is given up, as OpenSSH's ServerAliveCountMax.
const keepAliveMisses = 3

// SSH is the Executor of one host over one SSH connection; make it with
// Dial. It is safe for concurrent use: each Run is its own session, at most
// SSHConfig.MaxSessions at a time (the SFTP client holds one while open).
type SSH struct {
	cfg    SSHConfig
	client *ssh.Client
	jump   *SSH
	sem    chan struct{}          // session slots
	dead   chan struct{}          // closed when the connection has ended
	stop   chan struct{}          // closed by Close
	lost   atomic.Pointer[string] // why the keepalive gave the connection up

	closeOnce sync.Once
	closeErr  error

	wk workerSlot // the worker shell most commands run in (worker.go)

	sftpMu sync.Mutex
	sftp   *sftp.Client
	noSFTP bool // the host has no sftp subsystem: files go through the shell
}

var _ Executor = (*SSH)(nil)

func newSSH(cfg SSHConfig, client *ssh.Client, jump *SSH) *SSH {
	s := &SSH{
		cfg:    cfg,
		client: client,
		jump:   jump,
		sem:    make(chan struct{}, cfg.MaxSessions),
		dead:   make(chan struct{}),
		stop:   make(chan struct{}),
	}
	go func() {
		_ = client.Wait()
		close(s.dead)
	}()
	if cfg.KeepAlive > 0 {
		go s.keepAlive(cfg.KeepAlive)
	}
	return s
}

// Config returns the settings of the connection, defaults filled in.
func (s *SSH) Config() SSHConfig { return s.cfg }

// Client returns the underlying SSH connection, for port forwarding and the
// like. Closing it makes every later operation fail as unreachable.
func (s *SSH) Client() *ssh.Client { return s.client }

// Run runs cmd in a new session through the user's login shell, escalated
// as opts.Become says, and returns its output and exit status. No PTY is
// requested. See Executor for the error contract.
//
// Escalation wraps cmd as
//
//	sudo -S -p '' -u USER -- sh -c CMD
//
// with the password on the first line of stdin, then a marker line that the
// wrapper skips to, so CMD reads exactly opts.Stdin even when sudo asks for
// no password. Without a password it is "sudo -n", which fails rather than
// prompts. The password is never in argv or the environment. When the
// connecting user is the become user, cmd runs as is.
//
// The login shell must be a POSIX shell: exec prefixes every command with
// "echo lvslab-pid:$$ >&2; " to learn the process group that a cancelled
// command is stopped by (see exec); that line never reaches Result.Stderr.
func (s *SSH) Run(ctx context.Context, cmd string, opts RunOpts) (Result, error) {
	var stdout, stderr bytes.Buffer
	var out io.Writer = &stdout
	if opts.Stdout != nil {
		out = opts.Stdout
	}
	as := s.sudoAs(opts.Become)
	code, err := s.exec(ctx, cmd, as, opts.Stdin, opts.Stdout == nil, out, &stderr)
	if err != nil {
		return Result{}, err
	}
	return Result{Stdout: stdout.String(), Stderr: suStderr(as, stderr.String()), ExitCode: code}, nil
}

// Close closes the SFTP client, the connection and the jump host's.
func (s *SSH) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.closeWorker()
		s.sftpMu.Lock()
		if s.sftp != nil {
			_ = s.sftp.Close()
		}
		s.noSFTP = true // no new SFTP client after Close
		s.sftpMu.Unlock()
		err := s.client.Close()
		if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
			err = nil
		}
		if s.jump != nil {
			if jerr := s.jump.Close(); err == nil {
				err = jerr
			}
		}
		if err != nil {
			err = fmt.Errorf("close connection to %s: %w", s.cfg.Name, err)
		}
		s.closeErr = err
	})
	return s.closeErr
}

// keepAlive sends a keepalive@openssh.com request every interval and closes
// the connection when keepAliveMisses of them in a row get no reply, so that
// operations blocked on a vanished host fail as unreachable.
func (s *SSH) keepAlive(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	replies := make(chan error, 1)
	pending, missed := false, 0
	for {
		select {
		case <-s.stop:
			return
		case <-s.dead:
			return
		case err := <-replies:
			if err != nil {
				return
			}
			pending, missed = false, 0
		case <-t.C:
			if !pending {
				pending = true
				go func() {
					_, _, err := s.client.SendRequest("keepalive@openssh.com", true, nil)
					replies <- err
				}()
				continue
			}
			if missed++; missed >= keepAliveMisses {
				why := fmt.Sprintf("no reply to %d keepalives sent every %s", keepAliveMisses, every)
				s.lost.Store(&why)
				_ = s.client.Close()
				return
			}
		}
	}
}

// unreachable wraps a transport failure.
func (s *SSH) unreachable(err error) error {
	if why := s.lost.Load(); why != nil {
		err = fmt.Errorf("connection lost: %s: %w", *why, err)
	}
	return &UnreachableError{Host: s.cfg.Name, Err: err}
}

// connLost reports whether err came from the connection going away.
func (s *SSH) connLost(err error) bool {
	select {
	case <-s.dead:
		return true
	default:
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
		!errors.Is(err, sftp.ErrSSHFxConnectionLost) && !errors.Is(err, net.ErrClosed) &&
		!errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		return false
	}
	// The watcher may not have seen the end yet.
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	select {
	case <-s.dead:
		return true
	case <-t.C:
		return false
	}
}

// opErr wraps the failure of operation op: an interruption, a transport
// failure or a plain error.
func (s *SSH) opErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s interrupted: %w", op, ctx.Err())
	}
	if s.connLost(err) {
		return s.unreachable(fmt.Errorf("%s: %w", op, err))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// session opens a session in a free slot. The server may refuse one while
// it has not yet freed the slot of a session just closed; that is retried.
func (s *SSH) session(ctx context.Context) (*ssh.Session, func(), error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("command interrupted: %w", ctx.Err())
	case <-s.dead:
		return nil, nil, s.unreachable(errors.New("connection closed"))
	}
	release := func() { <-s.sem }
	for delay := 5 * time.Millisecond; ; delay *= 2 {
		sess, err := s.client.NewSession()
		if err == nil {
			return sess, release, nil
		}
		var refused *ssh.OpenChannelError
		if !errors.As(err, &refused) {
			release()
			return nil, nil, s.unreachable(fmt.Errorf("open session: %w", err))
		}
		if delay > time.Second {
			release()
			return nil, nil, fmt.Errorf("open session: %w", err)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			release()
			return nil, nil, fmt.Errorf("command interrupted: %w", ctx.Err())
		}
	}
}

// exec runs cmd in a new session, through sudo as the user of as unless it
// is nil, copying stdin (then EOF) to it and its output to stdout and
// stderr, and returns its exit status.
//
// A cancelled ctx stops the command: TERM by the session "signal" request,
// which sshd honours only for non-root users, then TERM to the session's
// process group from a second session, with the same sudo as the command
// (a root session cannot be signalled, nor can a user signal the root
// processes under sudo, and sudo relays signals to its child only, not to
// the child's children). The login shell reports its pid, the group's id,
// on a first stderr line that exec takes out. An error reading stdin aborts
// the same way, so the command never sees a short input end normally.
func (s *SSH) exec(ctx context.Context, cmd string, as *Become, stdin io.Reader, useWorker bool, stdout, stderr io.Writer) (int, error) {
	line := cmd
	if as != nil {
		var err error
		if line, stdin, err = sudoCommand(cmd, *as, stdin); err != nil {
			return 0, err
		}
	}
	if stdin == nil && useWorker {
		if code, ok, err := s.runInWorker(ctx, line, as, stdout, stderr); ok {
			return code, err
		}
	}
	sess, release, err := s.session(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	defer sess.Close()
	errs := newPidFilter(stderr)
	var abortOnce sync.Once
	abort := func() {
		abortOnce.Do(func() {
			_ = sess.Signal(ssh.SIGTERM)
			_ = sess.Close()
			select {
			case <-errs.known:
				s.killGroup(errs.pid, as)
			case <-time.After(time.Second):
			case <-s.dead:
			}
		})
	}
	out := &errWriter{w: stdout, onErr: abort}
	sess.Stdout, sess.Stderr = out, errs
	in, err := sess.StdinPipe()
	if err != nil {
		return 0, s.opErr(ctx, "open stdin", err)
	}
	if stdin == nil {
		// stdin stays open while the command runs: its end is the
		// session's, which the watcher turns into the command's.
		line = watchedCommand(line)
	}
	if err := sess.Start(pidPrefix + line); err != nil {
		return 0, s.opErr(ctx, "start command", err)
	}
	src := &errReader{r: stdin}
	go func() {
		if stdin == nil {
			return
		}
		_, _ = io.Copy(in, src)
		if src.failed() != nil {
			abort()
			return
		}
		_ = in.Close()
	}()
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
		abortOnce.Do(func() {}) // waits for an abort under way
	case <-ctx.Done():
		abort()
		return 0, fmt.Errorf("command interrupted: %w", ctx.Err())
	}
	errs.flush()
	if rerr := src.failed(); rerr != nil {
		return 0, fmt.Errorf("read input: %w", rerr)
	}
	if werr := out.failed(); werr != nil {
		return 0, fmt.Errorf("write output: %w", werr)
	}
	var exit *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitStatus(), nil
	default: // *ssh.ExitMissingError, io.EOF: the connection dropped
		return 0, s.unreachable(fmt.Errorf("command lost: %w", err))
	}
}

// watchedCommand wraps line, a command without input, so that it dies with
// its session: sshd signals no command of a session without a terminal
// when the client goes away (killed, or its connection lost), it only
// closes the command's stdin. line runs with stdin from /dev/null while a
// watcher reads the session's stdin, which lvslab never closes: at its end
// the watcher stops the session's process group (TERM, then KILL 2s later;
// sshd makes the login shell its leader). The watcher goes when line ends.
func watchedCommand(line string) string {
	return "exec 3<&0; (trap '' TERM; read -r lvslab_x <&3; kill -s TERM -- -$$ 2>/dev/null; sleep 2; kill -s KILL -- -$$ 2>/dev/null) & lvslab_w=$!; (\n" +
		line + "\n) </dev/null 3<&-; lvslab_rc=$?; kill -s KILL $lvslab_w 2>/dev/null; wait $lvslab_w 2>/dev/null; exit $lvslab_rc"
}

// killGroup sends TERM to the process group pgid of an aborted command
// from a new session, as the command ran.
func (s *SSH) killGroup(pgid int, as *Become) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, release, err := s.session(ctx)
	if err != nil {
		return
	}
	defer release()
	defer sess.Close()
	line, stdin := fmt.Sprintf("kill -TERM -%d 2>/dev/null; true", pgid), io.Reader(nil)
	if as != nil {
		if line, stdin, err = sudoCommand(line, *as, nil); err != nil {
			return
		}
	}
	sess.Stdin = stdin
	done := make(chan struct{})
	go func() {
		_ = sess.Run(line)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// become resolves b against the host's defaults and reports whether sudo
// is needed: not when the connecting user is the become user.
func (s *SSH) become(b Become) (Become, bool) {
	if !b.Enabled {
		return b, false
	}
	if b.User == "" {
		b.User = s.cfg.Become.User
	}
	if b.Password == "" {
		b.Password = s.cfg.Become.Password
	}
	b = b.withDefaults(s.cfg.Become)
	if b.User == s.cfg.User {
		return b, false
	}
	if s.cfg.User == "root" {
		b.Password = "" // root's sudo asks for none
	}
	return b, true
}

// sudoAs returns the resolved b when the command needs sudo, else nil.
func (s *SSH) sudoAs(b Become) *Become {
	if b, sudo := s.become(b); sudo {
		return &b
	}
	return nil
}

// sudoCommand wraps cmd in sudo. With a password, stdin starts with the
// password line and a random marker line; the wrapper reads lines up to the
// marker, so cmd's stdin is exactly stdin whether sudo read the password
// (it reads exactly one line) or not (NOPASSWD, cached credentials).
func sudoCommand(cmd string, b Become, stdin io.Reader) (string, io.Reader, error) {
	if b.Method == "su" {
		return suCommand(cmd, b, stdin)
	}
	user := Quote(b.User)
	sudo := "sudo"
	if b.Exe != "" {
		sudo = b.Exe
	}
	if b.Flags != "" {
		sudo += " " + b.Flags
	}
	if b.Password == "" {
		return sudo + " -n -u " + user + " -- sh -c " + Quote(cmd), stdin, nil
	}
	if strings.ContainsAny(b.Password, "\r\n") {
		return "", nil, errors.New("the become password contains a line break")
	}
	mark := "lvslab-stdin-" + randHex(8)
	inner := "while IFS= read -r lvslab_l; do [ \"$lvslab_l\" = " + mark + " ] && break; done; unset lvslab_l\n" + cmd
	pre := strings.NewReader(b.Password + "\n" + mark + "\n")
	line := sudo + " -S -p '' -u " + user + " -- sh -c " + Quote(inner)
	if stdin == nil {
		return line, pre, nil
	}
	return line, io.MultiReader(pre, stdin), nil
}

// errReader remembers the first error of r other than io.EOF.
type errReader struct {
	r   io.Reader
	err atomic.Pointer[error]
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err.CompareAndSwap(nil, &err)
	}
	return n, err
}

func (e *errReader) failed() error {
	if p := e.err.Load(); p != nil {
		return *p
	}
	return nil
}

// errWriter remembers the first error of w. With onErr set it calls it and
// from then on discards what it is given, so that a session's output is
// still drained; without, it returns the error.
type errWriter struct {
	w     io.Writer
	onErr func()
	err   atomic.Pointer[error]
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err.Load() != nil && e.onErr != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	if err == nil {
		return n, nil
	}
	e.err.CompareAndSwap(nil, &err)
	if e.onErr == nil {
		return n, err
	}
	e.onErr()
	return len(p), nil
}

func (e *errWriter) failed() error {
	if p := e.err.Load(); p != nil {
		return *p
	}
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
