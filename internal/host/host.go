// Package host is the transport: one Executor per host, reused by every task of a run.
package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// ErrUnreachable marks transport failures: the host could not be dialled, the
// handshake failed, the host key did not match, or the connection dropped.
// The runner reports such hosts as unreachable rather than failed.
var ErrUnreachable = errors.New("host unreachable")

// UnreachableError wraps the cause of a transport failure; errors.Is(err,
// ErrUnreachable) is true for it.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string { return fmt.Sprintf("%s: %v", e.Host, e.Err) }

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Is reports whether target is ErrUnreachable.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// Become says whether and as whom a command or file operation is escalated.
// The password is fed to sudo (or su) on stdin, never on a command line.
type Become struct {
	Enabled  bool
	User     string // default root
	Password string
	// Method is sudo (the default, "") or su, as Ansible's become_method.
	Method string
	// Exe is the program that escalates instead of sudo or su
	// (become_exe); Flags are words added after it (become_flags), as
	// written: a shell's words.
	Exe   string
	Flags string
}

// RunOpts tunes one command.
type RunOpts struct {
	Stdin  io.Reader // optional
	Become Become
	// Stdout, when set, receives the command's standard output as it
	// arrives, instead of Result.Stdout (for long commands that report as
	// they go, such as the load agent); the command then runs in a session
	// of its own.
	Stdout io.Writer
}

// Result is what a finished command reported.
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// FileOpts tunes one upload. A zero Owner/Group leaves ownership to the
// uploading user (root when becoming root). A zero Mode means 0644; Mode
// takes set-id and sticky bits as fs.ModeSetuid etc. or as raw octal
// (fs.FileMode(0o4755)), and is set exactly whatever the remote umask.
type FileOpts struct {
	Mode   fs.FileMode
	Owner  string
	Group  string
	Become Become
}

// Executor runs commands and moves files on one host.
//
// An Executor is safe for concurrent use by several goroutines, but the
// runner uses one goroutine per host at a time. Run returns a non-nil error
// only when the command could not be run or its outcome is unknown (transport
// failure, cancelled context); a command that ran and exited non-zero is a
// nil error with Result.ExitCode set. Transport failures satisfy
// errors.Is(err, ErrUnreachable). A cancelled ctx signals the remote command
// and returns ctx.Err() wrapped.
//
// Upload is atomic: the data goes to a temporary file in dst's directory, is
// synced, given its mode and owner, and renamed over dst; on any failure dst
// is unchanged and the temporary file removed.
type Executor interface {
	Run(ctx context.Context, cmd string, opts RunOpts) (Result, error)
	Upload(ctx context.Context, r io.Reader, dst string, opts FileOpts) error
	Download(ctx context.Context, src string, w io.Writer, become Become) error
	Close() error
}
