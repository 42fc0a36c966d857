package module

import (
	"context"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

// newKV decodes module name from free-form key=value arguments, as a task
// written `name: k=v ...` is (every value a string).
func newKV(t *testing.T, name, args string) (Module, error) {
	t.Helper()
	doc := yamlNode(t, "x: "+args)
	n, err := KVNode(name, doc.Content[0].Content[1])
	if err != nil {
		t.Fatal(err)
	}
	return Default().New(name, n)
}

func mustKV(t *testing.T, name, args string) Module {
	t.Helper()
	m, err := newKV(t, name, args)
	if err != nil {
		t.Fatalf("%s %s: %v", name, args, err)
	}
	return m
}

// hasCmd reports whether a command sent contains every part.
func hasCmd(calls []string, parts ...string) bool {
	for _, c := range calls {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(c, p)
		}
		if all {
			return true
		}
	}
	return false
}

func TestStringArgumentsCoerced(t *testing.T) {
	for _, args := range []string{"name=nginx enabled=yes", "name=nginx enabled=True", "name=nginx enabled=1", "name=nginx enabled=on"} {
		s := mustKV(t, "service", args).(*Service)
		if s.Enabled == nil || !*s.Enabled {
			t.Errorf("%s: enabled %v", args, s.Enabled)
		}
	}
	if s := newModule(t, "service", `{name: nginx, enabled: "no"}`).(*Service); s.Enabled == nil || *s.Enabled {
		t.Errorf("quoted no: %v", s.Enabled)
	}
	p := mustKV(t, "apt", "name=nginx cache_valid_time=3600 purge=yes").(*Apt)
	if p.CacheValidTime != 3600 || !p.Purge || p.pkg().UpdateCache != true {
		t.Errorf("apt: %+v", p)
	}
	if c := mustKV(t, "copy", "content=x dest=/b mode=0644").(*Copy); c.Mode.Bits != 0644 {
		t.Errorf("mode %v", c.Mode)
	}
	if _, err := newKV(t, "service", "name=nginx enabled=maybe"); err == nil || err.Error() != `line 1:23: enabled: want a boolean (yes, no, true, false), got a string` {
		t.Errorf("enabled=maybe: %v", err)
	}
	if _, err := newKV(t, "apt", "name=nginx cache_valid_time=soon"); err == nil || strings.Contains(err.Error(), "soon") || !strings.Contains(err.Error(), "cache_valid_time: want an integer, got a string") {
		t.Errorf("cache_valid_time=soon: %v", err)
	}
}

func TestAptOptions(t *testing.T) {
	f := hosttest.New().On(`dpkg-query`, host.Result{Stdout: "cache_age=99999\nautoremove=2\npkg:nginx=absent\npkg:exim4=installed\n"}).
		On(`^DEBIAN_FRONTEND`, host.Result{Stdout: "1 upgraded, 1 newly installed, 1 to remove and 0 not upgraded.\n"})
	res := apply(t, mustKV(t, "apt", "name=nginx install_recommends=no cache_valid_time=3600 autoremove=yes"), f, testEnv(debian12, nil))
	if !res.Changed || res.Msg != "installed nginx; autoremoved 2 packages" {
		t.Fatalf("res %+v", res)
	}
	calls := f.Commands()
	if !hasCmd(calls, "apt-get update", "apt-get install", "--no-install-recommends", "nginx", "apt-get autoremove") || !hasCmd(calls, "update-success-stamp", "apt-get -s autoremove") {
		t.Errorf("calls %q", calls)
	}
	f = hosttest.New().On(`dpkg-query`, host.Result{Stdout: "pkg:exim4=installed\n"}).On(`^DEBIAN_FRONTEND`, host.Result{Stdout: "0 upgraded, 0 newly installed, 1 to remove and 0 not upgraded.\n"})
	res = apply(t, mustKV(t, "apt", "name=exim4 state=absent purge=yes"), f, testEnv(debian12, nil))
	if !res.Changed || !hasCmd(f.Commands(), "apt-get remove", "--purge", "exim4") || hasCmd(f.Commands(), "apt-get update") {
		t.Errorf("purge: %+v %q", res, f.Commands())
	}
	// Converged: one round trip, also in check mode; the lists are fresh.
	for _, check := range []bool{false, true} {
		f = hosttest.New().On(`dpkg-query`, host.Result{Stdout: "cache_age=10\npkg:nginx=installed\n"})
		env := testEnv(debian12, nil)
		env.Check = check
		if res := apply(t, newModule(t, "apt", "{pkg: nginx, update_cache: yes, cache_valid_time: 3600}"), f, env); res.Changed || len(f.Commands()) != 1 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Commands())
		}
	}
	if _, err := newModule(t, "apt", "name: nginx").Apply(context.Background(), hosttest.New(), testEnv(rocky9, nil)); err == nil || !strings.Contains(err.Error(), "package manager is dnf, not apt") {
		t.Errorf("apt on rocky: %v", err)
	}
	if _, err := newModuleErr("apt", "{name: 'bad name', state: fixed}"); err == nil || !strings.Contains(err.Error(), "invalid package name") || !strings.Contains(err.Error(), `state "fixed"`) {
		t.Errorf("validation: %v", err)
	}
}

func TestYumDnfRepos(t *testing.T) {
	for _, mod := range []string{"yum", "dnf"} {
		f := hosttest.New().On(`rpm -q`, host.Result{Stdout: "pkg:nginx=installed\npkg:php-fpm=absent\n"}).On(`^dnf `, host.Result{Stdout: "Complete!\n"})
		res := apply(t, mustKV(t, mod, "name=nginx,php-fpm disablerepo=* enablerepo=epel,crb"), f, testEnv(rocky9, nil))
		if !res.Changed || !hasCmd(f.Commands(), "dnf install -y --disablerepo='*' --enablerepo=epel --enablerepo=crb php-fpm") {
			t.Errorf("%s: %+v %q", mod, res, f.Commands())
		}
	}
	if _, err := newModule(t, "dnf", "name: nginx").Apply(context.Background(), hosttest.New(), testEnv(debian12, nil)); err == nil || !strings.Contains(err.Error(), "not dnf or yum") {
		t.Errorf("dnf on debian: %v", err)
	}
}

func TestSystemdMaskedAndAliases(t *testing.T) {
	f := hosttest.New().On(`systemctl show`, svcAnswer("loaded", "active", "enabled"))
	res := apply(t, mustKV(t, "systemd", "unit=apache2 state=stopped masked=yes"), f, testEnv(debian12, nil))
	if !res.Changed || res.Msg != "masked, stopped" || !hasCmd(f.Commands(), "systemctl mask -- apache2 && systemctl stop -- apache2") {
		t.Errorf("mask: %+v %q", res, f.Commands())
	}
	f = hosttest.New().On(`systemctl show`, svcAnswer("masked", "inactive", "masked"))
	res = apply(t, newModule(t, "systemd_service", "{name: apache2, masked: false, enabled: true, daemon-reload: true}"), f, testEnv(debian12, nil))
	if !res.Changed || res.Msg != "unmasked, enabled" || !hasCmd(f.Commands(), "systemctl daemon-reload") {
		t.Errorf("unmask: %+v %q", res, f.Commands())
	}
	for _, check := range []bool{false, true} {
		f = hosttest.New().On(`systemctl show`, svcAnswer("masked", "inactive", "masked"))
		env := testEnv(debian12, nil)
		env.Check = check
		if res := apply(t, newModule(t, "systemd", "{service: apache2, masked: true}"), f, env); res.Changed || len(f.Commands()) != 1 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Commands())
		}
	}
	sysv := map[string]any{"os_family": "Debian", "service_mgr": "sysvinit"}
	if _, err := newModule(t, "systemd", "{name: nginx, state: started}").Apply(context.Background(), hosttest.New(), testEnv(sysv, nil)); err == nil || !strings.Contains(err.Error(), "not systemd") {
		t.Errorf("systemd on sysvinit: %v", err)
	}
	if _, err := newModuleErr("systemd", "{name: a, unit: b}"); err == nil || !strings.Contains(err.Error(), "give one of name, service and unit") || !strings.Contains(err.Error(), "give state, enabled or both") {
		t.Errorf("validation: %v", err)
	}
}

func TestSysctlAnsibleOptions(t *testing.T) {
	missing := sysctlAnswer("255", "sysctl: cannot stat /proc/sys/net/ipv4/vs/conntrack: No such file or directory", "", false)
	f := hosttest.New().On(`sysctl -n`, missing)
	res := apply(t, mustKV(t, "sysctl", "key=net.ipv4.vs.conntrack val=1 ignoreerrors=yes"), f, testEnv(debian12, nil))
	if res.Failed || !res.Changed || hasCmd(f.Commands(), "sysctl -w") || !hasCmd(f.Commands(), "sysctl -e -p /etc/sysctl.conf") {
		t.Errorf("ignoreerrors: %+v %q", res, f.Commands())
	}
	if s := mustKV(t, "sysctl", "name=net.ipv4.ip_forward value=1 reload=no sysctl_set=yes sysctl_file=/etc/sysctl.d/10-x.conf").(*Sysctl); *s.Reload || !*s.SysctlSet || s.SysctlFile != "/etc/sysctl.d/10-x.conf" {
		t.Errorf("sysctl: %+v", s)
	}
	// Ansible strips the name and the value (a public role writes "net.core.somaxconn ").
	if w, err := newModule(t, "sysctl", "{name: 'net.core.somaxconn ', value: ' 4096'}").(*Sysctl).want(); err != nil || w.Name != "net.core.somaxconn" || w.Value != "4096" {
		t.Errorf("stripped: %+v, %v", w, err)
	}
	if _, err := newModuleErr("sysctl", "{name: a.b, key: a.b, value: 1}"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("name and key: %v", err)
	}
}
