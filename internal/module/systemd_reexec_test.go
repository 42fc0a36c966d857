package module

import (
	"strings"
	"testing"

	"lvslab/internal/host/hosttest"
)

// systemd's daemon_reexec alone (as community.mongodb's mongodb_linux
// writes it) runs systemctl daemon-reexec, is no change, and runs nothing
// in check mode; with a name it comes after daemon-reload, in the query.
func TestSystemdDaemonReexec(t *testing.T) {
	f := hosttest.New()
	res := apply(t, newModule(t, "systemd", "daemon_reexec: yes"), f, testEnv(debian12, nil))
	if res.Changed || res.Failed || len(f.Commands()) != 1 || f.Commands()[0] != "systemctl daemon-reexec" {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	env := testEnv(debian12, nil)
	env.Check = true
	f = hosttest.New()
	if res := apply(t, newModule(t, "systemd", "daemon-reexec: true"), f, env); res.Changed || len(f.Commands()) != 0 {
		t.Fatalf("check mode: res %+v calls %q", res, f.Commands())
	}
	f = hosttest.New().On(`systemctl show`, svcAnswer("loaded", "active", "enabled"))
	res = apply(t, newModule(t, "systemd", "name: nginx\nstate: started\ndaemon_reload: true\ndaemon_reexec: true"), f, testEnv(debian12, nil))
	q := f.Commands()[0]
	if res.Changed || len(f.Commands()) != 1 || !strings.HasPrefix(q, "systemctl daemon-reload || exit 1\nsystemctl daemon-reexec || exit 1\n") {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	f = hosttest.New()
	apply(t, newModule(t, "systemd", "daemon_reload: true\ndaemon_reexec: true"), f, testEnv(debian12, nil))
	if got := f.Commands(); len(got) != 1 || got[0] != "systemctl daemon-reload && systemctl daemon-reexec" {
		t.Fatalf("calls %q", got)
	}
}
