package module

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
	"lvslab/internal/host/sshtest"
)

// TestPackageOptionsOfRoles runs the apt, yum and package options that
// third-party roles use (force, allow_downgrade, default_release,
// disablerepo, enablerepo, disable_gpg_check) to the commands they make.
func TestPackageOptionsOfRoles(t *testing.T) {
	for _, c := range []struct {
		name, module, args string
		facts              map[string]any
		answer             string
	}{
		{"apt_force", "apt", "{name: zabbix-agent, force: true, default_release: bookworm-backports}", debian12, "pkg:zabbix-agent=absent\n"},
		{"apt_latest_release", "apt", "{name: nginx, state: latest, default_release: bookworm-backports, allow_downgrade: true}", debian12, "pkg:nginx=installed\nnew:nginx=1\n"},
		{"apt_remove_force", "apt", "{name: nginx, state: absent, force: true, force_apt_get: true}", debian12, "pkg:nginx=installed\n"},
		{"package_disablerepo", "package", "{name: zabbix-agent, disablerepo: '*', enablerepo: [zabbix, zabbix-non-supported], disable_gpg_check: true}", rocky9, "pkg:zabbix-agent=absent\n"},
		{"package_downgrade_apt", "package", "{name: 'sops=3.7.3', allow_downgrade: true}", debian12, "pkg:sops=3.7.3=absent\n"},
		{"dnf_downgrade", "dnf", "{name: sensu-go-agent-6.2.0, allow_downgrade: true, disable_gpg_check: true}", rocky9, "pkg:sensu-go-agent-6.2.0=absent\n"},
	} {
		f := hosttest.New().On(`dpkg-query|rpm -q`, host.Result{Stdout: c.answer}).
			On(`apt-get (install|remove)`, host.Result{Stdout: "1 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\n"})
		res := apply(t, newModule(t, c.module, c.args), f, testEnv(c.facts, nil))
		if !res.Changed || res.Failed || len(f.Commands()) != 2 {
			t.Errorf("%s: %+v %q", c.name, res, f.Commands())
			continue
		}
		goldenShell(t, "core/"+c.name, f.Commands(), false)
	}
	m := newModule(t, "package", "{name: zabbix-agent, disablerepo: '*'}")
	if _, err := m.Apply(context.Background(), hosttest.New(), testEnv(debian12, nil)); err == nil || !strings.Contains(err.Error(), "options of yum and dnf") {
		t.Errorf("disablerepo on apt: %v", err)
	}
}

// debAnswer is the deb inspection's answer for one file.
func debAnswer(pkg, version string, same bool) string {
	out := "package=" + pkg + "\nversion=" + version + "\n"
	if same {
		out += "same=1\n"
	}
	return probeOutput(fakeProbe{"deb0", strings.TrimSuffix(out, "\n"), 0})
}

func TestAptDeb(t *testing.T) {
	for _, c := range []struct {
		name, args, answer string
		change             bool
	}{
		{"converged", "{deb: /tmp/sops_3.8.1_amd64.deb}", debAnswer("sops", "3.8.1", true), false},
		{"path", "{deb: sops_3.8.1_amd64.deb, allow_downgrade: true}", debAnswer("sops", "3.8.1", false), true},
		{"url", "{deb: 'https://github.com/getsops/sops/releases/download/v3.8.1/sops_3.8.1_amd64.deb'}", debAnswer("sops", "3.8.1", false), true},
	} {
		for _, check := range []bool{false, true} {
			env := testEnv(debian12, nil)
			env.Check = check
			f := hosttest.New().On(`dpkg-deb`, host.Result{Stdout: c.answer}).On(`apt-get install`, host.Result{Stdout: "Setting up sops (3.8.1) ...\n"})
			res := apply(t, newModule(t, "apt", c.args), f, env)
			calls := 1
			if c.change && !check {
				calls = 2
			}
			if res.Changed != c.change || res.Failed || len(f.Calls) != calls {
				t.Errorf("%s, check=%v: %+v %q", c.name, check, res, f.Calls)
				continue
			}
			if c.change && !strings.HasSuffix(res.Msg, "sops=3.8.1") {
				t.Errorf("%s: msg %q", c.name, res.Msg)
			}
			if calls == 2 {
				goldenShell(t, "core/apt_deb_"+c.name, f.Calls, false)
			}
		}
	}
	f := hosttest.New().On(`dpkg-deb`, host.Result{Stdout: probeOutput(fakeProbe{"deb0", "dpkg-deb: error: 'x.deb' is not a Debian format archive", 1})})
	if res := apply(t, newModule(t, "apt", "deb: x.deb"), f, testEnv(debian12, nil)); !res.Failed || !strings.Contains(res.Msg, "not a Debian format archive") {
		t.Errorf("bad deb: %+v", res)
	}
	_, err := newModuleErr("apt", "{deb: 'ftp:///x.deb', name: sops, state: absent}")
	for _, want := range []string{"deb and name are mutually exclusive", "deb only supports state=present", `deb "ftp:///x.deb"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}

// TestAptDebOnSSHD installs a package of its own, built here with
// dpkg-deb, through a real sshd: from a path (changed, then ok), a newer
// version from a URL (an HTTP server of the test), the older one back with
// allow_downgrade (and not without); check mode changes nothing.
// ansible-core's apt takes turns on the same machine: each must find what
// the other left. The package is purged afterwards.
func TestAptDebOnSSHD(t *testing.T) {
	sshtest.Require(t)
	if os.Geteuid() != 0 {
		t.Skip("installing a package needs root")
	}
	for _, b := range []string{"dpkg-deb", "apt-get"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("no %s", b)
		}
	}
	pkg := fmt.Sprintf("lvslab-test-deb-%d", os.Getpid())
	dir := t.TempDir()
	build := func(version string) string {
		root := filepath.Join(dir, version)
		if err := os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755); err != nil {
			t.Fatal(err)
		}
		control := "Package: " + pkg + "\nVersion: " + version + "\nArchitecture: all\nMaintainer: lvslab <t@lvslab.invalid>\nDescription: lvslab test package\n"
		if err := os.WriteFile(filepath.Join(root, "DEBIAN", "control"), []byte(control), 0o644); err != nil {
			t.Fatal(err)
		}
		deb := filepath.Join(dir, pkg+"_"+version+"_all.deb")
		if out, err := exec.Command("dpkg-deb", "--build", root, deb).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb: %v %s", err, out)
		}
		return deb
	}
	v1, v2 := build("1.0"), build("2.0")
	t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", pkg).Run() })
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	h := sshdExec(t)
	installed := func() string {
		out, _ := exec.Command("dpkg-query", "-W", "-f", "${Status} ${Version}", pkg).Output()
		return string(out)
	}
	lvslab := func(args, version string, changed bool) {
		t.Helper()
		before := installed()
		env := testEnv(debian12, nil)
		env.Check = true
		if res, err := newModule(t, "apt", args).Apply(context.Background(), h, env); err != nil || res.Changed != changed || installed() != before {
			t.Fatalf("%s in check mode: %v %+v; %q, was %q", args, err, res, installed(), before)
		}
		res, _ := applyOn(t, newModule(t, "apt", args), h, false)
		if res.Failed || res.Changed != changed || installed() != "install ok installed "+version {
			t.Fatalf("%s: %+v; installed %q", args, res, installed())
		}
	}
	// ansible runs ansible-core's apt on the same machine: changed tells
	// what each task must report (nil: fail), version what is installed after.
	ansible := func(version string, changed []any, tasks ...map[string]any) {
		t.Helper()
		var ts []ansibleTask
		for _, a := range tasks {
			ts = append(ts, ansibleTask{"apt", a})
		}
		for i, r := range ansibleRun(t, false, ts...) {
			if (changed[i] == nil) != (r["failed"] == true) || changed[i] != nil && (r["changed"] == true) != changed[i] {
				t.Fatalf("ansible apt %v: %v, want changed %v", tasks[i], r, changed[i])
			}
		}
		if installed() != "install ok installed "+version {
			t.Fatalf("after ansible: installed %q", installed())
		}
	}
	url2 := srv.URL + "/" + filepath.Base(v2)
	lvslab("{deb: "+v1+"}", "1.0", true)
	lvslab("{deb: "+v1+"}", "1.0", false)
	ansible("2.0", []any{false, true}, map[string]any{"deb": v1}, map[string]any{"deb": url2})
	lvslab("{deb: '"+url2+"'}", "2.0", false)
	// An older version without allow_downgrade fails, as Ansible's.
	if res, _ := applyOn(t, newModule(t, "apt", "{deb: "+v1+"}"), h, false); !res.Failed || installed() != "install ok installed 2.0" {
		t.Errorf("downgrade without allow_downgrade: %+v; installed %q", res, installed())
	}
	ansible("2.0", []any{nil}, map[string]any{"deb": v1})
	lvslab("{deb: "+v1+", allow_downgrade: true}", "1.0", true)
	ansible("2.0", []any{false, true}, map[string]any{"deb": v1}, map[string]any{"deb": v2})
}
