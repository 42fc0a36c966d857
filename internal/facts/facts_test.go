package facts

import "testing"

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
