package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"gopkg.in/yaml.v3"

	"lvslab/internal/host/sshtest"
)

// The fault tests run the binary against real sshd servers and inject one
// fault per host: a changed or unknown host key, a frozen sshd, a closed
// port, an address nothing answers, a dropped connection.

// invHost is one host of a fault test's inventory.
type invHost struct {
	name string
	vars map[string]any
}

// plainVars reaches s like Server.Vars, but leaves host key checking to the
// command line (--known-hosts, --host-key-checking).
func plainVars(s *sshtest.Server) map[string]any {
	v := map[string]any{"ansible_host": s.Addr, "ansible_port": s.Port, "ansible_user": s.User,
		"ansible_ssh_private_key_file": s.KeyFile}
	if s.Netns != "" {
		v["lvslab_netns"] = s.Netns
	}
	return v
}

// writeInventory writes dir/inv.yml with the hosts in group web; every host
// gets a root directory of its own (var root) unless it has one.
func writeInventory(t *testing.T, dir string, hosts []invHost) {
	t.Helper()
	hv := yaml.Node{Kind: yaml.MappingNode}
	for _, h := range hosts {
		if _, ok := h.vars["root"]; !ok {
			h.vars["root"] = t.TempDir()
		}
		var v yaml.Node
		if err := v.Encode(h.vars); err != nil {
			t.Fatal(err)
		}
		hv.Content = append(hv.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: h.name}, &v)
	}
	doc := map[string]any{"all": map[string]any{"children": map[string]any{"web": map[string]any{"hosts": &hv}}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "inv.yml", string(b))
}

// knownHostsFor writes a known_hosts file holding each server's key.
func knownHostsFor(t *testing.T, servers ...*sshtest.Server) string {
	t.Helper()
	var b strings.Builder
	for _, s := range servers {
		b.WriteString(knownhosts.Line([]string{knownhosts.Normalize(s.HostPort())}, s.HostKey) + "\n")
	}
	file := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// otherKeyLine is a known_hosts line that gives s's address another key.
func otherKeyLine(t *testing.T, s *sshtest.Server) string {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return knownhosts.Line([]string{knownhosts.Normalize(s.HostPort())}, signer.PublicKey()) + "\n"
}

// bounded runs the binary like lvslab, killing it after limit: a hang is a
// test failure, not a stuck test. It returns stdout, stderr, the exit code and
// how long the run took.
func bounded(t *testing.T, limit time.Duration, dir string, args ...string) (string, string, int, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("lvslab %s still running after %s:\n%s\n%s", strings.Join(args, " "), limit, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code, took
}

// event is one JSON line of --output json.
type event struct {
	Event  string
	Host   string
	Task   string
	Status string
	Msg    string
	Hosts  recap
}

func jsonEvents(t *testing.T, stdout string) []event {
	t.Helper()
	var evs []event
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// statuses returns every result status of host, in order, as "task=status".
func statuses(evs []event, host string) []string {
	var out []string
	for _, ev := range evs {
		if ev.Event == "result" && ev.Host == host {
			out = append(out, ev.Task+"="+ev.Status)
		}
	}
	return out
}

// resultMsg returns the message of host's result for task.
func resultMsg(evs []event, host, task string) string {
	for _, ev := range evs {
		if ev.Event == "result" && ev.Host == host && ev.Task == task {
			return ev.Msg
		}
	}
	return ""
}

const convergeYML = `- hosts: web
  tasks:
    - name: dir
      file: {path: "{{ root }}/d", state: directory}
    - name: file
      copy: {dest: "{{ root }}/d/f", content: "{{ inventory_hostname }}\n"}
`

// converged reports whether the converge playbook's file is on root.
func converged(root, name string) bool {
	b, err := os.ReadFile(filepath.Join(root, "d", "f"))
	return err == nil && string(b) == name+"\n"
}

// TestHostKeyFaults: in a run over three hosts, one whose key changed is
// unreachable under strict and accept-new — before it is logged in to —
// while the others converge (exit 3); under off it converges too, with a
// warning. An unknown key fails under strict and is recorded under
// accept-new.
func TestHostKeyFaults(t *testing.T) {
	t.Parallel()
	a, b, c := sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	hosts := []invHost{{"good1", plainVars(a)}, {"good2", plainVars(b)}, {"changed", plainVars(c)}}
	writeInventory(t, dir, hosts)
	writeFile(t, dir, "site.yml", convergeYML)
	root := func(i int) string { return hosts[i].vars["root"].(string) }
	known := knownHostsFor(t, a, b)
	f, _ := os.OpenFile(known, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(otherKeyLine(t, c))
	f.Close()
	before, _ := os.ReadFile(known)

	for _, mode := range []string{"strict", "accept-new"} {
		for i := range 2 {
			os.RemoveAll(filepath.Join(root(i), "d"))
		}
		out, stderr, code, _ := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json",
			"--known-hosts", known, "--host-key-checking", mode, "-T", "5s")
		if code != 3 {
			t.Fatalf("%s: exit %d, want 3\n%s\n%s", mode, code, out, stderr)
		}
		evs := jsonEvents(t, out)
		if got := statuses(evs, "changed"); len(got) != 1 || got[0] != "Gathering Facts=unreachable" {
			t.Errorf("%s: the changed host's results %v, want only unreachable", mode, got)
		}
		if msg := resultMsg(evs, "changed", "Gathering Facts"); !strings.Contains(msg, "has changed") || !strings.Contains(msg, "ssh-keygen") {
			t.Errorf("%s: message %q does not say the key changed", mode, msg)
		}
		r := jsonRecap(t, out)
		for i, name := range []string{"good1", "good2"} {
			if r[name]["failed"]+r[name]["unreachable"] != 0 || r[name]["changed"] != 2 || !converged(root(i), name) {
				t.Errorf("%s: %s did not converge: %v", mode, name, r[name])
			}
		}
		if r["changed"]["unreachable"] != 1 || r["changed"]["ok"] != 0 {
			t.Errorf("%s: recap of the changed host %v", mode, r["changed"])
		}
	}
	if n := c.Connections(); n != 0 {
		t.Fatalf("%d logins on the host whose key changed", n)
	}
	if now, _ := os.ReadFile(known); !bytes.Equal(now, before) {
		t.Errorf("known_hosts was changed:\n%s", now)
	}
	if converged(root(2), "changed") {
		t.Error("the host whose key changed was written to")
	}

	// off: no check, a warning, and every host converges.
	out, stderr, code, _ := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "site.yml",
		"--known-hosts", known, "--host-key-checking", "off", "-T", "5s")
	if code != 0 || !strings.Contains(out, "[WARNING]: host key checking is off for changed") {
		t.Fatalf("off: exit %d\n%s\n%s", code, out, stderr)
	}
	if !converged(root(2), "changed") {
		t.Error("off: the host with the changed key did not converge")
	}

	// An unknown key: strict refuses it without logging in, accept-new records it.
	known2 := knownHostsFor(t, a, b)
	logins := c.Connections()
	out, _, code, _ = bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json",
		"--known-hosts", known2, "--host-key-checking", "strict", "-T", "5s")
	evs := jsonEvents(t, out)
	if code != 3 || !strings.Contains(resultMsg(evs, "changed", "Gathering Facts"), "no host key is known") {
		t.Fatalf("strict, unknown key: exit %d\n%s", code, out)
	}
	if c.Connections() != logins {
		t.Error("strict checking logged in to a host with an unknown key")
	}
	out, _, code, _ = bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json",
		"--known-hosts", known2, "--host-key-checking", "accept-new", "-T", "5s")
	if r := jsonRecap(t, out); code != 0 || r["changed"]["changed"] != 0 || r["changed"]["ok"] != 3 {
		t.Fatalf("accept-new, unknown key: exit %d recap %v", code, r)
	}
	if data, _ := os.ReadFile(known2); !strings.Contains(string(data), c.HostKeyPub[:40]) &&
		!strings.Contains(string(data), strings.Fields(c.HostKeyPub)[1]) {
		t.Errorf("accept-new did not record the key:\n%s", data)
	}
}

// blackhole makes a network namespace in which addr is on a veth link whose
// other end takes no address and a static neighbour entry stands in for
// ARP: connections to it are sent and never answered. It returns the namespace's
// name and removes it when the test ends.
func blackhole(t *testing.T) (netns, addr string) {
	t.Helper()
	netns = fmt.Sprintf("lvslabf%d", os.Getpid()%100000)
	ipRun := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Skipf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ipRun("netns", "add", netns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", netns).Run() })
	ipRun("-n", netns, "link", "set", "lo", "up")
	ipRun("-n", netns, "link", "add", "bh0", "type", "veth", "peer", "name", "bh1")
	ipRun("-n", netns, "addr", "add", "10.254.199.1/24", "dev", "bh0")
	ipRun("-n", netns, "link", "set", "bh0", "up")
	ipRun("-n", netns, "link", "set", "bh1", "up")
	ipRun("-n", netns, "neigh", "add", "10.254.199.2", "lladdr", "02:00:00:00:00:02", "dev", "bh0", "nud", "permanent")
	return netns, "10.254.199.2"
}

// waitProc waits until a process's command line holds s.
func waitProc(t *testing.T, s string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if exec.Command("pgrep", "-f", s).Run() == nil {
			return
		}
	}
	t.Fatalf("no process %q after %s", s, d)
}

// TestUnreachableFaults runs one playbook over a healthy host and hosts that
// fail in every way a host can go away: sshd frozen before the run (accepts
// TCP, never answers), a closed port, an address nothing answers, a name
// that does not resolve, a connection dropped mid-task, and sshd frozen
// mid-task. Each is reported unreachable — never ok for the task it failed
// in — the healthy host finishes, the run ends within the timeout plus a
// bounded margin (exit 3), and a rerun over the hosts that came back
// converges.
func TestUnreachableFaults(t *testing.T) {
	t.Parallel()
	ok, frozen, dropped, stalled := sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{}),
		sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{})
	netns, nowhere := blackhole(t)
	closed := map[string]any{"ansible_host": "127.0.0.1", "ansible_port": sshtest.FreePort(t), "ansible_ssh_private_key_file": ok.KeyFile}
	dark := map[string]any{"ansible_host": nowhere, "ansible_port": 22, "lvslab_netns": netns, "ansible_ssh_private_key_file": ok.KeyFile}
	nxdomain := map[string]any{"ansible_host": "no-such-host.invalid", "ansible_ssh_private_key_file": ok.KeyFile}
	dir := t.TempDir()
	hosts := []invHost{{"ok", plainVars(ok)}, {"frozen", plainVars(frozen)}, {"closed", closed}, {"dark", dark},
		{"nxdomain", nxdomain}, {"dropped", plainVars(dropped)}, {"stalled", plainVars(stalled)}}
	writeInventory(t, dir, hosts)
	marker := fmt.Sprintf("%d", time.Now().UnixNano()%1000000)
	writeFile(t, dir, "site.yml", `- hosts: web
  vars: {rerun: false}
  tasks:
    - name: dir
      file: {path: "{{ root }}/d", state: directory}
    - name: long task
      shell: "sleep 30.{{ inventory_hostname | length }}`+marker+`"
      when: (inventory_hostname == "dropped" or inventory_hostname == "stalled") and not rerun
    - name: file
      copy: {dest: "{{ root }}/d/f", content: "{{ inventory_hostname }}\n"}
`)
	known := knownHostsFor(t, ok, frozen, dropped, stalled)
	frozen.Freeze()
	t.Cleanup(frozen.Thaw)
	t.Cleanup(stalled.Thaw)
	go func() {
		// "dropped" has 7 letters, "stalled" too: both sleep 30.7MARKER.
		pattern := "sleep 30.7" + marker
		for end := time.Now().Add(40 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if exec.Command("pgrep", "-f", pattern).Run() == nil {
				break
			}
		}
		dropped.DropConnections()
		stalled.Freeze()
	}()
	const timeout = 3 * time.Second
	out, stderr, code, took := bounded(t, 4*timeout+60*time.Second, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json",
		"--known-hosts", known, "--host-key-checking", "strict", "-T", timeout.String())
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, out, stderr)
	}
	// Gathering facts waits one timeout for the hosts that never answer; a
	// host frozen mid-task is given up after 3 unanswered keepalives.
	if limit := timeout + 4*timeout + 20*time.Second; took > limit {
		t.Errorf("the run took %s, more than %s", took, limit)
	}
	t.Logf("the run took %s", took)
	evs := jsonEvents(t, out)
	r := jsonRecap(t, out)
	if got := statuses(evs, "ok"); strings.Join(got, " ") != "Gathering Facts=ok dir=changed long task=skipped file=changed" {
		t.Errorf("healthy host: %v", got)
	}
	if !converged(hosts[0].vars["root"].(string), "ok") {
		t.Error("the healthy host did not converge")
	}
	for _, name := range []string{"frozen", "closed", "dark", "nxdomain"} {
		if got := statuses(evs, name); len(got) != 1 || got[0] != "Gathering Facts=unreachable" {
			t.Errorf("%s: results %v, want only unreachable", name, got)
		}
	}
	for _, name := range []string{"dropped", "stalled"} {
		if got := statuses(evs, name); strings.Join(got, " ") != "Gathering Facts=ok dir=changed long task=unreachable" {
			t.Errorf("%s: results %v, want unreachable in the long task", name, got)
		}
	}
	for name, want := range map[string]string{"frozen": "handshake", "closed": "refused", "dark": "timeout",
		"nxdomain": "no-such-host.invalid", "dropped": "lost", "stalled": "keepalive"} {
		task := "Gathering Facts"
		if name == "dropped" || name == "stalled" {
			task = "long task"
		}
		msg := resultMsg(evs, name, task)
		if !strings.Contains(strings.ToLower(msg), want) {
			t.Errorf("%s: message %q lacks %q", name, msg, want)
		}
		t.Logf("%s: %s", name, msg)
		if r[name]["unreachable"] != 1 || r[name]["failed"] != 0 {
			t.Errorf("%s: recap %v", name, r[name])
		}
	}
	if r["ok"]["unreachable"]+r["ok"]["failed"] != 0 || r["ok"]["changed"] != 2 {
		t.Errorf("healthy host: recap %v", r["ok"])
	}

	// The hosts come back: a rerun over them converges.
	frozen.Thaw()
	stalled.Thaw()
	stalled.DropConnections() // the old, abandoned connection
	out, stderr, code, _ = bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json",
		"--known-hosts", known, "--host-key-checking", "strict", "-T", timeout.String(), "--limit", "ok:frozen:dropped:stalled",
		"-e", "rerun=true")
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s\n%s", code, out, stderr)
	}
	r = jsonRecap(t, out)
	for i, name := range []string{"ok", "frozen", "dropped", "stalled"} {
		root := hosts[[]int{0, 1, 5, 6}[i]].vars["root"].(string)
		if !converged(root, name) || r[name]["failed"]+r[name]["unreachable"] != 0 {
			t.Errorf("rerun: %s did not converge: %v", name, r[name])
		}
	}
}
