package host_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// gateReader gives n bytes, says so on sent, then blocks until gate is
// closed; then it gives more bytes and io.EOF (or err when set). With size
// set it tells a length (Len), which makes the shell upload stream it.
type gateReader struct {
	n, more int
	size    int
	err     error
	once    sync.Once
	sent    chan struct{}
	gate    chan struct{}
}

func newGateReader(n, more int) *gateReader {
	return &gateReader{n: n, more: more, sent: make(chan struct{}), gate: make(chan struct{})}
}

func (g *gateReader) Read(p []byte) (int, error) {
	if g.n == 0 {
		g.once.Do(func() { close(g.sent) })
		<-g.gate
		if g.more == 0 {
			if g.err != nil {
				return 0, g.err
			}
			return 0, io.EOF
		}
		k := min(len(p), g.more)
		g.more -= k
		return k, nil
	}
	k := min(len(p), g.n)
	for i := range p[:k] {
		p[i] = 'n'
	}
	g.n -= k
	return k, nil
}

// sizedGate is a gateReader that tells its length.
type sizedGate struct{ *gateReader }

func (s sizedGate) Len() int { return s.n + s.more }

// faultFileTests runs test against a host with SFTP and one without, each
// with its own server, connection and directory, where dir/f holds "old"
// (mode 640). before runs before the server starts (for mounts).
func faultFileTests(t *testing.T, before func(t *testing.T) string, test func(t *testing.T, srv *sshtest.Server, h *host.SSH, dir string)) {
	for _, noSFTP := range []bool{false, true} {
		name := "sftp"
		if noSFTP {
			name = "shell"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := ""
			if before != nil {
				dir = before(t)
			}
			srv, h := start(t, sshtest.Options{NoSFTP: noSFTP})
			if dir == "" {
				dir = run(t, h, "mktemp -d /tmp/lvslab-fault-XXXXXX")
				t.Cleanup(func() { os.RemoveAll(dir) })
			}
			run(t, h, "printf old > "+dir+"/f; chmod 640 "+dir+"/f")
			test(t, srv, h, dir)
		})
	}
}

// checkOldAlone waits until dir holds only f, still "old" with mode 640,
// checking through a new connection (the test's may be gone).
func checkOldAlone(t *testing.T, srv *sshtest.Server, dir string) {
	t.Helper()
	h := dial(t, srv.SSHConfig())
	var got string
	eventually(5*time.Second, func() bool {
		got = run(t, h, "cat "+dir+"/f; echo; stat -c %a "+dir+"/f; ls -A "+dir)
		return got == "old\n640\nf"
	})
	if got != "old\n640\nf" {
		t.Errorf("after the failed upload: %q, want the old file alone", got)
	}
}

// TestUploadConnectionDroppedMidway drops the connection while an upload
// streams: the upload fails as unreachable, the old file is byte-identical
// and no temporary file is left behind.
func TestUploadConnectionDroppedMidway(t *testing.T) {
	t.Parallel()
	faultFileTests(t, nil, func(t *testing.T, srv *sshtest.Server, h *host.SSH, dir string) {
		g := newGateReader(2<<20, 1<<20)
		r := sizedGate{g} // the shell path streams it; SFTP reads it as it comes
		errc := make(chan error, 1)
		go func() { errc <- h.Upload(context.Background(), r, dir+"/f", host.FileOpts{Mode: 0o644}) }()
		select {
		case <-g.sent:
		case err := <-errc:
			t.Fatalf("upload ended before the drop: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("upload never started")
		}
		if n := srv.DropConnections(); n == 0 {
			t.Fatal("no connection to drop")
		}
		close(g.gate)
		select {
		case err := <-errc:
			wantUnreachable(t, err, h.Config().Name)
		case <-time.After(30 * time.Second):
			t.Fatal("upload still running 30s after its connection dropped")
		}
		checkOldAlone(t, srv, dir)
	})
}

// TestUploadDiskFull fills a 64k tmpfs: the upload fails (as a failure, not
// unreachable) naming the cause, the old file is byte-identical and no
// temporary file is left behind.
func TestUploadDiskFull(t *testing.T) {
	t.Parallel()
	sshtest.Require(t)
	mountTiny := func(t *testing.T) string {
		dir, err := os.MkdirTemp("", "lvslab-full-")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
			os.Remove(dir)
			t.Skipf("mount tmpfs: %v: %s", err, out)
		}
		// Registered before the server starts: runs after it stops.
		t.Cleanup(func() {
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v: %s", dir, err, out)
			}
			os.Remove(dir)
		})
		return dir
	}
	faultFileTests(t, mountTiny, func(t *testing.T, srv *sshtest.Server, h *host.SSH, dir string) {
		for _, r := range []io.Reader{
			strings.NewReader(strings.Repeat("x", 1<<20)), // tells its length
			io.MultiReader(strings.NewReader(strings.Repeat("y", 1<<20))),
		} {
			err := h.Upload(context.Background(), r, dir+"/f", host.FileOpts{Mode: 0o600})
			if err == nil {
				t.Fatal("a 1 MiB upload into a 64 KiB file system succeeded")
			}
			if errors.Is(err, host.ErrUnreachable) {
				t.Errorf("a full disk is not an unreachable host: %v", err)
			}
			if !strings.Contains(strings.ToLower(err.Error()), "no space left") {
				t.Errorf("error does not say the disk is full: %v", err)
			}
			checkOldAlone(t, srv, dir)
		}
		// Space is back once the temporary files are gone: a small upload works.
		if err := h.Upload(context.Background(), strings.NewReader("new"), dir+"/f", host.FileOpts{Mode: 0o640}); err != nil {
			t.Fatalf("small upload after the failures: %v", err)
		}
		if got := run(t, h, "cat "+dir+"/f"); got != "new" {
			t.Errorf("got %q", got)
		}
	})
}

// TestUploadTempFileIsPrivate looks at the temporary file while an upload
// streams: it is in dst's directory, named .lvslab-tmp- and 16 random hex
// digits, mode 0600 whatever the final mode; and gone when the upload is done.
func TestUploadTempFileIsPrivate(t *testing.T) {
	t.Parallel()
	name := regexp.MustCompile(`^\.lvslab-tmp-[0-9a-f]{16} 600$`)
	faultFileTests(t, nil, func(t *testing.T, srv *sshtest.Server, h *host.SSH, dir string) {
		seen := map[string]bool{}
		for range 2 {
			g := newGateReader(64<<10, 64<<10)
			errc := make(chan error, 1)
			go func() {
				errc <- h.Upload(context.Background(), sizedGate{g}, dir+"/f", host.FileOpts{Mode: 0o644})
			}()
			<-g.sent
			var tmp string
			ok := eventually(5*time.Second, func() bool {
				tmp = run(t, h, "cd "+dir+" && stat -c '%n %a' .lvslab-tmp-* 2>/dev/null || true")
				return tmp != ""
			})
			close(g.gate)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if !ok || !name.MatchString(tmp) {
				t.Fatalf("temporary file during the upload: %q", tmp)
			}
			if seen[tmp] {
				t.Errorf("temporary name %q used twice", tmp)
			}
			seen[tmp] = true
			if got := run(t, h, "ls -A "+dir+"; stat -c %a "+dir+"/f"); got != "f\n644" {
				t.Errorf("after the upload: %q", got)
			}
		}
	})
}

// TestRunConnectionDroppedMidCommand drops the connection while a command
// runs: Run fails as unreachable (never a result), promptly, and a new
// connection works.
func TestRunConnectionDroppedMidCommand(t *testing.T) {
	t.Parallel()
	srv, h := start(t, sshtest.Options{})
	errc := make(chan error, 1)
	go func() {
		res, err := h.Run(context.Background(), "sleep 30.0417; echo done", host.RunOpts{})
		if err == nil {
			err = errors.New("no error; result " + res.Stdout)
		}
		errc <- err
	}()
	if !eventually(10*time.Second, func() bool { return procsContain([]byte("sleep\x0030.0417")) }) {
		t.Fatal("the command never ran")
	}
	srv.DropConnections()
	select {
	case err := <-errc:
		wantUnreachable(t, err, h.Config().Name)
	case <-time.After(20 * time.Second):
		t.Fatal("Run still blocked 20s after its connection dropped")
	}
	// Later operations fail the same way, without blocking.
	_, err := h.Run(context.Background(), "true", host.RunOpts{})
	wantUnreachable(t, err, h.Config().Name)
	run(t, dial(t, srv.SSHConfig()), "true")
}
