package module

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
)

func routeStdout(routes, prev string, prevRC int, unit string, unitRC int, enabled string) string {
	return probeOutput(fakeProbe{"routes", routes, 0}, fakeProbe{"prev", prev, prevRC},
		fakeProbe{"unit", unit, unitRC}, fakeProbe{"enabled", enabled, 0})
}

func TestRouteFake(t *testing.T) {
	gwArgs := "{destination: default, gateway: 192.168.30.106, device: eth0}"
	w, err := newModule(t, "route", gwArgs).(*Route).want()
	if err != nil {
		t.Fatal(err)
	}
	unit := w.unitText()
	dhcp := "default via 192.168.30.1 dev eth0 proto dhcp src 192.168.30.107 metric 100\n"
	ours := "default via 192.168.30.106 dev eth0\n"
	cases := []struct {
		name, args, stdout string
		changed            bool
	}{
		{"route_converged", gwArgs, routeStdout(ours+dhcp, "default via 192.168.30.1 dev eth0 proto dhcp src 192.168.30.107 metric 100", 0, unit, 0, "enabled"), false},
		{"route_default_replace", gwArgs, routeStdout(dhcp, "", 1, "", 1, ""), true},
		{"route_default_restore", "{destination: default, gateway: 192.168.30.106, device: eth0, state: absent, restore: true}",
			routeStdout(ours+dhcp, "default via 192.168.30.1 dev eth0 proto dhcp src 192.168.30.107 metric 100 linkdown", 0, unit, 0, "enabled"), true},
		{"route_restored", "{destination: default, gateway: 192.168.30.106, state: absent, restore: true}", routeStdout(dhcp, "", 1, "", 1, ""), false},
		{"route_host", "{destination: 172.17.100.100, device: lo, persist: false}", routeStdout("", "", 1, "", 1, ""), true},
		{"route_net_metric", "{destination: 10.8.0.0/16, gateway: 172.17.1.1, metric: 50}", routeStdout("10.8.0.0/16 via 172.17.1.1 dev eth0 metric 10\n", "", 1, "", 1, ""), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := probeFake(c.stdout)
			res := apply(t, newModule(t, "route", c.args), f, familyEnv("Debian"))
			if res.Changed != c.changed || res.Failed {
				t.Fatalf("changed=%v failed=%v msg=%q data=%v", res.Changed, res.Failed, res.Msg, res.Data)
			}
			if !c.changed {
				if len(f.Calls) != 1 {
					t.Fatalf("%d calls", len(f.Calls))
				}
				return
			}
			goldenShell(t, "lab/"+c.name, f.Calls, true)
			f = probeFake(c.stdout)
			if res := apply(t, newModule(t, "route", c.args), f, &Env{Check: true}); !res.Changed || len(f.Calls) != 1 {
				t.Fatalf("check mode: changed=%v calls=%d", res.Changed, len(f.Calls))
			}
		})
	}
}

func TestRouteReplaceArgs(t *testing.T) {
	got := routeReplaceArgs("default via 192.168.30.1 dev eth0 proto dhcp src 192.168.30.107 metric 100 linkdown onlink")
	if got != "default via 192.168.30.1 dev eth0 proto dhcp src 192.168.30.107 metric 100 onlink" {
		t.Errorf("got %s", got)
	}
}

func TestRouteValidate(t *testing.T) {
	for args, want := range map[string]string{
		"{destination: default, gateway: 10.0.0.1, restore: true}": "restore goes with state absent",
		"{destination: 10.0.0.0/8, state: absent, restore: true}":  "restore goes with",
		"{destination: default, device: 'lo:0'}":                   "not a label",
		"{destination: '::/0', gateway: 10.0.0.1}":                 "different families",
		"{destination: default, gateway: nope}":                    "not an IP address",
	} {
		m := &Route{}
		if err := Decode(yamlNode(t, args), m); err != nil {
			t.Fatal(err)
		}
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}

func TestRouteInNetns(t *testing.T) {
	e := netnsExec(t)
	ctx := context.Background()
	if r, err := e.Run(ctx, "ip link add d0 type veth peer name d1 && ip link set d0 up && ip link set d1 up && ip addr add 10.0.0.5/24 dev d0 && ip route add default via 10.0.0.1", host.RunOpts{}); err != nil || r.ExitCode != 0 {
		t.Fatalf("setup: %v %s", err, r.Stderr)
	}
	prev := filepath.Join(t.TempDir(), "lvslab", "route-default.prev")
	run := func(args string) (Result, int) {
		t.Helper()
		m := newModule(t, "route", args).(*Route)
		m.prevFile = prev
		rec := &counting{Executor: e}
		res, err := m.Apply(ctx, rec, familyEnv("Debian"))
		if err != nil || res.Failed {
			t.Fatalf("%s: %v %q", args, err, res.Msg)
		}
		return res, rec.n
	}
	def := func() string {
		r, _ := e.Run(ctx, "ip route show default", host.RunOpts{})
		return strings.TrimSpace(r.Stdout)
	}
	nat := "{destination: default, gateway: 10.0.0.106, device: d0, persist: false}"
	down := "{destination: default, gateway: 10.0.0.106, device: d0, state: absent, restore: true, persist: false}"
	if res, _ := run(nat); !res.Changed || !strings.HasPrefix(def(), "default via 10.0.0.106 dev d0") {
		t.Fatalf("replace: changed=%v default=%q", res.Changed, def())
	}
	if b, err := os.ReadFile(prev); err != nil || !strings.HasPrefix(string(b), "default via 10.0.0.1 dev d0") {
		t.Fatalf("prev file: %v %q", err, b)
	}
	if res, n := run(nat); res.Changed || n != 1 {
		t.Fatalf("second run: changed=%v calls=%d", res.Changed, n)
	}
	if res, _ := run(down); !res.Changed || !strings.HasPrefix(def(), "default via 10.0.0.1 dev d0") {
		t.Fatalf("restore: changed=%v default=%q", res.Changed, def())
	}
	if _, err := os.Stat(prev); !os.IsNotExist(err) {
		t.Errorf("prev file left: %v", err)
	}
	if res, n := run(down); res.Changed || n != 1 {
		t.Fatalf("restore twice: changed=%v calls=%d", res.Changed, n)
	}
	host32 := "{destination: 172.17.100.100, device: d0, persist: false}"
	for i, want := range []bool{true, false} {
		if res, _ := run(host32); res.Changed != want {
			t.Fatalf("host route run %d: changed=%v", i, res.Changed)
		}
	}
	if res, _ := run(strings.Replace(host32, "}", ", state: absent}", 1)); !res.Changed {
		t.Fatal("host route not deleted")
	}
}
