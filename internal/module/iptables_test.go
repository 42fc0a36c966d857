package module

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
)

const iptMarkArgs = "{table: mangle, chain: PREROUTING, destination: 172.17.100.100, protocol: tcp, destination_port: 80, jump: MARK, set_mark: 99}"

func iptStdout(checkRC int, running, saved string, persister int, family string) string {
	probes := []fakeProbe{{"check", "", checkRC}, {"family", family, 0}, {"running", running, 0}}
	for _, fam := range []string{"Debian", "RedHat"} {
		probes = append(probes, fakeProbe{"saved_" + fam, saved, 0}, fakeProbe{"persister_" + fam, "", persister})
	}
	return probeOutput(probes...)
}

func TestIPTablesFake(t *testing.T) {
	cases := []struct {
		name, args, family string
		checkRC            int
		saved              string
		persister          int
		changed            bool
		warn               bool
	}{
		{"iptables_converged", iptMarkArgs, "Debian", 0, "111 22", 0, false, false},
		{"iptables_mark_add", iptMarkArgs, "Debian", 1, "111 22", 0, true, false},
		{"iptables_resave", iptMarkArgs, "Debian", 0, "999 1", 0, true, false},
		{"iptables_absent", "{chain: INPUT, protocol: tcp, destination_port: 8080, in_interface: eth1, jump: DROP, comment: \"lab: no 8080\", state: absent}", "Debian", 0, "111 22", 0, true, false},
		{"iptables_redhat_insert", "{table: nat, chain: PREROUTING, action: insert, destination: 10.0.0.1, protocol: tcp, destination_port: '8000:8080', jump: DNAT, to_destination: '192.168.1.5:80'}", "RedHat", 1, "111 22", 1, true, true},
		{"iptables_nosave", "{chain: FORWARD, source: '!10.0.0.0/8', jump: ACCEPT, save: false}", "Debian", 1, "", 0, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := probeFake(iptStdout(c.checkRC, "111 22", c.saved, c.persister, c.family))
			res := apply(t, newModule(t, "iptables", c.args), f, &Env{})
			if res.Changed != c.changed || res.Failed {
				t.Fatalf("changed=%v failed=%v msg=%q", res.Changed, res.Failed, res.Msg)
			}
			if w, _ := res.Data["warnings"].([]string); (len(w) > 0) != c.warn {
				t.Errorf("warnings %q", w)
			}
			if !c.changed {
				if len(f.Calls) != 1 {
					t.Fatalf("converged took %d calls", len(f.Calls))
				}
				return
			}
			goldenShell(t, "lab/"+c.name, f.Calls, true)
			f = probeFake(iptStdout(c.checkRC, "111 22", c.saved, c.persister, c.family))
			res = apply(t, newModule(t, "iptables", c.args), f, &Env{Check: true})
			if !res.Changed || len(f.Calls) != 1 {
				t.Fatalf("check mode: changed=%v calls=%d", res.Changed, len(f.Calls))
			}
		})
	}
}

func TestIPTablesCheckError(t *testing.T) {
	f := probeFake(iptStdout(2, "", "", 0, "Debian"))
	res := apply(t, newModule(t, "iptables", iptMarkArgs), f, familyEnv("Debian"))
	if !res.Failed || len(f.Calls) != 1 {
		t.Fatalf("failed=%v calls=%d", res.Failed, len(f.Calls))
	}
}

func TestIPTablesCheckModeBeforeIptablesIsInstalled(t *testing.T) {
	env := familyEnv("Debian")
	env.Check = true
	f := probeFake(iptStdout(127, "", "", 0, "Debian"))
	if res := apply(t, newModule(t, "iptables", iptMarkArgs), f, env); res.Failed || !res.Changed || len(f.Calls) != 1 {
		t.Fatalf("check mode without iptables: failed=%v changed=%v calls=%d", res.Failed, res.Changed, len(f.Calls))
	}
	f = probeFake(iptStdout(127, "", "", 0, "Debian"))
	if res := apply(t, newModule(t, "iptables", iptMarkArgs), f, familyEnv("Debian")); !res.Failed {
		t.Fatal("a real run without iptables must fail")
	}
}

func TestIPTablesRuleSpec(t *testing.T) {
	w, err := newModule(t, "iptables", "{chain: INPUT, protocol: tcp, source: '!10.0.0.0/8', destination_port: 443, comment: \"it's https\", jump: ACCEPT}").(*IPTables).want()
	if got := w.cmd("-C"); err != nil || got != `iptables -t filter -C INPUT -p tcp '!' -s 10.0.0.0/8 --dport 443 -m comment --comment 'it'"'"'s https' -j ACCEPT` {
		t.Errorf("cmd: %s", got)
	}
}

func TestIPTablesInNetns(t *testing.T) {
	e := netnsExec(t, "iptables", "iptables-save")
	ctx := context.Background()
	rules := filepath.Join(t.TempDir(), "iptables", "rules.v4")
	env := familyEnv("Debian")
	apply := func(args string, check bool) (Result, int) {
		t.Helper()
		m := newModule(t, "iptables", args).(*IPTables)
		m.rulesPath = rules
		rec := &counting{Executor: e}
		env.Check = check
		res, err := m.Apply(ctx, rec, env)
		if err != nil || res.Failed {
			t.Fatalf("%s: %v %q %v", args, err, res.Msg, res.Data)
		}
		return res, rec.n
	}
	listing := func(table string) string {
		res, err := e.Run(ctx, "iptables -t "+table+" -S", host.RunOpts{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Stdout
	}
	mark443 := strings.Replace(iptMarkArgs, "80", "443", 1)
	for _, args := range []string{iptMarkArgs, mark443} {
		if res, n := apply(args, true); !res.Changed || n != 1 {
			t.Fatalf("check mode: changed=%v calls=%d", res.Changed, n)
		}
		if res, n := apply(args, false); !res.Changed || n != 2 {
			t.Fatalf("add: changed=%v calls=%d", res.Changed, n)
		}
		if res, n := apply(args, false); res.Changed || n != 1 {
			t.Fatalf("second run: changed=%v calls=%d commands=%v", res.Changed, n, res.Data["commands"])
		}
	}
	got := listing("mangle")
	for _, port := range []string{"80", "443"} {
		if !strings.Contains(got, "-A PREROUTING -d 172.17.100.100/32 -p tcp -m tcp --dport "+port+" -j MARK --set-xmark 0x63/0xffffffff") {
			t.Errorf("rule for port %s missing:\n%s", port, got)
		}
	}
	saved, err := os.ReadFile(rules)
	if err != nil || !strings.Contains(string(saved), "--dport 443 -j MARK") {
		t.Fatalf("saved rules: %v\n%s", err, saved)
	}
	if fi, _ := os.Stat(rules); fi.Mode().Perm() != 0o600 {
		t.Errorf("rules file mode %v", fi.Mode())
	}
	for _, args := range []string{
		"{table: nat, chain: PREROUTING, action: insert, destination: 10.0.0.1, protocol: tcp, destination_port: '8000:8080', jump: DNAT, to_destination: '192.168.1.5:80'}",
		"{chain: INPUT, protocol: tcp, source: '!10.0.0.0/8', destination_port: 443, in_interface: lo, comment: \"it's https\", jump: ACCEPT}",
	} {
		if res, _ := apply(args, false); !res.Changed {
			t.Fatalf("%s not added", args)
		}
		if res, n := apply(args, false); res.Changed || n != 1 {
			t.Fatalf("%s: second run changed=%v calls=%d", args, res.Changed, n)
		}
	}
	if res, _ := apply(strings.Replace(iptMarkArgs, "}", ", state: absent}", 1), false); !res.Changed {
		t.Fatal("absent: no change")
	}
	if res, n := apply(strings.Replace(iptMarkArgs, "}", ", state: absent}", 1), false); res.Changed || n != 1 {
		t.Fatalf("absent twice: changed=%v calls=%d", res.Changed, n)
	}
	if strings.Contains(listing("mangle"), "--dport 80 ") {
		t.Error("rule not deleted")
	}
	if saved, _ := os.ReadFile(rules); strings.Contains(string(saved), "--dport 80 ") {
		t.Error("deleted rule still saved")
	}
}
