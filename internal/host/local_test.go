package host

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConnectionFromVars(t *testing.T) {
	for v, want := range map[any]string{nil: ConnSSH, "ssh": ConnSSH, "smart": ConnSSH, "paramiko": ConnSSH,
		"ansible.builtin.ssh": ConnSSH, "local": ConnLocal, "ansible.builtin.local": ConnLocal} {
		vars := map[string]any{}
		if v != nil {
			vars["ansible_connection"] = v
		}
		if got, err := ConnectionFromVars("h", vars); got != want || err != nil {
			t.Errorf("ansible_connection %v: %q, %v; want %q", v, got, err, want)
		}
	}
	_, err := ConnectionFromVars("rs01", map[string]any{"ansible_connection": "winrm"})
	var ve *VarError
	if !errors.As(err, &ve) || ve.Host != "rs01" || ve.Var != "ansible_connection" || !strings.Contains(err.Error(), `"winrm"`) {
		t.Errorf("winrm: %v", err)
	}
}

// TestSSHAliases checks the ansible_ssh_* spellings win over the plain
// ones, as ansible -vvv shows ansible-core 2.14's ssh plugin connect.
func TestSSHAliases(t *testing.T) {
	cfg, err := ConfigFromVars("both", map[string]any{
		"ansible_host": "10.0.0.1", "ansible_ssh_host": "10.0.0.2", "ansible_port": 22, "ansible_ssh_port": "2200",
		"ansible_user": "a", "ansible_ssh_user": "b", "ansible_private_key_file": "/k1", "ansible_ssh_private_key_file": "/k2",
		"ansible_password": "p1", "ansible_ssh_pass": "p2",
	}, Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "10.0.0.2" || cfg.Port != 2200 || cfg.User != "b" || len(cfg.KeyFiles) != 1 || cfg.KeyFiles[0] != "/k2" || cfg.Password != "p2" {
		t.Errorf("got %s:%d user %s keys %v password %q", cfg.Addr, cfg.Port, cfg.User, cfg.KeyFiles, cfg.Password)
	}
	cfg, err = ConfigFromVars("old", map[string]any{"ansible_ssh_host": "10.0.0.3", "ansible_private_key_file": "/k1"}, Defaults{})
	if err != nil || cfg.Addr != "10.0.0.3" || cfg.KeyFiles[0] != "/k1" {
		t.Errorf("old spellings: %+v, %v", cfg, err)
	}
	_, err = ConfigFromVars("bad", map[string]any{"ansible_ssh_port": 70000}, Defaults{})
	var ve *VarError
	if !errors.As(err, &ve) || ve.Var != "ansible_ssh_port" {
		t.Errorf("bad port: %v", err)
	}
}

func TestLocal(t *testing.T) {
	ctx := context.Background()
	l, err := NewLocal("localhost", map[string]any{"ansible_connection": "local"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Run(ctx, `echo out; echo err >&2; read x; echo "in=$x"; exit 3`, RunOpts{Stdin: strings.NewReader("abc\n")})
	if err != nil || res.Stdout != "out\nin=abc\n" || res.Stderr != "err\n" || res.ExitCode != 3 {
		t.Errorf("Run = %+v, %v", res, err)
	}
	dir := t.TempDir()
	dst := filepath.Join(dir, "f.conf")
	if err := l.Upload(ctx, strings.NewReader("one\n"), dst, FileOpts{Mode: 0o640}); err != nil {
		t.Fatal(err)
	}
	if err := l.Upload(ctx, strings.NewReader("two\n"), dst, FileOpts{}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dst)
	if data, _ := os.ReadFile(dst); err != nil || string(data) != "two\n" || st.Mode().Perm() != 0o644 {
		t.Errorf("uploaded %q, %v, %v", data, st.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	// A failed upload leaves dst as it was.
	if err := l.Upload(ctx, strings.NewReader("x"), filepath.Join(dir, "no", "such"), FileOpts{}); err == nil {
		t.Error("upload into a missing directory: no error")
	}
	var b bytes.Buffer
	if err := l.Download(ctx, dst, &b, Become{}); err != nil || b.String() != "two\n" {
		t.Errorf("Download = %q, %v", b.String(), err)
	}
	if err := l.Download(ctx, filepath.Join(dir, "missing"), &b, Become{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestLocalBecome escalates to root: directly when the tests run as root,
// with sudo -n otherwise (skipped where sudo needs a password).
func TestLocalBecome(t *testing.T) {
	ctx := context.Background()
	l, err := NewLocal("localhost", map[string]any{"ansible_become": true})
	if err != nil {
		t.Fatal(err)
	}
	if l.user != "root" {
		if exec.Command("sudo", "-n", "true").Run() != nil {
			t.Skip("not root and no passwordless sudo")
		}
	}
	res, err := l.Run(ctx, "id -u", RunOpts{Become: Become{Enabled: true}})
	if err != nil || strings.TrimSpace(res.Stdout) != "0" {
		t.Errorf("become root: %+v, %v", res, err)
	}
	dst := filepath.Join(t.TempDir(), "owned")
	if err := l.Upload(ctx, strings.NewReader("x"), dst, FileOpts{Owner: "root", Mode: 0o600, Become: Become{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	if _, sudo := l.sudo(Become{Enabled: true, User: l.user}); sudo {
		t.Error("becoming the user lvslab runs as uses sudo")
	}
	if l.user == "root" && exec.Command("sudo", "-n", "-u", "nobody", "true").Run() == nil {
		res, err := l.Run(ctx, "id -un", RunOpts{Become: Become{Enabled: true, User: "nobody"}})
		if err != nil || strings.TrimSpace(res.Stdout) != "nobody" {
			t.Errorf("become nobody: %+v, %v", res, err)
		}
	}
}

func TestLocalCancel(t *testing.T) {
	l, err := NewLocal("localhost", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = l.Run(ctx, "sleep 30 & wait", RunOpts{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("cancelled Run: %v after %s", err, time.Since(start))
	}
}
