package facts

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const debianOut = `id=debian
id_like=
version_id=12
name=Debian GNU/Linux
kernel=6.1.0-28-amd64
arch=x86_64
hostname=rs01
pkg=apt-get
svc=systemd
ipvs=true
route=default via 192.168.30.106 dev eth0 onlink
addr=1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
addr=2: eth0    inet 192.168.30.107/24 brd 192.168.30.255 scope global eth0\       valid_lft forever
link=1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536
link=2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500
`

func TestParseDebian(t *testing.T) {
	f := Parse(debianOut)
	for k, want := range map[string]any{
		"os_family": "Debian", "distribution": "Debian", "distribution_major_version": "12",
		"pkg_mgr": "apt", "service_mgr": "systemd", "hostname": "rs01", "ipvs": true,
	} {
		if f[k] != want {
			t.Errorf("%s = %#v, want %#v", k, f[k], want)
		}
	}
	def := f["default_ipv4"].(map[string]any)
	if def["gateway"] != "192.168.30.106" || def["interface"] != "eth0" || def["address"] != "192.168.30.107" {
		t.Errorf("default_ipv4 = %v", def)
	}
	ifs := f["interfaces"].([]any)
	if len(ifs) != 2 || ifs[1] != "eth0" {
		t.Errorf("interfaces = %v", ifs)
	}
}

func TestParseRocky(t *testing.T) {
	f := Parse("id=rocky\nid_like=rhel centos fedora\nversion_id=9.3\npkg=dnf\nsvc=systemd\nipvs=false\n")
	if f["os_family"] != "RedHat" || f["pkg_mgr"] != "dnf" || f["distribution_major_version"] != "9" || f["ipvs"] != false {
		t.Errorf("facts = %v", f)
	}
}

// TestScriptAsIpPrintsIt runs Script on this machine: its one ip -batch
// must yield exactly the lines of the three ip commands run one by one.
func TestScriptAsIpPrintsIt(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command")
	}
	out, err := exec.Command("sh", "-c", Script).Output()
	if err != nil {
		t.Fatalf("Script: %v", err)
	}
	lines := func(prefix string, args ...string) []string {
		b, err := exec.Command("ip", args...).Output()
		if err != nil {
			t.Fatalf("ip %v: %v", args, err)
		}
		var l []string
		for _, s := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if s != "" {
				l = append(l, prefix+s)
			}
		}
		return l
	}
	want := lines("addr=", "-o", "-4", "addr", "show")
	want = append(want, lines("link=", "-o", "link", "show")...)
	if r := lines("route=", "-o", "-4", "route", "show", "default"); len(r) > 0 {
		want = append(want, r[0])
	}
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "addr=") || strings.HasPrefix(l, "link=") || strings.HasPrefix(l, "route=") {
			got = append(got, l)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Script's network lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	f := Parse(string(out))
	if f["kernel"] == "" || f["hostname"] == "" || f["architecture"] == "" {
		t.Errorf("kernel, hostname or architecture missing: %v", f)
	}
}
