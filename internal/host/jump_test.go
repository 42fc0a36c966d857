package host_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

func TestProxyJump(t *testing.T) {
	t.Parallel()
	bastion := sshtest.Start(t, sshtest.Options{})
	target := sshtest.Start(t, sshtest.Options{AuthorizedKeys: nil})
	cfg := target.SSHConfig()
	jump := bastion.SSHConfig()
	cfg.Jump = &jump
	h := dial(t, cfg)
	if got := run(t, h, "echo $SSH_CLIENT | cut -d' ' -f1"); got != "127.0.0.1" {
		t.Errorf("target sees the client at %q", got)
	}
	if b, tg := bastion.Connections(), target.Connections(); b != 1 || tg != 1 {
		t.Errorf("logins: bastion %d, target %d; want 1 and 1", b, tg)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestProxyJumpFromVars goes through the inventory variables, with both
// hops recorded in one known_hosts file under accept-new.
func TestProxyJumpFromVars(t *testing.T) {
	t.Parallel()
	bastion := sshtest.Start(t, sshtest.Options{})
	target := sshtest.Start(t, sshtest.Options{})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	vars := target.Vars()
	// The jump host takes the target's key file and known hosts policy.
	vars["ansible_ssh_common_args"] = fmt.Sprintf("-o UserKnownHostsFile=%s -o StrictHostKeyChecking=accept-new -o ProxyJump=root@%s", kh, bastion.HostPort())
	cfg, err := host.ConfigFromVars("rs01", vars, host.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Jump.KeyFiles = []string{bastion.KeyFile}
	run(t, dial(t, cfg), "true")
	if b := bastion.Connections(); b != 1 {
		t.Errorf("bastion logins %d", b)
	}
	// A failing jump host makes the target unreachable, naming it.
	bastion.Stop()
	_, err = host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, "rs01")
}

// TestNetns dials an sshd that listens only inside a network namespace;
// the second part reaches a target in that namespace through a jump host
// that is dialled in it.
func TestNetns(t *testing.T) {
	t.Parallel()
	sshtest.Require(t)
	ns := fmt.Sprintf("lvslab-t-%d", sshtest.FreePort(t))
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	if out, err := exec.Command("ip", "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	srv := sshtest.Start(t, sshtest.Options{Netns: ns})
	cfg := srv.SSHConfig()
	if got := run(t, dial(t, cfg), "ip -o link show | wc -l"); got != "1" {
		t.Errorf("the sshd sees %s links, want only lo of its namespace", got)
	}
	cfg.Netns = ""
	_, err := host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)

	target := sshtest.Start(t, sshtest.Options{Netns: ns})
	tcfg := target.SSHConfig()
	tcfg.Netns = "" // only the first hop dials
	jump := srv.SSHConfig()
	tcfg.Jump = &jump
	run(t, dial(t, tcfg), "true")

	cfg.Netns = "no-such-netns-lvslab"
	_, err = host.Dial(context.Background(), cfg)
	wantUnreachable(t, err, cfg.Name)
}
