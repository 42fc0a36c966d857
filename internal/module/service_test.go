package module

import (
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func svcAnswer(load, active, enabled string) host.Result {
	return host.Result{Stdout: "LoadState=" + load + "\nactive=" + active + "\nenabled=" + enabled + "\n"}
}

func TestServiceConvergedOneRoundTrip(t *testing.T) {
	f := hosttest.New().On(`systemctl show`, svcAnswer("loaded", "active", "enabled"))
	res := apply(t, newModule(t, "service", "name: php-fpm\nstate: started\nenabled: true"), f, testEnv(debian12, nil))
	if res.Changed || res.Failed || len(f.Commands()) != 1 || res.Data["name"] != "php8.2-fpm" {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	goldenShell(t, "core/service_converged", f.Commands(), false)
}

func TestServiceStartEnable(t *testing.T) {
	f := hosttest.New().On(`systemctl show`, svcAnswer("loaded", "inactive", "disabled"))
	res := apply(t, newModule(t, "service", "name: nginx\nstate: started\nenabled: true\ndaemon_reload: true"), f, testEnv(debian12, nil))
	if !res.Changed || res.Msg != "enabled, started" {
		t.Fatalf("res %+v", res)
	}
	goldenShell(t, "core/service_start_enable", f.Commands(), false)
}

func TestServiceCheckMode(t *testing.T) {
	f := hosttest.New().On(`systemctl show`, svcAnswer("loaded", "active", "enabled"))
	env := testEnv(debian12, nil)
	env.Check = true
	for args, changed := range map[string]bool{
		"name: nginx\nstate: stopped":                        true,
		"name: nginx\nstate: restarted\ndaemon_reload: true": true,
		"name: nginx\nstate: started":                        false,
		"name: nginx\nenabled: false":                        true,
	} {
		f.Calls = nil
		res := apply(t, newModule(t, "service", args), f, env)
		if res.Changed != changed || len(f.Commands()) != 1 || strings.Contains(f.Commands()[0], "daemon-reload") {
			t.Errorf("%q: res %+v calls %q", args, res, f.Commands())
		}
	}
}

func TestServiceRestartReloadAlwaysChanged(t *testing.T) {
	f := hosttest.New().On(`systemctl show`, svcAnswer("loaded", "inactive", "enabled"))
	res := apply(t, newModule(t, "service", "name: nginx\nstate: reloaded"), f, testEnv(debian12, nil))
	if !res.Changed || !strings.Contains(f.Commands()[1], "systemctl start -- nginx") {
		t.Fatalf("reload of stopped service: %+v %q", res, f.Commands())
	}
	f = hosttest.New().On(`systemctl show`, svcAnswer("loaded", "active", "enabled"))
	res = apply(t, newModule(t, "service", "name: nginx\nstate: restarted"), f, testEnv(debian12, nil))
	if !res.Changed || f.Commands()[1] != "systemctl restart -- nginx" {
		t.Fatalf("restart: %+v %q", res, f.Commands())
	}
}

func TestServiceFailures(t *testing.T) {
	f := hosttest.New().On(`systemctl show`, svcAnswer("not-found", "inactive", ""))
	res := apply(t, newModule(t, "service", "name: nope\nstate: started"), f, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "could not find the requested service nope") {
		t.Fatalf("res %+v", res)
	}
	f = hosttest.New().On(`systemctl show`, svcAnswer("loaded", "failed", "enabled")).
		On(`systemctl start`, host.Result{ExitCode: 1, Stderr: "Job for nginx.service failed.\n"})
	res = apply(t, newModule(t, "service", "name: nginx\nstate: started"), f, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "Job for nginx.service failed") {
		t.Fatalf("res %+v", res)
	}
}

func TestServiceSysvinit(t *testing.T) {
	facts := map[string]any{"os_family": "Debian", "pkg_mgr": "apt", "service_mgr": "sysvinit", "distribution": "Debian", "distribution_major_version": "12"}
	f := hosttest.New().On(`init.d`, host.Result{Stdout: "active=inactive\nenabled=disabled\n"})
	res := apply(t, newModule(t, "service", "name: ipvsadm\nstate: started\nenabled: true"), f, testEnv(facts, nil))
	if !res.Changed {
		t.Fatalf("res %+v", res)
	}
	goldenShell(t, "core/service_sysvinit", f.Commands(), false)
}

func TestServiceSysvinitLocal(t *testing.T) {
	// The sysvinit query runs under a real shell: a missing init script is
	// reported as not found.
	facts := map[string]any{"os_family": "Debian", "pkg_mgr": "apt", "service_mgr": "sysvinit"}
	res := apply(t, newModule(t, "service", "name: lvslab-no-such-service\nstate: started"), &localExec{}, testEnv(facts, nil))
	if !res.Failed || !strings.Contains(res.Msg, "could not find") {
		t.Fatalf("res %+v", res)
	}
}

func TestServiceValidation(t *testing.T) {
	for args, want := range map[string]string{
		"state: started":              "name is required",
		"name: nginx":                 "give state, enabled or both",
		"name: nginx\nstate: up":      `state "up"`,
		"name: 'a b'\nstate: started": "invalid service name",
	} {
		if _, err := newModuleErr("service", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", args, err, want)
		}
	}
	if _, err := newModuleErr("service", "daemon_reload: true"); err != nil {
		t.Errorf("daemon_reload alone: %v", err)
	}
}

func TestServiceNotFoundInCheckModeIsSkipped(t *testing.T) {
	f := hosttest.New().On(`systemctl show`, svcAnswer("not-found", "inactive", ""))
	env := testEnv(debian12, nil)
	env.Check = true
	res := apply(t, newModule(t, "service", "name: nginx\nstate: started"), f, env)
	if res.Failed || !res.Skipped {
		t.Fatalf("res %+v", res)
	}
}
