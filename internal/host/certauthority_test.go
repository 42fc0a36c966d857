package host_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// certAuthority is a CA key made for a test, in files ssh-keygen signs with.
type certAuthority struct {
	dir  string
	file string // the private key
	priv ed25519.PrivateKey
	pub  ssh.PublicKey
}

func newCertAuthority(t *testing.T) *certAuthority {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("no ssh-keygen to sign host certificates")
	}
	priv := sshtest.NewKey(t)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca := &certAuthority{dir: dir, file: filepath.Join(dir, "ca"), priv: priv, pub: signer.PublicKey()}
	sshtest.WriteKey(t, ca.file, priv)
	return ca
}

// sign returns a certificate of hostKey made by ssh-keygen -s with the
// extra arguments (-h for a host certificate, -n principals, -V validity).
func (ca *certAuthority) sign(t *testing.T, hostKey ed25519.PrivateKey, args ...string) []byte {
	t.Helper()
	signer, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(ca.dir, "cert-")
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(dir, "host.pub")
	if err := os.WriteFile(pub, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ssh-keygen", append(append([]string{"-q", "-s", ca.file, "-I", "lvslab-test"}, args...), pub)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	cert, err := os.ReadFile(filepath.Join(dir, "host-cert.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// line is a known_hosts line of marker (@cert-authority, @revoked) for the
// server's address and key.
func markerLine(marker string, srv *sshtest.Server, key ssh.PublicKey) string {
	return marker + " " + knownhosts.Line([]string{knownhosts.Normalize(srv.HostPort())}, key)
}

// knownHostsOf writes lines as the known_hosts file of cfg.
func knownHostsOf(t *testing.T, cfg *host.SSHConfig, lines ...string) {
	t.Helper()
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(cfg.KnownHostsFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestKnownHostsCertAuthority: a host certificate signed by a CA that a
// @cert-authority line trusts for the host passes strict checking, with no
// plain key of the host known and nothing written.
func TestKnownHostsCertAuthority(t *testing.T) {
	t.Parallel()
	ca := newCertAuthority(t)
	hostKey := sshtest.NewKey(t)
	srv := sshtest.Start(t, sshtest.Options{HostKey: hostKey,
		HostCertificate: ca.sign(t, hostKey, "-h", "-n", "127.0.0.1,lvs.example")})
	for _, pattern := range []string{fmt.Sprintf("[127.0.0.1]:%d", srv.Port), fmt.Sprintf("[other]:%d,[127.0.0.?]:%d", srv.Port, srv.Port)} {
		cfg := srv.SSHConfig()
		line := "@cert-authority " + pattern + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.pub)))
		knownHostsOf(t, &cfg, "# the lab's CA", line)
		before, _ := os.ReadFile(cfg.KnownHostsFile)
		for _, mode := range []string{host.HostKeyStrict, host.HostKeyAcceptNew} {
			cfg.HostKeyChecking = mode
			if got := run(t, dial(t, cfg), "echo ok"); got != "ok" {
				t.Fatalf("%s: got %q", mode, got)
			}
		}
		if after, _ := os.ReadFile(cfg.KnownHostsFile); string(after) != string(before) {
			t.Errorf("known_hosts changed:\n%s", after)
		}
	}
}

// TestKnownHostsCertRefused: a certificate from a trusted CA that is not a
// valid host certificate for the host is refused, naming why, before any
// login, under strict checking and accept-new alike (nothing recorded).
func TestKnownHostsCertRefused(t *testing.T) {
	t.Parallel()
	ca := newCertAuthority(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"other principal", []string{"-h", "-n", "www.example"}, `principal "127.0.0.1" not in`},
		{"expired", []string{"-h", "-n", "127.0.0.1", "-V", "20000101:20000102"}, "expired"},
		{"not yet valid", []string{"-h", "-n", "127.0.0.1", "-V", "20990101:20990102"}, "not yet valid"},
		{"user certificate", []string{"-n", "127.0.0.1"}, "user certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hostKey := sshtest.NewKey(t)
			srv := sshtest.Start(t, sshtest.Options{HostKey: hostKey, HostCertificate: ca.sign(t, hostKey, tc.args...)})
			cfg := srv.SSHConfig()
			knownHostsOf(t, &cfg, markerLine("@cert-authority", srv, ca.pub))
			for _, mode := range []string{host.HostKeyStrict, host.HostKeyAcceptNew} {
				cfg.HostKeyChecking = mode
				_, err := host.Dial(context.Background(), cfg)
				wantUnreachable(t, err, cfg.Name)
				var he *host.HostKeyError
				if !errors.As(err, &he) || he.Cert == "" || he.Line != 1 || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: want a refused certificate (%s) at line 1, got %v", mode, tc.want, err)
				}
			}
			if data, _ := os.ReadFile(cfg.KnownHostsFile); strings.Count(string(data), "\n") != 1 {
				t.Errorf("known_hosts changed:\n%s", data)
			}
			if c := srv.Connections(); c != 0 {
				t.Errorf("%d logins", c)
			}
		})
	}
}

// TestKnownHostsCAKeyIsNoHostKey: a host that presents the CA's own key as
// its plain host key is not known by the @cert-authority line: strict
// checking refuses it as unknown (not as changed).
func TestKnownHostsCAKeyIsNoHostKey(t *testing.T) {
	t.Parallel()
	ca := newCertAuthority(t)
	srv := sshtest.Start(t, sshtest.Options{HostKey: ca.priv})
	cfg := srv.SSHConfig()
	knownHostsOf(t, &cfg, markerLine("@cert-authority", srv, ca.pub))
	_, err := host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)
	var he *host.HostKeyError
	if !errors.As(err, &he) || he.Changed || he.Revoked || he.Cert != "" {
		t.Fatalf("want an unknown host key error, got %v", err)
	}
	if c := srv.Connections(); c != 0 {
		t.Errorf("%d logins", c)
	}
	// accept-new records the plain key as OpenSSH does, under the CA line.
	cfg.HostKeyChecking = host.HostKeyAcceptNew
	run(t, dial(t, cfg), "true")
	data, _ := os.ReadFile(cfg.KnownHostsFile)
	if want := knownhosts.Line([]string{knownhosts.Normalize(srv.HostPort())}, srv.HostKey); !strings.HasSuffix(string(data), "\n"+want+"\n") {
		t.Errorf("known_hosts lacks the plain key:\n%s", data)
	}
}

// TestKnownHostsCertUnknownCA: a certificate signed by a CA that no line
// trusts is checked as its plain key, as OpenSSH does: known, it passes;
// unknown, strict checking refuses it.
func TestKnownHostsCertUnknownCA(t *testing.T) {
	t.Parallel()
	ca, other := newCertAuthority(t), newCertAuthority(t)
	hostKey := sshtest.NewKey(t)
	srv := sshtest.Start(t, sshtest.Options{HostKey: hostKey, HostCertificate: ca.sign(t, hostKey, "-h", "-n", "127.0.0.1")})
	cfg := srv.SSHConfig()
	knownHostsOf(t, &cfg, markerLine("@cert-authority", srv, other.pub))
	_, err := host.Dial(context.Background(), cfg)
	var he *host.HostKeyError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "no host key is known") {
		t.Fatalf("want an unknown host key error, got %v", err)
	}
	knownHostsOf(t, &cfg, markerLine("@cert-authority", srv, other.pub),
		knownhosts.Line([]string{knownhosts.Normalize(srv.HostPort())}, srv.HostKey))
	run(t, dial(t, cfg), "true")
}

// TestKnownHostsRevoked: @revoked refuses a plain host key that is also
// listed as known, and a certificate whose CA is revoked.
func TestKnownHostsRevoked(t *testing.T) {
	t.Parallel()
	ca := newCertAuthority(t)
	hostKey := sshtest.NewKey(t)
	srv := sshtest.Start(t, sshtest.Options{HostKey: hostKey, HostCertificate: ca.sign(t, hostKey, "-h", "-n", "127.0.0.1")})
	cfg := srv.SSHConfig()
	plain := knownhosts.Line([]string{knownhosts.Normalize(srv.HostPort())}, srv.HostKey)
	for _, tc := range []struct {
		name  string
		lines []string
		line  int
	}{
		{"host key", []string{plain, markerLine("@revoked", srv, srv.HostKey)}, 2},
		{"certificate authority", []string{markerLine("@cert-authority", srv, ca.pub), "@revoked * " +
			strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.pub)))}, 2},
	} {
		knownHostsOf(t, &cfg, tc.lines...)
		for _, mode := range []string{host.HostKeyStrict, host.HostKeyAcceptNew} {
			cfg.HostKeyChecking = mode
			_, err := host.Dial(context.Background(), cfg)
			wantUnreachable(t, err, cfg.Name)
			var he *host.HostKeyError
			if !errors.As(err, &he) || !he.Revoked || he.Line != tc.line || !strings.Contains(err.Error(), "revoked") {
				t.Errorf("%s, %s: want revoked at line %d, got %v", tc.name, mode, tc.line, err)
			}
		}
	}
	if c := srv.Connections(); c != 0 {
		t.Errorf("%d logins", c)
	}
}
