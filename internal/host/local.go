package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Connection types, as ConnectionFromVars gives them.
const (
	ConnSSH   = "ssh"
	ConnLocal = "local"
)

// ConnectionFromVars reads ansible_connection of the inventory host name:
// ConnSSH when it is unset or ssh, smart or paramiko (each of them SSH to
// lvslab), ConnLocal for local; anything else is a *VarError naming the
// host.
func ConnectionFromVars(name string, vars map[string]any) (string, error) {
	p := varParser{host: name, vars: vars}
	s, ok := p.str("ansible_connection")
	if !ok {
		return ConnSSH, errors.Join(p.errs...)
	}
	switch strings.TrimPrefix(s, "ansible.builtin.") {
	case "ssh", "smart", "paramiko", "":
		return ConnSSH, nil
	case "local":
		return ConnLocal, nil
	}
	if strings.TrimPrefix(s, "ansible.netcommon.") == "paramiko_ssh" {
		return ConnSSH, nil
	}
	p.errorf("ansible_connection", "%q is not a connection lvslab has: want ssh (or smart, paramiko) or local", s)
	return "", errors.Join(p.errs...)
}

// Local is the Executor of a host whose ansible_connection is local: it
// runs commands on this machine with /bin/sh, as the user lvslab runs as,
// escalating with sudo when asked to become another user (directly, without
// sudo, when lvslab already is that user). Files are written atomically
// with the same shell upload the SSH executor uses where it has no SFTP.
// It is safe for concurrent use.
type Local struct {
	name   string
	user   string // the user lvslab runs as
	become Become // the host's default escalation (ansible_become*)
}

// NewLocal returns the local executor of the inventory host name, its
// default escalation read from its variables as for SSH.
func NewLocal(name string, vars map[string]any) (*Local, error) {
	b, err := BecomeFromVars(name, vars)
	if err != nil {
		return nil, err
	}
	u, err := currentUser()
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", name, err)
	}
	return &Local{name: name, user: u, become: b}, nil
}

// localKillDelay is how long a cancelled command's process group has
// between SIGTERM and SIGKILL.
const localKillDelay = 3 * time.Second

// Run runs cmd with /bin/sh -c in a process group of its own, which a
// cancelled ctx signals (SIGTERM, then SIGKILL).
func (l *Local) Run(ctx context.Context, cmd string, opts RunOpts) (Result, error) {
	var stdout, stderr bytes.Buffer
	var out io.Writer = &stdout
	if opts.Stdout != nil {
		out = opts.Stdout
	}
	code, err := l.exec(ctx, cmd, opts.Become, opts.Stdin, out, &stderr)
	if err != nil {
		return Result{}, err
	}
	errs := stderr.String()
	if as, sudo := l.sudo(opts.Become); sudo {
		errs = suStderr(&as, errs)
	}
	return Result{Stdout: stdout.String(), Stderr: errs, ExitCode: code}, nil
}

// Upload writes r to dst atomically (see Executor), with the shell upload:
// a temporary file in dst's directory, synced, given its mode and owner,
// renamed over dst, removed on any failure.
func (l *Local) Upload(ctx context.Context, r io.Reader, dst string, opts FileOpts) error {
	op := "upload " + dst
	mode := opts.Mode
	if mode == 0 {
		mode = 0o644
	}
	return shellUpload(op, r, dst, mode, chownSpec(opts.Owner, opts.Group), l.shellRun(ctx, opts.Become))
}

// shellRun runs lines escalated as b.
func (l *Local) shellRun(ctx context.Context, b Become) shellRun {
	return func(line string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
		return l.exec(ctx, line, b, stdin, stdout, stderr)
	}
}

// Download copies src to w: read directly, or with cat under sudo when
// escalating to another user. A missing src is an error matching
// fs.ErrNotExist.
func (l *Local) Download(ctx context.Context, src string, w io.Writer, become Become) error {
	op := "download " + src
	if _, sudo := l.sudo(become); !sudo {
		f, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		defer f.Close()
		if _, err := io.Copy(ctxWriter{ctx: ctx, w: w}, f); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	}
	return shellDownload(op, src, w, l.shellRun(ctx, become))
}

// Close does nothing: a local host holds no connection.
func (l *Local) Close() error { return nil }

// sudo resolves b against the host's defaults and says whether it needs
// sudo: escalation to a user lvslab is not.
func (l *Local) sudo(b Become) (Become, bool) {
	if !b.Enabled {
		return b, false
	}
	if b.User == "" {
		b.User = l.become.User
	}
	if b.Password == "" {
		b.Password = l.become.Password
	}
	b = b.withDefaults(l.become)
	if b.User == l.user {
		return b, false
	}
	if l.user == "root" {
		b.Password = "" // root's sudo asks for none
	}
	return b, true
}

// exec runs a shell line, under sudo when b needs it, and returns its exit
// status; an error means it did not run or was interrupted.
func (l *Local) exec(ctx context.Context, line string, b Become, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if as, sudo := l.sudo(b); sudo {
		var err error
		if line, stdin, err = sudoCommand(line, as, stdin); err != nil {
			return 0, err
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("command interrupted: %w", err)
	}
	c := exec.Command("/bin/sh", "-c", line)
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		return 0, fmt.Errorf("host %s: %w", l.name, err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(localKillDelay):
				_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			}
		case <-done:
		}
	}()
	err := c.Wait()
	close(done)
	if ctx.Err() != nil {
		return 0, fmt.Errorf("command interrupted: %w", ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	case err != nil:
		return 0, fmt.Errorf("host %s: %w", l.name, err)
	}
	return 0, nil
}
