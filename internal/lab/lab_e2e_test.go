package lab

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLabEndToEnd builds a real lab (named "e2e", beside any default lab
// in use), logs in to every host with OpenSSH from the lab's namespace
// using the generated key and known_hosts, checks IPVS on the director and
// the apt relay on every host and, where the machine has a cpu controller,
// the real servers' CPU cap (created at 50 %, lifted by SetRSCPU), then
// destroys the lab and checks that nothing is left. It needs root, the lab's packages and network access
// to deb.debian.org; run it with
//
//	LVSLAB_E2E=1 go test -run LabE2E -v -timeout 30m ./internal/lab
func TestLabE2E(t *testing.T) {
	if os.Getenv("LVSLAB_E2E") != "1" {
		t.Skip("set LVSLAB_E2E=1 to build a real lab (root, a few minutes)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("LVSLAB_E2E needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	const name = "e2e"
	paths := NamedPaths(name)
	paths.Dir = t.TempDir()
	progress := &testWriter{t: t}

	rsCPU := 0
	if _, ok := sysCgroups().cpuController(); ok {
		rsCPU = 50
	}
	start := time.Now()
	l, err := Create(ctx, Options{Name: name, Paths: paths, RSCPU: rsCPU}, progress)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Logf("create took %.1fs", time.Since(start).Seconds())
	destroyed := false
	defer func() {
		if !destroyed {
			DestroyNamed(context.Background(), name, progress)
		}
	}()

	for _, f := range []string{paths.Inventory(), paths.Key(), paths.KnownHosts()} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if st, err := os.Stat(paths.Key()); err == nil && st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", st.Mode().Perm())
	}

	for _, h := range l.Hosts {
		out, err := labSSH(ctx, paths, h.MgmtAddr(), "hostname && apt-get update -q >/dev/null && echo apt-ok")
		if err != nil {
			t.Errorf("%s: ssh: %v\n%s", h.Name, err, out)
			continue
		}
		if !strings.HasPrefix(out, h.Name+"\n") || !strings.Contains(out, "apt-ok") {
			t.Errorf("%s: unexpected output %q", h.Name, out)
		}
	}
	d, _ := l.Host(DirectorName)
	out, err := labSSH(ctx, paths, d.MgmtAddr(), "modprobe ip_vs && cat /proc/net/ip_vs")
	if err != nil || !strings.Contains(out, "IP Virtual Server") {
		t.Errorf("director: no IPVS: %v\n%s", err, out)
	}
	// The client reaches the VIP on the public segment.
	c, _ := l.Host(ClientName)
	if out, err := labSSH(ctx, paths, c.MgmtAddr(), "ping -c1 -W5 "+VIP); err != nil {
		t.Errorf("client cannot reach the VIP: %v\n%s", err, out)
	}
	// The root namespace has no lab address.
	if out, err := exec.Command("ip", "-4", "-o", "addr").Output(); err == nil {
		for _, prefix := range []string{"172.17.1.", "192.168.30.", mgmtNet} {
			if strings.Contains(string(out), " "+prefix) {
				t.Errorf("root namespace has a lab address (%s*):\n%s", prefix, out)
			}
		}
	}

	r, err := StatusNamed(ctx, name)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	for _, h := range r.Hosts {
		if !h.Running || !h.SSH {
			t.Errorf("status: %s running=%v ssh=%v %s", h.Name, h.Running, h.SSH, h.SSHError)
		}
	}
	if !r.Relay {
		t.Error("status: relay down")
	}
	for _, h := range r.Hosts {
		if want := map[bool]int{true: rsCPU}[h.Group == GroupRealServers]; h.CPU != want {
			t.Errorf("status: %s has a cpu cap of %d%%, want %d%%", h.Name, h.CPU, want)
		}
	}
	if rsCPU > 0 {
		ch, err := SetRSCPU(ctx, name, 0, progress)
		if err != nil {
			t.Fatalf("set --rs-cpu 0: %v", err)
		}
		for _, h := range ch.Hosts {
			if h.Was != rsCPU || h.Moved != 0 {
				t.Errorf("set --rs-cpu 0: %+v, want it was %d%% with every process in its cgroup", h, rsCPU)
			}
		}
	}

	if err := DestroyNamed(ctx, name, progress); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	destroyed = true
	if ns := labNamespaces(name); len(ns) > 0 {
		t.Errorf("namespaces left: %v", ns)
	}
	if m := mountsUnder(paths.Data); len(m) > 0 {
		t.Errorf("mounts left: %v", m)
	}
	if pids := cgroupPIDs(name); len(pids) > 0 {
		t.Errorf("processes left in the lab's cgroups: %v", pids)
	}
	for _, p := range l.Procs {
		if p.Alive() {
			t.Errorf("%s %s (pid %d) still runs", p.Role, p.Host, p.PID)
		}
	}
	for _, f := range []string{paths.State(), paths.Inventory(), paths.KnownHosts()} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left: %v", f, err)
		}
	}
	// Destroy is idempotent.
	if err := DestroyNamed(ctx, name, progress); err != nil {
		t.Errorf("second destroy: %v", err)
	}
}

// labSSH runs cmd on addr with OpenSSH from the lab's namespace, as a user
// would, with strict host key checking against the lab's known_hosts.
func labSSH(ctx context.Context, p Paths, addr, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "ip", "netns", "exec", p.Name, "ssh",
		"-i", p.Key(), "-o", "UserKnownHostsFile="+p.KnownHosts(), "-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "root@"+addr, cmd)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return out.String(), err
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
