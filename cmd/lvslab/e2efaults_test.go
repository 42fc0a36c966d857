package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runPlay runs a one-off playbook on the lab and requires it to succeed.
func runPlay(t *testing.T, bin, inv, what, play string) {
	t.Helper()
	pb := filepath.Join(t.TempDir(), "play.yml")
	if err := os.WriteFile(pb, []byte(play), 0o644); err != nil {
		t.Fatal(err)
	}
	mustOK(t, runLvslab(t, bin, "run", "-i", inv, pb), what)
}

// TestE2EFaultsInUse breaks the lab while it is in use: a real server whose
// nginx is stopped must fail both verify and status, naming it; an up that
// fails half-way (ipvsadm broken on the director) must exit 2 naming the
// fault, and the switch to another mode right after must still converge.
func TestE2EFaultsInUse(t *testing.T) {
	inv := e2eInventory(t)
	bin := e2eBinary(t)
	mustOK(t, runLvslab(t, bin, "up", "-i", inv, "--mode", "nat", "--ssl=false", "--output", "json"), "up nat")

	t.Run("nginx-stopped", func(t *testing.T) {
		runPlay(t, bin, inv, "stop nginx on rs02", `- hosts: rs02
  gather_facts: false
  tasks:
    - name: stop nginx
      command: systemctl stop nginx
`)
		v := runLvslab(t, bin, "verify", "-i", inv, "--output", "json")
		if v.code != exitFailed || v.verify["ok"] != false {
			t.Errorf("verify with nginx stopped on rs02: exit %d, ok %v; want exit 2, ok false\n%s", v.code, v.verify["ok"], tail(v.out, 3000))
		}
		if !strings.Contains(v.out, "rs02") {
			t.Errorf("verify does not name rs02:\n%s", tail(v.out, 3000))
		}
		s := runLvslab(t, bin, "status", "-i", inv)
		if s.code != exitFailed {
			t.Errorf("status with nginx stopped on rs02: exit %d, want 2\n%s", s.code, tail(s.out, 3000))
		}
		for _, line := range strings.Split(s.out, "\n") {
			f := strings.Fields(line)
			if len(f) >= 4 && (f[0] == "rs01" || f[0] == "rs02") {
				if want := map[bool]string{true: "DOWN", false: "up"}[f[0] == "rs02"]; f[3] != want {
					t.Errorf("status row %q: state %s, want %s", line, f[3], want)
				}
			}
		}
		if !strings.Contains(s.out, "real server rs02") || strings.Contains(s.out, "real server rs01") {
			t.Errorf("status must name rs02, and only rs02, as not answering:\n%s", tail(s.out, 3000))
		}
	})

	t.Run("switch-after-failed-up", func(t *testing.T) {
		// ipvsadm on the director fails from now on: a bind mount, undone
		// whatever happens to the test.
		runPlay(t, bin, inv, "break ipvsadm", `- hosts: director
  gather_facts: false
  tasks:
    - name: ipvsadm fails
      shell: |
        set -e
        p=$(command -v ipvsadm)
        printf '#!/bin/sh\necho "ipvsadm: injected fault" >&2\nexit 1\n' > /root/.ipvsadm-broken
        chmod 755 /root/.ipvsadm-broken
        mount --bind /root/.ipvsadm-broken "$p"
`)
		repaired := false
		repair := func() {
			if repaired {
				return
			}
			repaired = true
			runPlay(t, bin, inv, "repair ipvsadm", `- hosts: director
  gather_facts: false
  tasks:
    - name: ipvsadm works again
      shell: 'while mountpoint -q "$(command -v ipvsadm)"; do umount "$(command -v ipvsadm)"; done; rm -f /root/.ipvsadm-broken'
`)
		}
		t.Cleanup(repair)

		r := runLvslab(t, bin, "up", "-i", inv, "--mode", "dr", "--ssl=false", "--output", "json")
		if r.code != exitFailed {
			t.Fatalf("up dr with ipvsadm broken: exit %d, want 2\n%s", r.code, tail(r.out, 3000))
		}
		if !strings.Contains(strings.Join(r.failed, "\n"), "injected fault") {
			t.Errorf("the failed task does not say why (want the injected fault):\n  %s", strings.Join(r.failed, "\n  "))
		}
		t.Logf("up dr failed as injected; %d task results changed before the failure", len(r.changed))

		repair()
		// Another mode right after the failed, half-applied one: nginx on
		// rs02 (still stopped) comes back too.
		upTwice(t, bin, inv, "--mode", "fwmark", "--ssl=false")
		mustOK(t, runLvslab(t, bin, "status", "-i", inv), "status after the switch")
		mustOK(t, runLvslab(t, bin, "down", "-i", inv), "down")
	})
}
