package module

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// TestModulesOnSSHD runs ping, setup, apt_repository and debconf on this
// machine through a real OpenSSH sshd: the generated shell against real
// programs, the stdin of debconf-set-selections through the transport.
// apt_repository writes a sources file of its own name (no update_cache)
// and removes it; debconf sets a question of a package of its own name and
// purges it.
func TestModulesOnSSHD(t *testing.T) {
	sshtest.Require(t)
	s := sshtest.Start(t, sshtest.Options{})
	ctx := context.Background()
	h, err := host.Dial(ctx, s.SSHConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	run := func(name, args string, check bool) Result {
		t.Helper()
		env := familyEnv("Debian")
		env.Check, env.Diff = check, true
		res, err := newModule(t, name, args).Apply(ctx, h, env)
		if err != nil || res.Failed {
			t.Fatalf("%s %s: %v %+v", name, args, err, res)
		}
		return res
	}
	if res := run("ping", "", false); res.Data["ping"] != "pong" {
		t.Errorf("ping: %+v", res)
	}
	res := run("setup", "filter: ['ansible_os_family', 'ansible_hostname', 'ansible_default_ipv4']", false)
	if af := res.Data["ansible_facts"].(map[string]any); af["ansible_os_family"] == nil || af["ansible_hostname"] == nil || len(af) > 3 {
		t.Errorf("setup: %v", af)
	}

	if _, err := os.Stat("/etc/apt/sources.list.d"); err != nil {
		t.Skip("no /etc/apt/sources.list.d")
	}
	name := fmt.Sprintf("lvslab-test-%d", os.Getpid())
	file := "/etc/apt/sources.list.d/" + name + ".list"
	t.Cleanup(func() { os.Remove(file) })
	repo := fmt.Sprintf("{repo: 'deb [signed-by=/nonexistent.gpg] http://lvslab.invalid/%s bookworm main', filename: %s, update_cache: false, mode: '0600'}", name, name)
	absent := strings.Replace(repo, "}", ", state: absent}", 1)
	for i, want := range []bool{true, false} {
		if res := run("apt_repository", repo, false); res.Changed != want {
			t.Fatalf("apt_repository run %d: %+v", i, res)
		}
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("sources file: %v %v", st, err)
	}
	if res := run("apt_repository", absent, true); !res.Changed {
		t.Errorf("absent in check mode: %+v", res)
	}
	for i, want := range []bool{true, false} {
		if res := run("apt_repository", absent, false); res.Changed != want {
			t.Fatalf("apt_repository absent run %d: %+v", i, res)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("sources file left: %v", err)
	}

	if _, err := exec.LookPath("debconf-set-selections"); err != nil {
		t.Skip("no debconf")
	}
	pkg := name
	t.Cleanup(func() { _ = exec.Command("sh", "-c", "echo PURGE | debconf-communicate "+pkg+" >/dev/null 2>&1").Run() })
	q := fmt.Sprintf("{name: %s, question: %s/answer, vtype: string, value: 'forty two'}", pkg, pkg)
	if res := run("debconf", q, true); !res.Changed {
		t.Errorf("debconf in check mode: %+v", res)
	}
	for i, want := range []bool{true, false} {
		if res := run("debconf", q, false); res.Changed != want {
			t.Fatalf("debconf run %d: %+v", i, res)
		}
	}
	if out, _ := exec.Command("debconf-show", pkg).Output(); !strings.Contains(string(out), pkg+"/answer: forty two") {
		t.Errorf("debconf-show: %q", out)
	}
}
