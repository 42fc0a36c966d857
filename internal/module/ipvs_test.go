package module

import (
	"strings"
	"testing"

	"lvslab/internal/host"
)

const ipvsNATArgs = `
address: 172.17.1.6
port: 80
scheduler: wrr
realservers:
  - {address: 192.168.30.107, forwarding: nat, weight: 1}
  - {address: 192.168.30.7, forwarding: nat, weight: 1}
`

const ipvsOtherService = "-A -t 10.9.9.9:443 -s rr\n-a -t 10.9.9.9:443 -r 10.9.9.10:443 -g -w 1\n"

// ipvsHost is the state of a faked director.
type ipvsHost struct {
	table, conns, saved, auto, enabled, sysctlFile, modulesFile string
	sysctl                                                      string
	tableRC                                                     int
	redhat                                                      bool
}

// ipvsConverged is a Debian director on which table is live and persisted.
func ipvsConverged(table string) ipvsHost {
	return ipvsHost{table: table, saved: "# ipvsadm.rules\n" + table, auto: `AUTO="true"`, sysctl: ipvsSysctlsSet,
		sysctlFile: ipvsSysctl, modulesFile: ipvsModules}
}

func (s ipvsHost) stdout() string {
	rules, rulesRH := fakeProbe{"rules_debian", s.saved, 0}, fakeProbe{"rules_redhat", "", 1}
	family := "Debian"
	if s.redhat {
		rules, rulesRH = fakeProbe{"rules_debian", "", 1}, fakeProbe{"rules_redhat", s.saved, 0}
		family = "RedHat"
	}
	return probeOutput(
		fakeProbe{"table", s.table, s.tableRC},
		fakeProbe{"sysctl", s.sysctl, 0},
		fakeProbe{"family", family, 0},
		fakeProbe{"conns", s.conns, 0},
		rules, fakeProbe{"auto_debian", s.auto, 0}, rulesRH,
		fakeProbe{"enabled_redhat", s.enabled, 0},
		fakeProbe{"sysctl_file", s.sysctlFile, 0},
		fakeProbe{"modules_file", s.modulesFile, 0},
	)
}

func TestIPVSConvergedIsOneRoundTrip(t *testing.T) {
	table := ipvsOtherService + "-A -t 172.17.1.6:80 -s wrr\n-a -t 172.17.1.6:80 -r 192.168.30.7:80 -m -w 1\n-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 1\n"
	for _, check := range []bool{false, true} {
		f := probeFake(ipvsConverged(table).stdout())
		env := familyEnv("Debian")
		env.Check = check
		res := apply(t, newModule(t, "ipvs", ipvsNATArgs), f, env)
		if res.Changed || res.Failed || len(f.Calls) != 1 {
			t.Fatalf("check=%v: changed=%v failed=%v msg=%q calls=%q", check, res.Changed, res.Failed, res.Msg, f.Calls)
		}
	}
	f := probeFake(ipvsConverged(table).stdout())
	apply(t, newModule(t, "ipvs", ipvsNATArgs), f, familyEnv("Debian"))
	goldenShell(t, "lab/ipvs_inspect", f.Calls, true)
}

func TestIPVSChanges(t *testing.T) {
	natLive := "-A -t 172.17.1.6:80 -s wrr\n-a -t 172.17.1.6:80 -r 192.168.30.7:80 -m -w 1\n-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 1\n"
	cases := []struct {
		name, args string
		host       ipvsHost
		family     string
		want       string // substring of Msg
	}{
		{"ipvs_fresh_debian", ipvsNATArgs, ipvsHost{sysctl: "expire_nodest_conn=0\nconn_reuse_mode=1"}, "Debian", "added TCP 172.17.1.6:80"},
		{"ipvs_fresh_redhat", ipvsNATArgs, ipvsHost{sysctl: "expire_nodest_conn=0\nconn_reuse_mode=1", redhat: true}, "RedHat", "added 192.168.30.7:80"},
		{"ipvs_drift", `
address: 172.17.1.6
port: 80
scheduler: rr
persistent: 600
netmask: 255.255.255.0
realservers:
  - {address: 192.168.30.107, forwarding: nat, weight: 3}
  - {address: 192.168.30.8, forwarding: nat}
`, ipvsConverged(ipvsOtherService + natLive), "Debian", "edited TCP 172.17.1.6:80; edited 192.168.30.107:80; added 192.168.30.8:80; removed 192.168.30.7:80"},
		{"ipvs_drain", `
address: 172.17.1.6
port: 80
scheduler: wrr
drain: true
realservers: [{address: 192.168.30.107, forwarding: nat}]
`, func() ipvsHost {
			h := ipvsConverged(natLive + "-a -t 172.17.1.6:80 -r 192.168.30.9:80 -m -w 0\n-a -t 172.17.1.6:80 -r 192.168.30.10:80 -m -w 0\n")
			h.conns = "TCP  172.17.1.6:80 wrr\n  -> 192.168.30.9:80 Masq 0 4 0\n  -> 192.168.30.10:80 Masq 0 0 7\n"
			return h
		}(), "Debian", "draining 192.168.30.7:80; 192.168.30.9:80 still draining (4 active); removed 192.168.30.10:80"},
		{"ipvs_absent", "{address: 172.17.1.6, port: 80, state: absent}", ipvsConverged(ipvsOtherService + natLive), "Debian", "deleted TCP 172.17.1.6:80"},
		{"ipvs_fwmark", `
fwmark: 99
scheduler: rr
persistent: 300
realservers: [{address: 172.17.1.7}, {address: 172.17.22.22}]
`, ipvsConverged(ipvsOtherService), "Debian", "added FWM 99"},
		{"ipvs_resave_only", ipvsNATArgs, func() ipvsHost {
			h := ipvsConverged(natLive)
			h.saved, h.auto, h.modulesFile = "# ipvsadm.rules\n-A -t 172.17.1.6:80 -s wrr\n", `AUTO="false"`, ""
			return h
		}(), "Debian", ""},
		{"ipvs_nosave", ipvsNATArgs + "save: false\n", ipvsHost{sysctl: ipvsSysctlsSet}, "Debian", "added TCP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := probeFake(c.host.stdout())
			res := apply(t, newModule(t, "ipvs", c.args), f, familyEnv(c.family))
			if !res.Changed || res.Failed || len(f.Calls) != 2 || !strings.Contains(res.Msg, c.want) {
				t.Fatalf("changed=%v failed=%v msg=%q calls=%d", res.Changed, res.Failed, res.Msg, len(f.Calls))
			}
			goldenShell(t, "lab/"+c.name, f.Calls, true)

			// check mode: the same verdict from the inspect command alone
			f = probeFake(c.host.stdout())
			env := familyEnv(c.family)
			env.Check = true
			cres := apply(t, newModule(t, "ipvs", c.args), f, env)
			if !cres.Changed || len(f.Calls) != 1 || cres.Msg != res.Msg {
				t.Fatalf("check mode: changed=%v calls=%q", cres.Changed, f.Calls)
			}
			if cmds, _ := cres.Data["commands"].([]string); len(cmds) == 0 {
				t.Error("check mode registers no commands")
			}
		})
	}
}

func TestIPVSDrainingOnlyIsNotAChange(t *testing.T) {
	live := "-A -t 172.17.1.6:80 -s wrr\n-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 1\n-a -t 172.17.1.6:80 -r 192.168.30.9:80 -m -w 0\n"
	h := ipvsConverged(live)
	h.conns = "TCP  172.17.1.6:80 wrr\n  -> 192.168.30.9:80 Masq 0 2 0\n"
	f := probeFake(h.stdout())
	res := apply(t, newModule(t, "ipvs", "{address: 172.17.1.6, port: 80, scheduler: wrr, drain: true, realservers: [{address: 192.168.30.107, forwarding: nat}]}"), f, familyEnv("Debian"))
	if res.Changed || len(f.Calls) != 1 || !strings.Contains(res.Msg, "still draining") {
		t.Fatalf("changed=%v msg=%q calls=%d", res.Changed, res.Msg, len(f.Calls))
	}
	if d, _ := res.Data["draining"].([]string); len(d) != 1 {
		t.Errorf("draining %v", res.Data["draining"])
	}
}

func TestIPVSFailures(t *testing.T) {
	f := probeFake(ipvsHost{table: "Can't initialize ipvs: Protocol not available", tableRC: 2}.stdout())
	res := apply(t, newModule(t, "ipvs", ipvsNATArgs), f, familyEnv("Debian"))
	if !res.Failed || !strings.Contains(res.Msg, "Protocol not available") || len(f.Calls) != 1 {
		t.Errorf("failed=%v msg=%q", res.Failed, res.Msg)
	}
	f = probeFake(ipvsHost{sysctl: ipvsSysctlsSet}.stdout())
	f.On(`^umask`, host.Result{ExitCode: 2, Stderr: "Memory allocation problem"})
	res = apply(t, newModule(t, "ipvs", ipvsNATArgs), f, familyEnv("Debian"))
	if !res.Failed || !strings.Contains(res.Msg, "Memory allocation problem") {
		t.Errorf("failed=%v msg=%q", res.Failed, res.Msg)
	}
}

func TestIPVSCheckModeBeforeIpvsadmIsInstalled(t *testing.T) {
	missing := ipvsHost{table: "sh: 1: ipvsadm: not found", tableRC: 127}
	env := familyEnv("Debian")
	env.Check = true
	f := probeFake(missing.stdout())
	res := apply(t, newModule(t, "ipvs", ipvsNATArgs), f, env)
	if res.Failed || !res.Changed || len(f.Calls) != 1 {
		t.Fatalf("check mode without ipvsadm: failed=%v changed=%v msg=%q calls=%q", res.Failed, res.Changed, res.Msg, f.Calls)
	}
	f = probeFake(missing.stdout())
	if res := apply(t, newModule(t, "ipvs", ipvsNATArgs), f, familyEnv("Debian")); !res.Failed {
		t.Fatal("a real run without ipvsadm must fail")
	}
}

func TestIPVSValidate(t *testing.T) {
	for args, want := range map[string]string{
		"{address: 1.2.3.4, port: 80, realservers: [{address: 5.6.7.8, port: 8080, forwarding: dr}]}":   "takes the service port 80",
		"{address: 1.2.3.4, port: 80, realservers: [{address: 5.6.7.8}, {address: 5.6.7.8}]}":           "listed twice",
		"{address: 1.2.3.4, port: 80, netmask: 255.255.255.0}":                                          "netmask needs persistent",
		"{fwmark: 9, address: 1.2.3.4}":                                                                 "fwmark excludes",
		"{address: 1.2.3.4, port: 80, realservers: [{address: '::1'}]}":                                 "not of the VIP's family",
		"{address: 1.2.3.4, port: 80, realservers: [{address: 5.6.7.8, weight: 70000, forwarding: x}]}": "forwarding must be",
		"{address: 1.2.3.4, port: 0}":                                                                   "port must be",
		"{address: 1.2.3.4, port: 80, persistent: 9999999}":                                             "persistent must be",
	} {
		m := &IPVS{}
		if err := Decode(yamlNode(t, args), m); err != nil {
			t.Fatal(err)
		}
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
	w, err := newModule(t, "ipvs", "{fwmark: 99, realservers: [{address: 10.0.0.1}]}").(*IPVS).want()
	if got := w.svc.String(); err != nil || got != "-A -f 99 -s wlc\n-a -f 99 -r 10.0.0.1:0 -g -w 1" {
		t.Errorf("defaults: %s", got)
	}
}

// ipvsSysctlsSet is the sysctl probe's output on a director that has every
// setting of ipvsSysctls.
const ipvsSysctlsSet = "expire_nodest_conn=1\nconn_reuse_mode=3"
