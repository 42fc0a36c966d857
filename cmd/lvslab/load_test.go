package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host/sshtest"
	"lvslab/internal/load"
)

// loadInventory writes an inventory whose director and client are real
// sshd hosts on this machine and whose VIP and one real server are
// 127.0.0.1 (an HTTP server of the test answers on --port).
func loadInventory(t *testing.T, director, client *sshtest.Server, agentDir string) string {
	t.Helper()
	dir := t.TempDir()
	vars := func(s *sshtest.Server) string {
		var b strings.Builder
		for k, v := range s.Vars() {
			fmt.Fprintf(&b, " %s: %q,", k, fmt.Sprint(v))
		}
		return b.String()
	}
	inv := fmt.Sprintf(`all:
  vars: {lvs_mode: nat, vip: 127.0.0.1, scheduler: wrr}
  children:
    director:
      hosts:
        d1: {%s dip: 127.0.0.1}
    realservers:
      hosts:
        rs01: {ansible_host: 127.0.0.1, rip: 127.0.0.1, weight: 1}
    clients:
      hosts:
        c1: {%s lvslab_agent_dir: %q}
`, vars(director), vars(client), agentDir)
	writeFile(t, dir, "inv.yml", inv)
	return dir
}

// TestLoadThroughSSH runs load --compare with the agent on a real sshd
// client: the binary is put there once (checked by hash), its events
// stream back, and both runs are reported in JSON.
func TestLoadThroughSSH(t *testing.T) {
	director := sshtest.Start(t, sshtest.Options{})
	client := sshtest.Start(t, sshtest.Options{})
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(load.ServerHeader, "rs01")
		fmt.Fprintln(w, "real server rs01")
	}))
	defer web.Close()
	port := web.Listener.Addr().(*net.TCPAddr).Port
	agentDir := filepath.Join(t.TempDir(), "agent")
	dir := loadInventory(t, director, client, agentDir)
	report := filepath.Join(dir, "load.svg")
	args := []string{"load", "-i", "inv.yml", "--port", fmt.Sprint(port), "--compare", "--duration", "1s", "-c", "2",
		"--report", report, "--output", "json"}
	stdout, stderr, code := lvslab(t, dir, args...)
	if code != 0 {
		t.Fatalf("load: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "load agent put on c1 at "+agentDir+"/lvslab-") {
		t.Errorf("stderr does not say the agent was put on c1:\n%s", stderr)
	}
	runs, compare := loadEvents(t, stdout)
	if len(runs) != 2 || compare == nil {
		t.Fatalf("want 2 load events and a compare event:\n%s", stdout)
	}
	for i, want := range []string{"rs01", "vip"} {
		sum := runs[i]["summary"].(map[string]any)
		if runs[i]["target"] != want || runs[i]["from"] != "c1" || sum["completed"].(float64) == 0 || sum["failed"].(float64) != 0 || runs[i]["shares_ok"] != true {
			t.Errorf("run %d: %v", i, runs[i])
		}
	}
	if st, err := os.Stat(report); err != nil || st.Size() == 0 {
		t.Errorf("report: %v", err)
	}
	// A second run finds the agent in place.
	_, stderr, code = lvslab(t, dir, "load", "-i", "inv.yml", "--port", fmt.Sprint(port), "--duration", "1s", "-c", "1")
	if code != 0 || strings.Contains(stderr, "load agent put on") {
		t.Errorf("second load: exit %d, stderr:\n%s", code, stderr)
	}
	if entries, _ := os.ReadDir(agentDir); len(entries) != 1 {
		t.Errorf("agents in %s: %v", agentDir, entries)
	}
	// A port where nothing listens: a clear error before any load, exit 2.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	_, stderr, code = lvslab(t, dir, "load", "-i", "inv.yml", "--port", fmt.Sprint(closed), "--duration", "1s")
	if code != exitFailed || !strings.Contains(stderr, fmt.Sprintf("VIP 127.0.0.1:%d does not answer from c1", closed)) || !strings.Contains(stderr, "refused") {
		t.Errorf("load of a closed port: exit %d\n%s", code, stderr)
	}
}

// TestLoadBadInput: flags and --to/--from that cannot work exit 4 before
// any host is logged in to.
func TestLoadBadInput(t *testing.T) {
	director := sshtest.Start(t, sshtest.Options{})
	client := sshtest.Start(t, sshtest.Options{})
	dir := loadInventory(t, director, client, t.TempDir())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rate", "0"}, "--rate \"0\": want requests per second above 0"},
		{[]string{"--rate", "fast"}, "--rate \"fast\""},
		{[]string{"--duration", "0s"}, "duration"},
		{[]string{"-c", "0"}, "concurrency"},
		{[]string{"--to", "rs99"}, "--to rs99: not vip nor a real server of the inventory (rs01)"},
		{[]string{"--from", "moon"}, "--from must be client, controller or auto"},
		{[]string{"--report", "x.pdf"}, "--report x.pdf: want a .html, .svg or .png file"},
		{[]string{"--path", "nope"}, "--path \"nope\" must start with /"},
		{[]string{"--ramp", "--ramp-factor", "1"}, "factor"},
	} {
		_, stderr, code := lvslab(t, dir, append([]string{"load", "-i", "inv.yml"}, c.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("load %s: exit %d, want %d and %q:\n%s", strings.Join(c.args, " "), code, exitBadInput, c.want, stderr)
		}
	}
	// Several at once, all reported.
	_, stderr, code := lvslab(t, dir, "load", "-i", "inv.yml", "--rate", "0", "--path", "x", "--from", "moon")
	if code != exitBadInput || strings.Count(stderr, "\n") < 3 {
		t.Errorf("three bad flags: exit %d:\n%s", code, stderr)
	}
	if n := director.Connections() + client.Connections(); n != 0 {
		t.Errorf("bad input made %d SSH logins", n)
	}
	// No clients group and --from client.
	writeFile(t, dir, "noclient.yml", strings.Split(mustRead(t, filepath.Join(dir, "inv.yml")), "    clients:")[0])
	_, stderr, code = lvslab(t, dir, "load", "-i", "noclient.yml", "--from", "client")
	if code != exitBadInput || !strings.Contains(stderr, "no clients group") {
		t.Errorf("--from client without clients: exit %d:\n%s", code, stderr)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
