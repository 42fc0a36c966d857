package module

import (
	"reflect"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestPackageNames(t *testing.T) {
	ubuntu := map[string]any{"os_family": "Debian", "distribution": "Ubuntu", "distribution_version": "22.04", "distribution_major_version": "22"}
	bullseye := map[string]any{"os_family": "Debian", "distribution": "Debian", "distribution_version": "11", "distribution_major_version": "11"}
	sid := map[string]any{"os_family": "Debian", "distribution": "Debian"}
	for _, c := range []struct {
		logical string
		facts   map[string]any
		pkgs    []string
		svc     string
	}{
		{"php-fpm", debian12, []string{"php-fpm"}, "php8.2-fpm"},
		{"php-fpm", bullseye, []string{"php-fpm"}, "php7.4-fpm"},
		{"php-fpm", ubuntu, []string{"php-fpm"}, "php8.1-fpm"},
		{"php-fpm", rocky9, []string{"php-fpm"}, "php-fpm"},
		{"php-fpm", sid, []string{"php-fpm"}, "php-fpm"},
		{"php-mysql", debian12, []string{"php-mysql"}, "php-mysql"},
		{"php-mysql", rocky9, []string{"php-mysqlnd"}, "php-mysql"},
		{"mariadb", debian12, []string{"mariadb-server"}, "mariadb"},
		{"mariadb", rocky9, []string{"mariadb-server"}, "mariadb"},
		{"nginx", rocky9, []string{"nginx"}, "nginx"},
		{"ipvsadm", debian12, []string{"ipvsadm"}, "ipvsadm"},
		{"curl", debian12, []string{"curl"}, "curl"},
	} {
		if got := PackageName(c.logical, c.facts); !reflect.DeepEqual(got, c.pkgs) {
			t.Errorf("PackageName(%s, %v) = %v, want %v", c.logical, c.facts["distribution"], got, c.pkgs)
		}
		if got := ServiceName(c.logical, c.facts); got != c.svc {
			t.Errorf("ServiceName(%s, %v) = %v, want %v", c.logical, c.facts["distribution"], got, c.svc)
		}
	}
	withVersion := map[string]any{"os_family": "Debian", "php_version": "8.3"}
	if got := ServiceName("php-fpm", withVersion); got != "php8.3-fpm" {
		t.Errorf("php_version fact ignored: %s", got)
	}
}

func TestPackageAptConvergedOneRoundTrip(t *testing.T) {
	f := hosttest.New().On(`dpkg-query`, host.Result{Stdout: "pkg:nginx=installed\npkg:php-fpm=installed\npkg:php-mysql=installed\n"})
	res := apply(t, newModule(t, "package", "name: [nginx, php-fpm, php-mysql]"), f, testEnv(debian12, nil))
	if res.Changed || res.Failed || len(f.Commands()) != 1 {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	goldenShell(t, "core/package_apt_converged", f.Commands(), false)
}

func TestPackageAptInstallWaitsForLock(t *testing.T) {
	tries := 0
	f := hosttest.New().On(`dpkg-query`, host.Result{Stdout: "pkg:nginx=installed\npkg:mariadb-server=absent\n"}).
		OnFunc(`apt-get install`, func(string) (host.Result, error) {
			if tries++; tries < 3 {
				return host.Result{ExitCode: 100, Stderr: "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 123 (apt-get)\n"}, nil
			}
			return host.Result{Stdout: "Setting up mariadb-server ...\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\n"}, nil
		})
	res := apply(t, newModule(t, "package", "name: nginx,mariadb\nupdate_cache: true\ncache_valid_time: 3600"), f, testEnv(debian12, nil))
	if !res.Changed || res.Failed || res.Msg != "installed mariadb-server" || tries != 3 {
		t.Fatalf("res %+v tries %d", res, tries)
	}
	goldenShell(t, "core/package_apt_install", f.Commands(), false)
}

func TestPackageAptCacheFreshAndLatest(t *testing.T) {
	f := hosttest.New().On(`dpkg-query`, host.Result{Stdout: "cache_age=60\npkg:nginx=installed\nnew:nginx=1\n"}).
		On(`apt-get install`, host.Result{Stdout: "1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n"})
	res := apply(t, newModule(t, "package", "name: nginx\nstate: latest\nupdate_cache: true\ncache_valid_time: 3600"), f, testEnv(debian12, nil))
	if !res.Changed || res.Msg != "upgraded nginx" {
		t.Fatalf("res %+v", res)
	}
	for _, c := range f.Commands() {
		if strings.Contains(c, "apt-get update") {
			t.Fatalf("cache is fresh, updated anyway: %q", c)
		}
	}
	goldenShell(t, "core/package_apt_latest", f.Commands(), false)
}

func TestPackageNothingNewlyInstalledIsOK(t *testing.T) {
	// A virtual package never shows as installed; apt says it did nothing.
	f := hosttest.New().On(`dpkg-query`, host.Result{Stdout: "pkg:mail-transport-agent=absent\n"}).
		On(`apt-get install`, host.Result{Stdout: "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n"})
	res := apply(t, newModule(t, "package", "name: mail-transport-agent"), f, testEnv(debian12, nil))
	if res.Changed || res.Failed {
		t.Fatalf("res %+v", res)
	}
}

func TestPackageCheckModeAndRemove(t *testing.T) {
	f := hosttest.New().On(`rpm -q`, host.Result{Stdout: "pkg:ipvsadm=installed\n"})
	env := testEnv(rocky9, nil)
	env.Check = true
	res := apply(t, newModule(t, "package", "name: ipvsadm\nstate: absent"), f, env)
	if !res.Changed || res.Msg != "would remove ipvsadm" || len(f.Commands()) != 1 {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	env.Check = false
	f.On(`dnf remove`, host.Result{Stdout: "Removed:\n  ipvsadm\nComplete!\n"})
	res = apply(t, newModule(t, "package", "name: ipvsadm\nstate: absent"), f, env)
	if !res.Changed || res.Msg != "removed ipvsadm" {
		t.Fatalf("res %+v", res)
	}
	goldenShell(t, "core/package_dnf_remove", f.Commands(), false)
}

func TestPackageFailureIsReported(t *testing.T) {
	f := hosttest.New().On(`dpkg-query`, host.Result{Stdout: "pkg:nope=absent\n"}).
		On(`apt-get install`, host.Result{ExitCode: 100, Stderr: "E: Unable to locate package nope\n"})
	res := apply(t, newModule(t, "package", "name: nope"), f, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "Unable to locate package nope") {
		t.Fatalf("res %+v", res)
	}
}

func TestPackageProbesFactsWhenMissing(t *testing.T) {
	f := hosttest.New().On(`os-release`, host.Result{Stdout: "id=debian\nid_like=\nversion_id=12\nname=Debian GNU/Linux\npkg=apt-get\nsvc=systemd\n"}).
		On(`dpkg-query`, host.Result{Stdout: "pkg:php-mysql=installed\n"})
	res := apply(t, newModule(t, "package", "name: php-mysql"), f, testEnv(map[string]any{}, nil))
	if res.Changed || res.Failed || !reflect.DeepEqual(res.Data["packages"], []string{"php-mysql"}) {
		t.Fatalf("res %+v", res)
	}
	if len(f.Commands()) != 2 {
		t.Fatalf("calls %q", f.Commands())
	}
}

func TestPackageValidation(t *testing.T) {
	for args, want := range map[string]string{
		"state: present":                "name is required",
		"name: 'x; rm -rf /'":           "invalid package name",
		"name: x\nstate: newest":        `state "newest"`,
		"name: x\ncache_valid_time: -1": "negative",
	} {
		if _, err := newModuleErr("package", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", args, err, want)
		}
	}
	if _, err := newModuleErr("package", "update_cache: true"); err != nil {
		t.Errorf("update_cache alone: %v", err)
	}
}
