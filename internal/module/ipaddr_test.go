package module

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"lvslab/internal/host"
)

const ipaddrShow = `1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
1: lo    inet 172.17.100.100/32 scope global lo:0\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host \       valid_lft forever preferred_lft forever
3: d0    inet 10.0.0.5/24 brd 10.0.0.255 scope global noprefixroute d0\       valid_lft forever preferred_lft forever
3: d0    inet 172.17.100.100/32 brd 172.17.100.100 scope global d0:0\       valid_lft forever preferred_lft forever
2: eth0    inet 192.168.1.10/24 metric 100 brd 192.168.1.255 scope global secondary dynamic eth0\       valid_lft 86000sec preferred_lft 86000sec
3: d0    inet6 fe80::78ac:e5ff:fecc:13e4/64 scope link tentative \       valid_lft forever preferred_lft forever
`

func TestAddrParse(t *testing.T) {
	p := netip.MustParsePrefix
	want := []addrLive{
		{prefix: p("127.0.0.1/8"), label: "lo"},
		{prefix: p("172.17.100.100/32"), label: "lo:0"},
		{prefix: p("::1/128")},
		{prefix: p("10.0.0.5/24"), label: "d0", broadcast: "10.0.0.255", noPrefixRoute: true},
		{prefix: p("172.17.100.100/32"), label: "d0:0", broadcast: "172.17.100.100"},
		{prefix: p("192.168.1.10/24"), label: "eth0", broadcast: "192.168.1.255"},
		{prefix: p("fe80::78ac:e5ff:fecc:13e4/64")},
	}
	if got := addrParse(ipaddrShow); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

const ipaddrVIPArgs = "{address: 172.17.100.100/32, device: eth0, label: 'eth0:0', broadcast: 172.17.100.100}"

func ipaddrStdout(addrs, ssh, unit string, unitRC int, enabled string) string {
	return probeOutput(fakeProbe{"addrs", addrs, 0}, fakeProbe{"ssh", ssh, 0},
		fakeProbe{"unit", unit, unitRC}, fakeProbe{"enabled", enabled, 0})
}

func TestIPAddressFake(t *testing.T) {
	w, err := newModule(t, "ip_address", ipaddrVIPArgs).(*IPAddress).want()
	if err != nil {
		t.Fatal(err)
	}
	unit := w.unitText()
	base := "2: eth0    inet 172.17.1.6/24 brd 172.17.1.255 scope global eth0\\       valid_lft forever preferred_lft forever\n"
	vip := "2: eth0    inet 172.17.100.100/32 brd 172.17.100.100 scope global eth0:0\\       valid_lft forever preferred_lft forever\n"
	ssh := "172.17.1.100 51000 172.17.1.6 22"
	cases := []struct {
		name, args, stdout string
		changed, failed    bool
	}{
		{"ipaddr_converged", ipaddrVIPArgs, ipaddrStdout(base+vip, ssh, unit, 0, "enabled"), false, false},
		{"ipaddr_add", ipaddrVIPArgs, ipaddrStdout(base, ssh, "", 1, ""), true, false},
		{"ipaddr_enable_only", ipaddrVIPArgs, ipaddrStdout(base+vip, ssh, unit, 0, "disabled"), true, false},
		{"ipaddr_relabel", ipaddrVIPArgs, ipaddrStdout(base+strings.Replace(vip, "eth0:0", "eth0", 1), ssh, unit, 0, "enabled"), true, false},
		{"ipaddr_ssh_guard", "{address: 172.17.1.6/24, device: eth0, label: 'eth0:9'}", ipaddrStdout(base, ssh, "", 1, ""), false, true},
		{"ipaddr_absent", "{address: 172.17.100.100, device: eth0, state: absent}", ipaddrStdout(base+vip, ssh, unit, 0, "enabled"), true, false},
		{"ipaddr_absent_done", "{address: 172.17.100.100, device: eth0, state: absent}", ipaddrStdout(base, ssh, "", 1, ""), false, false},
		{"ipaddr_lo_nopersist", "{address: 172.17.100.100, prefix: 32, device: lo, label: 'lo:0', persist: false}",
			ipaddrStdout("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever", "", "", 1, ""), true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := probeFake(c.stdout)
			res := apply(t, newModule(t, "ip_address", c.args), f, familyEnv("Debian"))
			if res.Changed != c.changed || res.Failed != c.failed {
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
			if res := apply(t, newModule(t, "ip_address", c.args), f, &Env{Check: true}); !res.Changed || len(f.Calls) != 1 {
				t.Fatalf("check mode: changed=%v calls=%d", res.Changed, len(f.Calls))
			}
		})
	}
	f := probeFake(probeOutput(fakeProbe{"addrs", `Device "eth9" does not exist.`, 1}))
	if res := apply(t, newModule(t, "ip_address", "{address: 10.1.1.1, device: eth9}"), f, familyEnv("Debian")); !res.Failed {
		t.Error("missing device did not fail")
	}
}

func TestIPAddressInNetns(t *testing.T) {
	e := netnsExec(t)
	ctx := context.Background()
	if _, err := e.Run(ctx, "ip link add d0 type veth peer name d1 && ip link set d0 up && ip link set d1 up && ip addr add 10.0.0.5/24 dev d0", host.RunOpts{}); err != nil {
		t.Fatal(err)
	}
	run := func(args string) (Result, int) {
		t.Helper()
		rec := &counting{Executor: e}
		res, err := newModule(t, "ip_address", args).Apply(ctx, rec, familyEnv("Debian"))
		if err != nil || res.Failed {
			t.Fatalf("%s: %v %q", args, err, res.Msg)
		}
		return res, rec.n
	}
	show := func(dev string) string {
		r, _ := e.Run(ctx, "ip -o -4 addr show dev "+dev, host.RunOpts{})
		return r.Stdout
	}
	vip := "{address: 172.17.100.100/32, device: d0, label: 'd0:0', broadcast: 172.17.100.100, persist: false}"
	steps := []struct {
		args    string
		changed bool
		check   func(string) bool
	}{
		{vip, true, func(s string) bool {
			return strings.Contains(s, "172.17.100.100/32 brd 172.17.100.100 scope global d0:0")
		}},
		{vip, false, nil},
		{strings.Replace(vip, "'d0:0'", "'d0:1'", 1), true, func(s string) bool { return strings.Contains(s, "scope global d0:1") }},
		{"{address: 172.17.100.100, device: d0, state: absent, persist: false}", true, func(s string) bool { return !strings.Contains(s, "172.17.100.100") }},
		{"{address: 172.17.100.100, device: d0, state: absent, persist: false}", false, nil},
		{"{address: 172.17.100.100/32, device: lo, label: 'lo:0', persist: false}", true, nil},
		{"{address: 172.17.100.100/32, device: lo, label: 'lo:0', persist: false}", false, nil},
	}
	for i, s := range steps {
		res, n := run(s.args)
		if res.Changed != s.changed || (!s.changed && n != 1) {
			t.Fatalf("step %d: changed=%v calls=%d commands=%v", i, res.Changed, n, res.Data["commands"])
		}
		if s.check != nil && !s.check(show("d0")) {
			t.Fatalf("step %d: addresses:\n%s", i, show("d0"))
		}
	}
	if !strings.Contains(show("lo"), "172.17.100.100/32 scope global lo:0") {
		t.Errorf("lo:\n%s", show("lo"))
	}
}
