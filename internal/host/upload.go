package host

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// errNoSFTP says the host has no sftp subsystem; files go through the shell.
var errNoSFTP = errors.New("the host has no sftp subsystem")

// sftpMaxPacketOpenSSH is the SFTP read and write size with OpenSSH
// servers, and sftpWritesInFlight how many writes an upload keeps in
// flight: 64 MiB over loopback went at ~150-220 MiB/s with 32 KiB writes,
// 64 in flight (pkg/sftp's defaults), at ~300-500 MiB/s with 255 KiB and 4
// (bench/floor, bench/RESULTS.md).
const (
	sftpMaxPacketOpenSSH = 256<<10 - 1024
	sftpWritesInFlight   = 4
)

// spoolInMemory is how much of a reader of unknown length the shell upload
// keeps in memory before spooling the rest to a local temporary file.
const spoolInMemory = 16 << 20

// Upload writes r to dst atomically (see Executor). A zero opts.Mode means
// 0644; the mode is set exactly, whatever the remote umask.
//
// Without escalation, or when the connecting user is the become user, the
// data goes over SFTP into dst's directory as .lvslab-tmp-RANDOM (mode 0600
// until complete), is fsynced, chmodded and renamed over dst with
// posix-rename. The temporary file is made (and chowned, when opts.Owner or
// opts.Group is set) by a guard shell in a session beside the SFTP one, which
// removes it when the upload ends, however it ends: SFTP alone cannot clean
// up after a dropped connection. Otherwise one sudo'd shell command receives exactly the
// data's length on stdin, checks that it got all of it before renaming, and
// removes its temporary file on any failure, so a dropped connection never
// renames a short file; the same command serves hosts without SFTP.
func (s *SSH) Upload(ctx context.Context, r io.Reader, dst string, opts FileOpts) error {
	op := "upload " + dst
	mode := opts.Mode
	if mode == 0 {
		mode = 0o644
	}
	as := s.sudoAs(opts.Become)
	if as == nil {
		c, err := s.sftpClient(ctx)
		if err == nil {
			return s.uploadSFTP(ctx, c, r, dst, mode, chownSpec(opts.Owner, opts.Group))
		}
		if !errors.Is(err, errNoSFTP) {
			return s.opErr(ctx, op, err)
		}
	}
	return shellUpload(op, r, dst, mode, chownSpec(opts.Owner, opts.Group), s.shellRun(ctx, as))
}

// shellRun runs lines as as (nil: the connecting user).
func (s *SSH) shellRun(ctx context.Context, as *Become) shellRun {
	return func(line string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
		return s.exec(ctx, line, as, stdin, true, stdout, stderr)
	}
}

// Download copies src to w, over SFTP, or with cat (sudo'd when escalating
// to another user than the connecting one). A missing src is an error
// matching fs.ErrNotExist. After an error w may hold part of the file.
func (s *SSH) Download(ctx context.Context, src string, w io.Writer, become Become) error {
	op := "download " + src
	as := s.sudoAs(become)
	dst := &errWriter{w: ctxWriter{ctx: ctx, w: w}}
	if as == nil {
		c, err := s.sftpClient(ctx)
		if err == nil {
			f, err := c.Open(src)
			if err != nil {
				return s.opErr(ctx, op, err)
			}
			defer f.Close()
			_, err = f.WriteTo(dst)
			if werr := dst.failed(); werr != nil && ctx.Err() == nil {
				return fmt.Errorf("%s: %w", op, werr)
			}
			if err != nil {
				return s.opErr(ctx, op, err)
			}
			return nil
		}
		if !errors.Is(err, errNoSFTP) {
			return s.opErr(ctx, op, err)
		}
	}
	return shellDownload(op, src, w, s.shellRun(ctx, as))
}

// sftpClient returns the connection's SFTP client, starting it on first
// use. It holds a session slot while it lives; errNoSFTP means the host has
// no sftp subsystem.
func (s *SSH) sftpClient(ctx context.Context) (*sftp.Client, error) {
	s.sftpMu.Lock()
	defer s.sftpMu.Unlock()
	if s.sftp != nil {
		return s.sftp, nil
	}
	if s.noSFTP {
		return nil, errNoSFTP
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.dead:
		return nil, io.EOF
	}
	opts := []sftp.ClientOption{sftp.UseConcurrentWrites(true)}
	if strings.HasPrefix(string(s.client.ServerVersion()), "SSH-2.0-OpenSSH") {
		// OpenSSH's sftp-server takes messages of up to 256 KiB (its
		// limits@openssh.com says 256 KiB - 1024 of data per read or
		// write): 8 times pkg/sftp's 32 KiB, a third of the requests.
		opts = append(opts, sftp.MaxPacketUnchecked(sftpMaxPacketOpenSSH))
	}
	c, err := sftp.NewClient(s.client, opts...)
	if err != nil {
		<-s.sem
		if strings.Contains(err.Error(), "subsystem request failed") {
			s.noSFTP = true
			return nil, errNoSFTP
		}
		return nil, fmt.Errorf("start sftp: %w", err)
	}
	s.sftp = c
	go func() {
		// When the sftp session ends, free its slot; the next file
		// operation starts a new one if the connection still lives.
		_ = c.Wait()
		s.sftpMu.Lock()
		if s.sftp == c {
			s.sftp = nil
		}
		s.sftpMu.Unlock()
		<-s.sem
	}()
	return c, nil
}

func (s *SSH) uploadSFTP(ctx context.Context, c *sftp.Client, r io.Reader, dst string, mode fs.FileMode, owner string) (err error) {
	op := "upload " + dst
	tmp := path.Join(path.Dir(dst), ".lvslab-tmp-"+randHex(8))
	done, err := s.guardTemp(ctx, tmp, owner)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer done()
	f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return s.opErr(ctx, op, err)
	}
	src := &errReader{r: ctxReader{ctx: ctx, r: r}}
	defer func() {
		if err == nil {
			return
		}
		_ = f.Close()
		_ = c.Remove(tmp) // the guard removes it too, even when this cannot
		if rerr := src.failed(); rerr != nil && ctx.Err() == nil {
			err = fmt.Errorf("%s: read source: %w", op, rerr)
		}
	}()
	if _, err = f.ReadFromWithConcurrency(src, sftpWritesInFlight); err != nil {
		return s.opErr(ctx, op, noSpace(c, path.Dir(dst), err))
	}
	if err = f.Sync(); err != nil && !isFx(err, sftp.ErrSSHFxOpUnsupported) {
		return s.opErr(ctx, op, noSpace(c, path.Dir(dst), err))
	}
	// After the guard's chown, which may clear set-id bits.
	if err = f.Chmod(mode); err != nil {
		return s.opErr(ctx, op, err)
	}
	if err = f.Close(); err != nil {
		return s.opErr(ctx, op, noSpace(c, path.Dir(dst), err))
	}
	if err = c.PosixRename(tmp, dst); err != nil {
		return s.opErr(ctx, op, err)
	}
	return nil
}

// guardReady is what the guard prints once the temporary file exists.
const guardReady = "lvslab-guard-ready"

// guardTemp starts the guard of an SFTP upload's temporary file tmp: a shell
// in its own session that creates tmp (empty, mode 0600, failing if it
// exists), chowns it to owner when set, and removes it when its stdin ends —
// when done is called, or when the connection drops and sshd closes the
// session's pipes. After a successful rename the removal finds nothing.
func (s *SSH) guardTemp(ctx context.Context, tmp, owner string) (done func(), err error) {
	sess, release, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (func(), error) {
		_ = sess.Close()
		release()
		return nil, err
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		return fail(s.opErr(ctx, "open stdin", err))
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return fail(s.opErr(ctx, "open stdout", err))
	}
	var stderr bytes.Buffer // read only after Wait
	sess.Stderr = &stderr
	var b strings.Builder
	fmt.Fprintf(&b, "umask 077; t=%s\n", Quote(tmp))
	b.WriteString("trap 'rm -f -- \"$t\"' EXIT; trap 'rm -f -- \"$t\"; exit 129' HUP INT TERM PIPE\n")
	b.WriteString("(set -C; : > \"$t\") || { trap - EXIT; exit 1; }\n")
	if owner != "" {
		fmt.Fprintf(&b, "chown -- %s \"$t\" || exit 1\n", Quote(owner))
	}
	b.WriteString("echo " + guardReady + "; cat > /dev/null")
	if err := sess.Start(b.String()); err != nil {
		return fail(s.opErr(ctx, "start temporary file guard", err))
	}
	ready := make(chan error, 1)
	go func() {
		line, rerr := bufio.NewReader(stdout).ReadString('\n')
		if rerr == nil && line == guardReady+"\n" {
			ready <- nil
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return
		}
		werr := sess.Wait()
		var exit *ssh.ExitError
		if errors.As(werr, &exit) {
			ready <- fmt.Errorf("create %s: exit status %d: %s", tmp, exit.ExitStatus(), strings.TrimSpace(stderr.String()))
			return
		}
		if werr == nil {
			werr = rerr
		}
		ready <- s.opErr(ctx, "create "+tmp, werr)
	}()
	select {
	case err := <-ready:
		if err != nil {
			return fail(err)
		}
	case <-ctx.Done():
		return fail(fmt.Errorf("interrupted: %w", ctx.Err()))
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = stdin.Close()
			go func() {
				_ = sess.Wait()
				_ = sess.Close()
				release()
			}()
		})
	}, nil
}

// isFx reports whether err is an SFTP status of code (sftp.ErrSSHFx...):
// the client's *sftp.StatusError does not match them with errors.Is.
func isFx(err, code error) bool {
	var se *sftp.StatusError
	if errors.As(err, &se) {
		return error(se.FxCode()) == code
	}
	return errors.Is(err, code)
}

// noSpace adds to err, when the file system of dir is full, that it is:
// OpenSSH's sftp-server reports ENOSPC as a bare "Failure".
func noSpace(c *sftp.Client, dir string, err error) error {
	if !isFx(err, sftp.ErrSSHFxFailure) {
		return err
	}
	vfs, verr := c.StatVFS(dir)
	if verr != nil {
		return err
	}
	const low = 64 << 10
	switch {
	case vfs.Frsize*vfs.Bfree < low || vfs.Frsize*vfs.Bavail < low:
		return fmt.Errorf("%w: no space left on device (%d bytes free on the file system of %s)", err, vfs.Frsize*vfs.Bavail, dir)
	case vfs.Files > 0 && vfs.Ffree == 0:
		return fmt.Errorf("%w: no inodes left on the file system of %s", err, dir)
	}
	return err
}

// uploadScript is the shell upload: it takes exactly size bytes of stdin.
func uploadScript(dst string, size int64, mode fs.FileMode, owner string) string {
	var b strings.Builder
	// The name is known before the file exists and the traps are set before
	// it is created, so a signal at any point leaves nothing behind. The
	// clean-up ignores signals (they go to the whole process group, rm
	// included) and runs from the signal trap too, in case one interrupts
	// the exit trap.
	fmt.Fprintf(&b, "set -e; umask 077; t=%s\n", Quote(path.Join(path.Dir(dst), ".lvslab-tmp-"+randHex(8))))
	b.WriteString("lvslab_clean() { trap '' HUP INT TERM PIPE; rm -f \"$t\"; }\n")
	b.WriteString("trap lvslab_clean EXIT; trap 'lvslab_clean; exit 129' HUP INT TERM PIPE\n")
	fmt.Fprintf(&b, "set -C; : > \"$t\"; set +C; head -c %d >> \"$t\"\n", size)
	fmt.Fprintf(&b, "n=$(wc -c < \"$t\"); [ $n -eq %d ] || { echo \"lvslab: got $n of %d bytes\" >&2; exit 1; }\n", size, size)
	if owner != "" {
		fmt.Fprintf(&b, "chown -- %s \"$t\"\n", Quote(owner))
	}
	fmt.Fprintf(&b, "chmod %04o \"$t\"\n", unixMode(mode))
	b.WriteString("sync -- \"$t\" 2>/dev/null || :\n")
	fmt.Fprintf(&b, "mv -f -- \"$t\" %s; trap - EXIT", Quote(dst))
	return b.String()
}

// sized returns r with its length. A reader that does not tell its length is
// read to the end first: in memory, then in a local temporary file.
func sized(r io.Reader) (int64, io.Reader, func(), error) {
	noop := func() {}
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len()), r, noop, nil
	case *os.File:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := v.Seek(0, io.SeekCurrent); err == nil {
				return st.Size() - off, io.LimitReader(v, st.Size()-off), noop, nil
			}
		}
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, spoolInMemory+1))
	if err != nil {
		return 0, nil, noop, err
	}
	if n <= spoolInMemory {
		return n, bytes.NewReader(buf.Bytes()), noop, nil
	}
	f, err := os.CreateTemp("", "lvslab-upload-")
	if err != nil {
		return 0, nil, noop, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if n, err = io.Copy(f, io.MultiReader(&buf, r)); err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		cleanup()
		return 0, nil, noop, err
	}
	return n, f, cleanup, nil
}

// chownSpec returns chown's OWNER[:GROUP] argument, or "".
func chownSpec(owner, group string) string {
	if group == "" {
		return owner
	}
	return owner + ":" + group
}

// unixMode returns the permission and set-id/sticky bits of m as chmod(2)
// wants them. Like the SFTP client, it takes both Go's fs.ModeSetuid style
// and raw octal bits (fs.FileMode(0o2750)).
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m) & 0o7777
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

// ctxReader fails once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ctxWriter fails once ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
