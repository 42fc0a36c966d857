package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// labInventory is a lab inventory whose director and real server are the
// real sshd servers d and rs; line 4 onwards hold the lab variables, one a
// line, so that a test can replace one (the line of key) with a bad value.
func labInventory(d, rs *sshtest.Server) (string, map[string]int) {
	lines := []string{
		"all:",
		"  vars:",
		"    ansible_user: root",
		"    lvs_mode: nat",
		"    vip: 10.0.0.1",
		"    vip_dr: 10.0.0.2",
		"    vip_ports: [80, 443]",
		"    scheduler: wrr",
		"    fwmark_scheduler: rr",
		"    persistence_timeout: 0",
		"    fwmark: 99",
		"    vip_device: eth0",
		"    sites:",
		"      - {name: www.example.com, root: /app/website1}",
		"  children:",
		"    director:",
		"      hosts:",
		"        lvs-server:",
		"          dip: 192.168.30.1",
	}
	for k, v := range d.Vars() {
		lines = append(lines, fmt.Sprintf("          %s: %q", k, fmt.Sprint(v)))
	}
	lines = append(lines, "    realservers:", "      hosts:", "        rs01:", "          weight: 1", "          rip: 192.168.30.7")
	for k, v := range rs.Vars() {
		lines = append(lines, fmt.Sprintf("          %s: %q", k, fmt.Sprint(v)))
	}
	at := map[string]int{}
	for i, l := range lines {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			if _, dup := at[k]; !dup {
				at[k] = i + 1
			}
		}
	}
	at["sites"]++ // the value's line: the list under the key
	return strings.Join(lines, "\n") + "\n", at
}

// TestLabVariablesValidated: every lab variable that would go into a
// command or a configuration file on a host is checked before the first
// connection: lint (of the shipped playbooks), up and verify exit 4 with
// the variable and its file:line in the inventory, and sshd sees no login.
func TestLabVariablesValidated(t *testing.T) {
	t.Parallel()
	d, rs := sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{})
	shipped, err := filepath.Abs("../../playbooks")
	if err != nil {
		t.Fatal(err)
	}
	good, at := labInventory(d, rs)
	dir := t.TempDir()
	// up runs a harmless site.yml: a failed check must not run the lab's.
	if err := os.Mkdir(filepath.Join(dir, "harmless"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "harmless/site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {msg: reached}\n")
	writeFile(t, dir, "inv.yml", good)
	if out, stderr, code, _ := bounded(t, 60*time.Second, dir, "lint", "-i", "inv.yml", filepath.Join(shipped, "site.yml")); code != 0 {
		t.Fatalf("lint of the good inventory: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, tc := range []struct{ key, value, want string }{
		{"vip", `"1.2.3.4;id"`, "not an IPv4 address"},
		{"vip", `"10.0.0.1 -s rr"`, "not an IPv4 address"},
		{"vip_dr", `"::1"`, "not an IPv4 address"},
		{"dip", `"192.168.30.1/24"`, "not an IPv4 address"},
		{"rip", `"$(reboot)"`, "not an IPv4 address"},
		{"vip_ports", `[80, 0]`, "out of range"},
		{"vip_ports", `[80, "80;id"]`, "not a whole number"},
		{"vip_ports", `65536`, "out of range"},
		{"weight", `70000`, "out of range"},
		{"weight", `-1`, "out of range"},
		{"weight", `1.5`, "not a whole number"},
		{"scheduler", `"wrr; reboot"`, "not an ipvsadm scheduler"},
		{"fwmark_scheduler", `bogus`, "not an ipvsadm scheduler"},
		{"fwmark", `0`, "out of range"},
		{"fwmark", `4294967296`, "out of range"},
		{"persistence_timeout", `"300 -x"`, "not a whole number"},
		{"vip_device", `"eth0 down"`, "not a network interface name"},
		{"vip_device", `averyveryverylongname`, "not a network interface name"},
		{"sites", `      - {name: "a.com; location / { root /etc; }", root: /app/website1}`, "sites[0].name"},
		{"sites", `      - {name: www.example.com, root: "/app; location /x { root /etc"}`, "sites[0].root"},
		{"sites", `      - {name: www.example.com, root: /app/../../etc}`, "sites[0].root"},
		{"sites", `      - {name: www.example.com, root: app/website1}`, "sites[0].root"},
		{"sites", `      - {name: www.example.com, root: "/app/web site"}`, "sites[0].root"},
		{"sites", `      - {name: www.example.com, root: "/app/#x"}`, "sites[0].root"},
	} {
		lines := strings.Split(good, "\n")
		n := at[tc.key]
		if tc.key == "sites" {
			lines[n-1] = tc.value
		} else {
			k, _, _ := strings.Cut(lines[n-1], ":")
			lines[n-1] = k + ": " + tc.value
		}
		writeFile(t, dir, "bad.yml", strings.Join(lines, "\n"))
		place := fmt.Sprintf("bad.yml:%d:", n)
		for _, args := range [][]string{
			{"lint", "-i", "bad.yml", filepath.Join(shipped, "site.yml")},
			{"lint", "-i", "bad.yml", filepath.Join(shipped, "nat.yml"), filepath.Join(shipped, "dr.yml"), filepath.Join(shipped, "fwmark.yml")},
			{"up", "-i", "bad.yml", "--playbooks", filepath.Join(dir, "harmless")},
			{"verify", "-i", "bad.yml"},
			{"run", "-i", "bad.yml", filepath.Join(dir, "harmless", "site.yml")},
		} {
			out, stderr, code, _ := bounded(t, 60*time.Second, dir, args...)
			if code != 4 || !strings.Contains(stderr, place) || !strings.Contains(stderr, tc.key) || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s %s with %s: exit %d, want 4 and %q at %s:\n%s\n%s", args[0], tc.key, tc.value, code, tc.want, place, out, stderr)
			}
		}
	}
	// -e gives a value too: the error names -e.
	_, stderr, code, _ := bounded(t, 60*time.Second, dir, "up", "-i", "inv.yml", "--playbooks", filepath.Join(dir, "harmless"), "-e", "vip=1.2.3.4;id")
	if code != 4 || !strings.Contains(stderr, "-e vip") {
		t.Errorf("-e vip: exit %d, want 4 naming -e vip:\n%s", code, stderr)
	}
	if c := d.Connections() + rs.Connections(); c != 0 {
		t.Errorf("%d logins: bad lab variables must be refused before connecting", c)
	}
}

// TestShippedInventoriesValidate: the example inventories pass the checks.
func TestShippedInventoriesValidate(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../inventory/*")
	if len(files) == 0 {
		t.Skip("no shipped inventories")
	}
	site, _ := filepath.Abs("../../playbooks/site.yml")
	for _, f := range files {
		abs, _ := filepath.Abs(f)
		if st, err := os.Stat(abs); err != nil || st.IsDir() {
			continue
		}
		out, stderr, code, _ := bounded(t, 60*time.Second, t.TempDir(), "lint", "-i", abs, site)
		if code != 0 {
			t.Errorf("lint -i %s: exit %d\n%s\n%s", f, code, out, stderr)
		}
	}
}
