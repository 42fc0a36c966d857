package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
	"lvslab/internal/inventory"
	"lvslab/internal/report"
	"lvslab/internal/runner"
)

// becomeSpellings are ansible_become values as Ansible spells them, as
// strings (quoted in the inventory), with the user each one runs as.
var becomeSpellings = []struct{ value, as string }{
	{"on", "root"}, {"Yes", "root"}, {"TRUE", "root"}, {"y", "root"},
	{"off", "user"}, {"N", "user"},
}

// becomeInventory writes an inventory of one host per spelling, all
// reaching s as user (who may sudo without a password), and returns the
// host names.
func becomeInventory(t *testing.T, dir string, s *sshtest.Server, user string) []string {
	t.Helper()
	var hosts []invHost
	var names []string
	for i, sp := range becomeSpellings {
		v := s.Vars()
		v["ansible_user"] = user
		v["ansible_become"] = sp.value
		v["want_user"] = sp.as
		if sp.as == "user" {
			v["want_user"] = user
		}
		name := "rs0" + string(rune('1'+i))
		hosts = append(hosts, invHost{name, v})
		names = append(names, name)
	}
	writeInventory(t, dir, hosts)
	inv, err := inventory.Load(filepath.Join(dir, "inv.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if got := inv.HostVars(n)["ansible_become"]; got != becomeSpellings[i].value {
			t.Fatalf("%s: ansible_become is %#v, want the string %q", n, got, becomeSpellings[i].value)
		}
	}
	return names
}

// TestBecomeSpellingsRun: a run escalates for every spelling of
// ansible_become that lint accepts as true, and not for those it accepts as
// false.
func TestBecomeSpellingsRun(t *testing.T) {
	t.Parallel()
	user := sshtest.SudoUser(t, "")
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	becomeInventory(t, dir, s, user)
	writeFile(t, dir, "who.yml", `- hosts: web
  gather_facts: false
  tasks:
    - name: who
      command: id -un
      register: who
    - assert: {that: ['who.stdout == want_user']}
`)
	if out, stderr, code := lvslab(t, dir, "lint", "-i", "inv.yml", "who.yml"); code != 0 {
		t.Fatalf("lint: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code, _ := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "who.yml", "-o", "json")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, stderr)
	}
	if got := jsonRecap(t, out); len(got) != len(becomeSpellings) {
		t.Errorf("recap %v, want %d hosts", got, len(becomeSpellings))
	}
}

// TestBecomeSpellingsVerifyDial: verify's connections escalate for the same
// spellings as a run.
func TestBecomeSpellingsVerifyDial(t *testing.T) {
	t.Parallel()
	user := sshtest.SudoUser(t, "")
	srv := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	names := becomeInventory(t, dir, srv, user)
	inv, err := inventory.Load(filepath.Join(dir, "inv.yml"))
	if err != nil {
		t.Fatal(err)
	}
	s := &session{inv: inv, opts: runner.Options{Connect: connector(host.Defaults{}, false, report.NewJSON(io.Discard, nil))}}
	ctx := context.Background()
	for _, name := range names {
		h, err := s.dial(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		res, err := h.Run(ctx, "id -un", host.RunOpts{})
		h.Close()
		want := inv.HostVars(name)["want_user"]
		if got := strings.TrimSpace(res.Stdout); err != nil || got != want {
			t.Errorf("%s (ansible_become %q): ran as %q (%v), want %s", name, inv.HostVars(name)["ansible_become"], got, err, want)
		}
	}
}
