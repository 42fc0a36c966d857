package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

func isRoot() bool { return os.Geteuid() == 0 }

func TestBecomeRealSudo(t *testing.T) {
	t.Parallel()
	sshtest.Require(t)
	const password = "Lvs-t3st 'pw'"
	withPw := sshtest.SudoUser(t, password)
	noPw := sshtest.SudoUser(t, "")
	srv := sshtest.Start(t, sshtest.Options{})
	cfgPw := srv.SSHConfig()
	cfgPw.User = withPw
	cfgPw.Become.Password = password
	hPw := dial(t, cfgPw)
	cfgNo := srv.SSHConfig()
	cfgNo.User = noPw
	hNo := dial(t, cfgNo)
	root := host.Become{Enabled: true}
	ctx := context.Background()

	for _, h := range []*host.SSH{hPw, hNo} {
		who := h.Config().User
		if got := run(t, h, "id -un"); got != who {
			t.Errorf("connected as %q, want %s", got, who)
		}
		res, err := h.Run(ctx, "id -un; cat", host.RunOpts{Become: root, Stdin: strings.NewReader("in\nput")})
		if err != nil || res.ExitCode != 0 || res.Stdout != "root\nin\nput" {
			t.Errorf("%s becoming root: %+v, %v", who, res, err)
		}
	}
	// A second sudo in one session may find cached credentials: the
	// password line must still not reach the command.
	res, err := hPw.Run(ctx, "sudo -S -p '' true; cat", host.RunOpts{Become: root, Stdin: strings.NewReader("data")})
	if err != nil || res.Stdout != "data" {
		t.Errorf("nested sudo: %+v, %v", res, err)
	}

	res, err = hPw.Run(ctx, "true", host.RunOpts{Become: host.Become{Enabled: true, Password: "wrong"}})
	if err != nil || res.ExitCode == 0 {
		t.Errorf("wrong password: %+v, %v; want a failed command", res, err)
	}
	cfgNoPw := cfgPw
	cfgNoPw.Become.Password = ""
	res, err = dial(t, cfgNoPw).Run(ctx, "true", host.RunOpts{Become: root})
	if err != nil || res.ExitCode == 0 || !strings.Contains(res.Stderr, "password is required") {
		t.Errorf("no password: %+v, %v; want sudo -n to refuse", res, err)
	}

	// Files: a directory only root may write to.
	dir := run(t, hPw, "echo /tmp/lvslab-become-$$")
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	dst := dir + "/f"
	if err := os.WriteFile(dst, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := hPw.Upload(ctx, strings.NewReader("x"), dst, host.FileOpts{}); err == nil {
		t.Error("upload without become into a root-only directory succeeded")
	}
	boom := errors.New("boom")
	if err := hPw.Upload(ctx, &failingReader{n: 100, err: boom}, dst, host.FileOpts{Become: root}); !errors.Is(err, boom) {
		t.Errorf("failing upload with become: %v", err)
	}
	// A reader that tells its length is streamed: it fails mid-way.
	if err := hPw.Upload(ctx, &sizedFailingReader{failingReader{n: 1 << 20, err: boom}, 2 << 20}, dst, host.FileOpts{Become: root}); !errors.Is(err, boom) {
		t.Errorf("failing streamed upload with become: %v", err)
	}
	data := bytes.Repeat([]byte("z"), 3<<20)
	opts := host.FileOpts{Become: root, Mode: 0o640, Owner: noPw, Group: "root"}
	if err := hPw.Upload(ctx, bytes.NewReader(data), dst, opts); err != nil {
		t.Fatal(err)
	}
	if got := run(t, hNo, "sudo -n stat -c '%U:%G %a %s' "+dst+"; sudo -n ls -A "+dir); got != noPw+":root 640 3145728\nf" {
		t.Errorf("uploaded with become: %q", got)
	}
	var back bytes.Buffer
	if err := hPw.Download(ctx, dst, &back, root); err != nil || !bytes.Equal(back.Bytes(), data) {
		t.Errorf("download with become: %d bytes, %v", back.Len(), err)
	}
	if err := hPw.Download(ctx, dir+"/missing", &back, root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("download of a missing file with become: %v", err)
	}

	// Root becoming another user goes through sudo -n: the file is the user's.
	hRoot := dial(t, srv.SSHConfig())
	home := "/home/" + noPw
	err = hRoot.Upload(ctx, strings.NewReader("mine"), home+"/f", host.FileOpts{Become: host.Become{Enabled: true, User: noPw}})
	if err != nil {
		t.Fatal(err)
	}
	if got := run(t, hRoot, "stat -c '%U %a' "+home+"/f"); got != noPw+" 644" {
		t.Errorf("root uploading as %s: %q", noPw, got)
	}
}

// TestBecomePasswordNotExposed looks for the password in every process's
// command line and environment while a become command runs.
func TestBecomePasswordNotExposed(t *testing.T) {
	t.Parallel()
	sshtest.Require(t)
	const password = "Sekr1t-lvslab-4711"
	user := sshtest.SudoUser(t, password)
	srv := sshtest.Start(t, sshtest.Options{})
	cfg := srv.SSHConfig()
	cfg.User = user
	h := dial(t, cfg)
	marker := fmt.Sprintf("2.%d", time.Now().UnixNano()%100000)
	done := make(chan error, 1)
	go func() {
		res, err := h.Run(context.Background(), "sleep "+marker, host.RunOpts{Become: host.Become{Enabled: true, Password: password}})
		if err == nil && res.ExitCode != 0 {
			err = fmt.Errorf("%+v", res)
		}
		done <- err
	}()
	seen := eventually(5*time.Second, func() bool { return procsContain([]byte("sleep\x00" + marker)) })
	if !seen {
		t.Fatal("the become command never ran")
	}
	if procsContain([]byte(password)) {
		t.Error("the become password is in a process's command line or environment")
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// procsContain reports whether any process's cmdline or environ holds s.
func procsContain(s []byte) bool {
	files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	env, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, f := range append(files, env...) {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

func TestBecomeCancel(t *testing.T) {
	t.Parallel()
	sshtest.Require(t)
	const password = "can-cel-pw"
	user := sshtest.SudoUser(t, password)
	srv := sshtest.Start(t, sshtest.Options{})
	cfg := srv.SSHConfig()
	cfg.User = user
	h := dial(t, cfg)
	marker := fmt.Sprintf("31.%d", time.Now().UnixNano()%100000)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	_, err := h.Run(ctx, "sleep "+marker, host.RunOpts{Become: host.Become{Enabled: true, Password: password}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled become run: %v", err)
	}
	if !eventually(3*time.Second, func() bool { return !procsContain([]byte("sleep\x00" + marker)) }) {
		t.Error("the sudo'd sleep survived the cancel")
	}
}
