package host_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

func TestKnownHostsStrictUnknown(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, sshtest.Options{})
	cfg := srv.SSHConfig()
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts") // missing: nothing known
	_, err := host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)
	var he *host.HostKeyError
	if !errors.As(err, &he) || he.Changed {
		t.Fatalf("want an unknown host key error, got %v", err)
	}
	if !strings.Contains(err.Error(), "strict") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(srv.HostKey)) {
		t.Errorf("error lacks the mode or the fingerprint: %v", err)
	}
	if _, err := os.Stat(cfg.KnownHostsFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("strict checking wrote the known hosts file: %v", err)
	}
	if c := srv.Connections(); c != 0 {
		t.Errorf("%d logins: the key must be refused before authentication", c)
	}
}

func TestKnownHostsAcceptNew(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, sshtest.Options{})
	cfg := srv.SSHConfig()
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "new", ".ssh", "known_hosts")
	cfg.HostKeyChecking = host.HostKeyAcceptNew
	run(t, dial(t, cfg), "true")
	st, err := os.Stat(cfg.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(cfg.KnownHostsFile)
	want := knownhosts.Line([]string{knownhosts.Normalize(srv.HostPort())}, srv.HostKey) + "\n"
	if string(data) != want {
		t.Errorf("known_hosts holds %q, want %q", data, want)
	}
	// The recorded key now passes strict checking.
	cfg.HostKeyChecking = host.HostKeyStrict
	run(t, dial(t, cfg), "true")
}

func TestKnownHostsChangedKey(t *testing.T) {
	t.Parallel()
	srv := sshtest.Start(t, sshtest.Options{})
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	file := filepath.Join(t.TempDir(), "known_hosts")
	old := "# a comment\n" + knownhosts.Line([]string{knownhosts.Normalize(srv.HostPort())}, otherSigner.PublicKey()) + "\n"
	if err := os.WriteFile(file, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := srv.SSHConfig()
	cfg.KnownHostsFile = file
	for _, mode := range []string{host.HostKeyStrict, host.HostKeyAcceptNew} {
		cfg.HostKeyChecking = mode
		_, err := host.Dial(context.Background(), cfg)
		wantUnreachable(t, err, cfg.Name)
		var he *host.HostKeyError
		if !errors.As(err, &he) || !he.Changed || he.Line != 2 || he.File != file {
			t.Fatalf("%s: want a changed key at %s:2, got %v", mode, file, err)
		}
		msg := err.Error()
		for _, want := range []string{"host key for " + cfg.Name + " (" + srv.HostPort() + ") has changed", "ssh-keygen", "man-in-the-middle"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: error lacks %q: %s", mode, want, msg)
			}
		}
	}
	if data, _ := os.ReadFile(file); string(data) != old {
		t.Errorf("known_hosts changed: %q", data)
	}
	if c := srv.Connections(); c != 0 {
		t.Errorf("%d logins with a changed host key", c)
	}
	cfg.HostKeyChecking = host.HostKeyOff
	run(t, dial(t, cfg), "true")
}

func TestKnownHostsConcurrentAcceptNew(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(file, []byte("# no newline at the end"), 0o600); err != nil {
		t.Fatal(err)
	}
	var servers []*sshtest.Server
	for range 3 {
		servers = append(servers, sshtest.Start(t, sshtest.Options{}))
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := servers[i%len(servers)].SSHConfig()
			cfg.KnownHostsFile, cfg.HostKeyChecking = file, host.HostKeyAcceptNew
			h, err := host.Dial(context.Background(), cfg)
			if err != nil {
				t.Error(err)
				return
			}
			h.Close()
		}()
	}
	wg.Wait()
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1+len(servers) {
		t.Fatalf("known_hosts has %d lines, want a comment and one per server:\n%s", len(lines), data)
	}
	for _, srv := range servers {
		want := knownhosts.Line([]string{knownhosts.Normalize(srv.HostPort())}, srv.HostKey)
		if !strings.Contains(string(data), want+"\n") {
			t.Errorf("no line for %s", srv.HostPort())
		}
	}
}

func TestKnownHostsOtherKeyType(t *testing.T) {
	t.Parallel()
	// A known key of another type only: the host is asked for that type
	// first; it has none, so the key is new, as OpenSSH treats it.
	srv := sshtest.Start(t, sshtest.Options{})
	file := filepath.Join(t.TempDir(), "known_hosts")
	rsaLine := "[127.0.0.1]:" + strings.TrimPrefix(srv.HostPort(), "127.0.0.1:") +
		" ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDAsoqkEsrIV2P7yCq0iu5tLcwRfLyqG39A6IbZ4yh8Tz7kDtWFhMBn2GnzCvHgJ2SNC5D6aMnldi+ygJ4FDzHftmLUwBP7V/Pz2iZmpCtEIJKO5gsfjJjSG1jWiHW8bGWtPIfvCnYSPUNYgBC+zlnaOujySoISvIghP/GcwxE6CQ==\n"
	if err := os.WriteFile(file, []byte(rsaLine), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := srv.SSHConfig()
	cfg.KnownHostsFile, cfg.HostKeyChecking = file, host.HostKeyStrict
	if _, err := host.Dial(context.Background(), cfg); err == nil {
		t.Fatal("strict checking accepted a key of an unknown type")
	}
	cfg.HostKeyChecking = host.HostKeyAcceptNew
	run(t, dial(t, cfg), "true")
}
