package main

import (
	"strings"
	"testing"

	"lvslab/internal/host/sshtest"
)

// TestStatusPrintsWhyIpvsadmFailed: this machine's kernel has no IPVS, so
// ipvsadm fails on a loopback sshd acting as the director. status exits 2
// and says on which host, which command and what ipvsadm wrote.
func TestStatusPrintsWhyIpvsadmFailed(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	groups := "    director:\n      hosts:\n        lb01:\n    realservers:\n      hosts:\n        lb01:\n"
	dir := labDir(t, map[string]*sshtest.Server{"lb01": s}, groups+"  vars:\n    vip: 10.0.0.100\n")
	stdout, stderr, code := lvslab(t, dir, "status", "-i", "inv.yml")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, stdout, stderr)
	}
	for _, want := range []string{"lb01", "ipvsadm -Ln", "exited 2", "Can't initialize ipvs"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
