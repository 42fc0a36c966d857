package host_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

func TestRunOutputAndExitCode(t *testing.T) {
	t.Parallel()
	_, h := start(t, sshtest.Options{})
	res, err := h.Run(context.Background(), "echo out; echo err >&2; exit 3", host.RunOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if res != (host.Result{Stdout: "out\n", Stderr: "err\n", ExitCode: 3}) {
		t.Errorf("got %+v", res)
	}
	res, err = h.Run(context.Background(), "sh -c 'kill -KILL $$'", host.RunOpts{})
	if err != nil || res.ExitCode != 128+9 {
		t.Errorf("killed command: %+v, %v; want exit 137", res, err)
	}
}

func TestCleanHome(t *testing.T) {
	t.Parallel()
	_, h := start(t, sshtest.Options{})
	// root's real ~/.bashrc is slow (pyenv): the test sshd must not see it.
	if got := run(t, h, `echo "$HOME"; ls -A "$HOME"`); got != "/root" {
		t.Errorf("home of the test sshd: %q, want an empty /root", got)
	}
}

func TestRunStdin(t *testing.T) {
	t.Parallel()
	_, h := start(t, sshtest.Options{})
	res, err := h.Run(context.Background(), "cat", host.RunOpts{Stdin: strings.NewReader("one\ntwo")})
	if err != nil || res.Stdout != "one\ntwo" {
		t.Errorf("cat: %q, %v", res.Stdout, err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	res, err = h.Run(context.Background(), "wc -c", host.RunOpts{Stdin: bytes.NewReader(big)})
	if err != nil || strings.TrimSpace(res.Stdout) != fmt.Sprint(len(big)) {
		t.Errorf("wc -c of 16 MiB: %q, %v", res.Stdout, err)
	}
	// A command that does not read its input still succeeds.
	res, err = h.Run(context.Background(), "true", host.RunOpts{Stdin: bytes.NewReader(big)})
	if err != nil || res.ExitCode != 0 {
		t.Errorf("true with unread stdin: %+v, %v", res, err)
	}
	// A failing reader fails the command instead of ending its input.
	boom := errors.New("boom")
	_, err = h.Run(context.Background(), "cat > /dev/null", host.RunOpts{Stdin: &failingReader{n: 1 << 20, err: boom}})
	if !errors.Is(err, boom) || errors.Is(err, host.ErrUnreachable) {
		t.Errorf("failing stdin: %v, want boom", err)
	}
}

func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	srv, h := start(t, sshtest.Options{})
	const n = 40 // four times sshd's MaxSessions
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.Run(context.Background(), fmt.Sprintf("sleep 0.05; echo %d", i), host.RunOpts{})
			if err == nil && (res.ExitCode != 0 || res.Stdout != fmt.Sprintf("%d\n", i)) {
				err = fmt.Errorf("command %d: %+v", i, res)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if c := srv.Connections(); c != 1 {
		t.Errorf("%d logins, want 1 connection for all commands", c)
	}
}

func TestCancelStopsRemoteCommand(t *testing.T) {
	t.Parallel()
	_, h := start(t, sshtest.Options{})
	marker := fmt.Sprintf("30.%d", time.Now().UnixNano()%100000)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	began := time.Now()
	_, err := h.Run(ctx, "sleep "+marker, host.RunOpts{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, host.ErrUnreachable) {
		t.Fatalf("cancelled run: %v, want context.Canceled", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("cancelled run returned after %s", d)
	}
	// The pattern's brackets keep pgrep from matching its own shell.
	pattern := "slee[p] " + marker
	gone := eventually(3*time.Second, func() bool {
		res, err := h.Run(context.Background(), "pgrep -f '"+pattern+"'", host.RunOpts{})
		return err == nil && res.ExitCode == 1
	})
	if !gone {
		t.Errorf("remote sleep %s still runs after cancel", marker)
	}
}

func TestUnreachableClosedPort(t *testing.T) {
	t.Parallel()
	sshtest.Require(t)
	cfg := host.SSHConfig{Name: "nobody-home", Addr: "127.0.0.1", Port: sshtest.FreePort(t),
		HostKeyChecking: host.HostKeyOff, Timeout: 5 * time.Second}
	_, err := host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, "nobody-home")
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("error does not say the connection was refused: %v", err)
	}
}

func TestUnreachableFrozen(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, sshtest.Options{})
	srv.Freeze()
	defer srv.Thaw()
	cfg := srv.SSHConfig()
	cfg.Timeout = 500 * time.Millisecond
	_, err := host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)
	if !strings.Contains(err.Error(), "handshake") {
		t.Errorf("error does not mention the handshake: %v", err)
	}
}

func TestKeepAliveDetectsFrozenHost(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, sshtest.Options{})
	cfg := srv.SSHConfig()
	cfg.KeepAlive = 200 * time.Millisecond
	h := dial(t, cfg)
	run(t, h, "true")
	srv.Freeze()
	defer srv.Thaw()
	_, err := h.Run(context.Background(), "true", host.RunOpts{})
	wantUnreachable(t, err, cfg.Name)
	if !strings.Contains(err.Error(), "keepalive") {
		t.Errorf("error does not mention keepalives: %v", err)
	}
	// Every later operation fails the same way, without blocking.
	_, err = h.Run(context.Background(), "true", host.RunOpts{})
	wantUnreachable(t, err, cfg.Name)
	err = h.Upload(context.Background(), strings.NewReader("x"), "/tmp/x", host.FileOpts{})
	wantUnreachable(t, err, cfg.Name)
}

func TestHostGoesAwayDuringCommand(t *testing.T) {
	t.Parallel()
	srv, h := start(t, sshtest.Options{})
	time.AfterFunc(300*time.Millisecond, srv.Stop)
	_, err := h.Run(context.Background(), "sleep 30", host.RunOpts{})
	wantUnreachable(t, err, h.Config().Name)
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	srv := sshtest.Start(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	dir := t.TempDir()
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("sesame"))
	if err != nil {
		t.Fatal(err)
	}
	encrypted := filepath.Join(dir, "encrypted")
	if err := os.WriteFile(encrypted, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := srv.SSHConfig()
	cfg.KeyFiles = []string{encrypted}

	cfg.Passphrase = "sesame"
	run(t, dial(t, cfg), "true")
	cfg.Passphrase, cfg.Password = "", "sesame" // the password is tried as passphrase
	run(t, dial(t, cfg), "true")

	cfg.Passphrase, cfg.Password = "wrong", ""
	_, err = host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)
	if !strings.Contains(err.Error(), "passphrase") {
		t.Errorf("wrong passphrase: %v", err)
	}
	cfg.Passphrase = ""
	_, err = host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)

	cfg.KeyFiles = []string{filepath.Join(dir, "missing")}
	_, err = host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)

	_, other, _ := ed25519.GenerateKey(rand.Reader)
	block, _ = ssh.MarshalPrivateKey(other, "")
	stranger := filepath.Join(dir, "stranger")
	if err := os.WriteFile(stranger, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.KeyFiles = []string{stranger}
	_, err = host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)
	if !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestDialCancelled(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, sshtest.Options{})
	srv.Freeze()
	defer srv.Thaw()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := host.Dial(ctx, srv.SSHConfig())
	if !errors.Is(err, context.Canceled) || errors.Is(err, host.ErrUnreachable) {
		t.Errorf("cancelled dial: %v, want context.Canceled", err)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	_, h := start(t, sshtest.Options{})
	run(t, h, "true")
	if err := h.Upload(context.Background(), strings.NewReader("x"), "/tmp/lvslab-close-test", host.FileOpts{}); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := h.Run(context.Background(), "true", host.RunOpts{})
	wantUnreachable(t, err, h.Config().Name)
}

// failingReader gives n bytes, then err.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}
