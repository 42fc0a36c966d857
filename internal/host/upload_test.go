package host_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// fileTests run against a host with SFTP and one without (shell path).
func fileTests(t *testing.T, test func(t *testing.T, h *host.SSH, dir string)) {
	for _, noSFTP := range []bool{false, true} {
		name := "sftp"
		if noSFTP {
			name = "shell"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, h := start(t, sshtest.Options{NoSFTP: noSFTP})
			dir := run(t, h, "mktemp -d /tmp/lvslab-test-XXXXXX")
			t.Cleanup(func() { run(t, h, "rm -rf "+dir) })
			test(t, h, dir)
		})
	}
}

func TestUploadSmallWithMode(t *testing.T) {
	t.Parallel()
	fileTests(t, func(t *testing.T, h *host.SSH, dir string) {
		for _, mode := range []fs.FileMode{0o640, 0o600, 0o755 | fs.ModeSetuid, 0o1777 &^ 0o1000} {
			dst := dir + "/small"
			err := h.Upload(context.Background(), strings.NewReader("hello\n"), dst, host.FileOpts{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			// The remote umask is 022: the mode must still be exact.
			got := run(t, h, "cat "+dst+"; stat -c '%a %U' "+dst+"; umask")
			want := fmt.Sprintf("hello\n%o root\n0022", unixPerm(mode))
			if got != want {
				t.Errorf("mode %v: got %q, want %q", mode, got, want)
			}
		}
		// Zero mode is 0644.
		if err := h.Upload(context.Background(), strings.NewReader(""), dir+"/empty", host.FileOpts{}); err != nil {
			t.Fatal(err)
		}
		if got := run(t, h, "stat -c '%a %s' "+dir+"/empty"); got != "644 0" {
			t.Errorf("empty file with zero mode: %q", got)
		}
		if got := run(t, h, "ls -A "+dir); got != "empty\nsmall" {
			t.Errorf("directory holds %q", got)
		}
	})
}

func unixPerm(m fs.FileMode) uint32 {
	u := uint32(m) & 0o7777
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	return u
}

func TestUploadOwnerAndGroup(t *testing.T) {
	t.Parallel()
	fileTests(t, func(t *testing.T, h *host.SSH, dir string) {
		dst := dir + "/owned"
		// Raw octal set-id bits or Go's: both work.
		for _, mode := range []fs.FileMode{0o2750, 0o750 | fs.ModeSetgid} {
			opts := host.FileOpts{Mode: mode, Owner: "nobody", Group: "nogroup"}
			if err := h.Upload(context.Background(), strings.NewReader("x"), dst, opts); err != nil {
				t.Fatal(err)
			}
			// chmod after chown: the setgid bit survives.
			if got := run(t, h, "stat -c '%U:%G %a' "+dst); got != "nobody:nogroup 2750" {
				t.Errorf("mode %v: got %q", mode, got)
			}
		}
		err := h.Upload(context.Background(), strings.NewReader("x"), dst, host.FileOpts{Owner: "no-such-user-lvslab"})
		if err == nil || errors.Is(err, host.ErrUnreachable) {
			t.Errorf("unknown owner: %v", err)
		}
		if got := run(t, h, "stat -c '%U:%G' "+dst+"; ls -A "+dir); got != "nobody:nogroup\nowned" {
			t.Errorf("after a failed upload: %q", got)
		}
	})
}

func TestUploadLarge(t *testing.T) {
	t.Parallel()
	fileTests(t, func(t *testing.T, h *host.SSH, dir string) {
		data := make([]byte, 64<<20)
		if _, err := rand.Read(data); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		dst := dir + "/large"
		// io.MultiReader hides the length, as a template or a pipe would.
		if err := h.Upload(context.Background(), io.MultiReader(bytes.NewReader(data)), dst, host.FileOpts{Mode: 0o600}); err != nil {
			t.Fatal(err)
		}
		got := run(t, h, "sha256sum < "+dst)
		if want := hex.EncodeToString(sum[:]); !strings.HasPrefix(got, want) {
			t.Errorf("remote sha256 %s, want %s", got, want)
		}
		var back bytes.Buffer
		if err := h.Download(context.Background(), dst, &back, host.Become{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Bytes(), data) {
			t.Errorf("downloaded %d bytes that differ from the upload", back.Len())
		}
	})
}

func TestUploadIsAtomic(t *testing.T) {
	t.Parallel()
	fileTests(t, func(t *testing.T, h *host.SSH, dir string) {
		dst := dir + "/f"
		run(t, h, "printf old > "+dst+"; chmod 640 "+dst)
		boom := errors.New("boom")
		for _, size := range []int{0, 1 << 20, 20 << 20} {
			err := h.Upload(context.Background(), &failingReader{n: size, err: boom}, dst, host.FileOpts{Mode: 0o600})
			if !errors.Is(err, boom) {
				t.Errorf("failing reader after %d bytes: %v, want boom", size, err)
			}
			checkUnchanged(t, h, dst, dir)
		}
		err := h.Upload(context.Background(), &sizedFailingReader{failingReader{n: 1 << 20, err: boom}, 4 << 20}, dst, host.FileOpts{})
		if !errors.Is(err, boom) {
			t.Errorf("failing reader that tells its length: %v, want boom", err)
		}
		checkUnchanged(t, h, dst, dir)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = h.Upload(ctx, strings.NewReader("new"), dst, host.FileOpts{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled upload: %v", err)
		}
		if err := h.Upload(context.Background(), strings.NewReader("x"), dir+"/no/such/dir/f", host.FileOpts{}); err == nil || errors.Is(err, host.ErrUnreachable) {
			t.Errorf("upload into a missing directory: %v", err)
		}
		// A cancelled upload's guard removes its temporary file on the
		// host once the session's stdin closes, just after Upload returns:
		// wait for it, bounded.
		got := ""
		for i := 0; i < 50; i++ {
			if got = run(t, h, "cat "+dst+"; echo; ls -A "+dir); got == "old\nf" {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got != "old\nf" {
			t.Errorf("after failed uploads: %q", got)
		}
	})
}

func TestDownload(t *testing.T) {
	t.Parallel()
	fileTests(t, func(t *testing.T, h *host.SSH, dir string) {
		run(t, h, "printf 'a\\nb' > "+dir+"/f")
		var buf bytes.Buffer
		if err := h.Download(context.Background(), dir+"/f", &buf, host.Become{}); err != nil {
			t.Fatal(err)
		}
		if buf.String() != "a\nb" {
			t.Errorf("got %q", buf.String())
		}
		err := h.Download(context.Background(), dir+"/missing", io.Discard, host.Become{})
		if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, host.ErrUnreachable) {
			t.Errorf("missing file: %v, want fs.ErrNotExist", err)
		}
		// root becoming root needs no sudo.
		buf.Reset()
		if err := h.Download(context.Background(), dir+"/f", &buf, host.Become{Enabled: true}); err != nil || buf.String() != "a\nb" {
			t.Errorf("download with become: %q, %v", buf.String(), err)
		}
	})
}

func TestConcurrentFileOps(t *testing.T) {
	t.Parallel()
	srv, h := start(t, sshtest.Options{})
	dir := run(t, h, "mktemp -d /tmp/lvslab-test-XXXXXX")
	defer run(t, h, "rm -rf "+dir)
	errs := make(chan error, 30)
	for i := range cap(errs) {
		go func() {
			dst := fmt.Sprintf("%s/f%d", dir, i)
			data := strings.Repeat(fmt.Sprint(i), 100000)
			err := h.Upload(context.Background(), strings.NewReader(data), dst, host.FileOpts{})
			if err == nil && i%2 == 0 {
				var buf bytes.Buffer
				err = h.Download(context.Background(), dst, &buf, host.Become{})
				if err == nil && buf.String() != data {
					err = fmt.Errorf("%s: downloaded other data", dst)
				}
			}
			if err == nil {
				_, err = h.Run(context.Background(), "test -s "+dst, host.RunOpts{})
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := run(t, h, "ls "+dir+" | wc -l"); got != "30" {
		t.Errorf("%s files", got)
	}
	if c := srv.Connections(); c != 1 {
		t.Errorf("%d logins, want 1", c)
	}
}

// sizedFailingReader claims a length, which makes the shell upload stream
// it, and fails before reaching it.
type sizedFailingReader struct {
	failingReader
	size int
}

func (s *sizedFailingReader) Len() int { return s.size }

// checkUnchanged checks that dst is still "old" with mode 640 and alone in
// dir. An aborted shell upload removes its temporary file as the remote
// shell exits, which may be just after Upload returned.
func checkUnchanged(t *testing.T, h *host.SSH, dst, dir string) {
	t.Helper()
	var got string
	eventually(2*time.Second, func() bool {
		got = run(t, h, "cat "+dst+"; echo; stat -c %a "+dst+"; ls -A "+dir)
		return got == "old\n640\nf"
	})
	if got != "old\n640\nf" {
		t.Errorf("after a failed upload: %q", got)
	}
}
