package facts

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"reflect"
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
route=8.8.8.8 via 192.168.30.106 dev eth0 src 192.168.30.107 uid 0 \    cache
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
	if r := lines("route=", "-o", "-4", "route", "get", "8.8.8.8"); len(r) > 0 {
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

// TestParseMatchesAnsible compares Parse of Script's output on a machine
// with what Ansible's setup said there (testdata/oracle.sh recorded both).
func TestParseMatchesAnsible(t *testing.T) {
	out, err := os.ReadFile("testdata/script-output.txt")
	if err != nil {
		t.Fatal(err)
	}
	compareWithAnsible(t, Parse(string(out)))
}

// TestGatherHereMatchesAnsible does the same with Script run now, when this
// is the machine the oracle was recorded on.
func TestGatherHereMatchesAnsible(t *testing.T) {
	want := oracle(t)
	out, err := exec.Command("sh", "-c", Script).Output()
	if err != nil {
		t.Fatalf("Script: %v", err)
	}
	f := Parse(string(out))
	if f["hostname"] != want["hostname"] || f["kernel"] != want["kernel"] {
		t.Skipf("not the machine testdata/ansible-setup.json was recorded on (%v %v)", want["hostname"], want["kernel"])
	}
	compareWithAnsible(t, f)
}

func oracle(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/ansible-setup.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	return want
}

// compareWithAnsible checks every fact the oracle recorded: interfaces as a
// set (setup lists them in /sys's order), memtotal_mb within 1%, the rest
// exactly, values in their JSON shapes.
func compareWithAnsible(t *testing.T, f map[string]any) {
	t.Helper()
	want := oracle(t)
	var got map[string]any
	b, _ := json.Marshal(f)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		g := got[k]
		switch k {
		case "interfaces":
			names := []string{}
			for _, n := range g.([]any) {
				names = append(names, n.(string))
			}
			slices.Sort(names)
			g = names
			w = toStrings(w.([]any))
		case "memtotal_mb":
			if gf, ok := g.(float64); !ok || math.Abs(gf-w.(float64)) > w.(float64)/100 {
				t.Errorf("memtotal_mb = %v, setup says %v", g, w)
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %s\nsetup says %s", k, js(g), js(w))
		}
	}
}

func toStrings(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = v.(string)
	}
	return out
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestParseLabelsAndSecondaries: a DR real server's VIP on lo:0, a
// director's VIP as a secondary alias eth0:0, a bridge with a dash in its
// name, as setup names and shapes them.
func TestParseLabelsAndSecondaries(t *testing.T) {
	out := `route=8.8.8.8 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0 \    cache
link=1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
link=2: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff link-netnsid 0
link=3: br-lan: <BROADCAST,MULTICAST,PROMISC,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff
addr=1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
addr=1: lo    inet 172.17.1.6/32 scope global lo:0\       valid_lft forever preferred_lft forever
addr=2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\       valid_lft forever preferred_lft forever
addr=2: eth0    inet 10.0.0.100/24 scope global secondary eth0:0\       valid_lft forever preferred_lft forever
addr=3: br-lan    inet 192.168.9.1/24 brd 192.168.9.255 scope global br-lan\       valid_lft forever preferred_lft forever
sys=/sys/class/net/br-lan/bridge
sys=/sys/class/net/br-lan/brif/eth1
`
	f := Parse(out)
	if got := js(f["interfaces"]); got != `["lo","eth0","br-lan","lo_0","eth0_0"]` {
		t.Errorf("interfaces = %s", got)
	}
	if got := js(f["lo_0"]); got != `{"ipv4":{"address":"172.17.1.6","broadcast":"","netmask":"255.255.255.255","network":"172.17.1.6","prefix":"32"}}` {
		t.Errorf("lo_0 = %s", got)
	}
	if got := js(f["lo"].(map[string]any)["ipv4"]); got != `{"address":"127.0.0.1","broadcast":"","netmask":"255.0.0.0","network":"127.0.0.0","prefix":"8"}` {
		t.Errorf("lo.ipv4 = %s", got)
	}
	sec := `[{"address":"10.0.0.100","broadcast":"","netmask":"255.255.255.0","network":"10.0.0.0","prefix":"24"}]`
	if got := js(f["eth0"].(map[string]any)["ipv4_secondaries"]); got != sec {
		t.Errorf("eth0.ipv4_secondaries = %s", got)
	}
	if got := js(f["eth0_0"]); got != `{"ipv4_secondaries":`+sec+`}` {
		t.Errorf("eth0_0 = %s", got)
	}
	br := f["br_lan"].(map[string]any)
	if br["type"] != "bridge" || br["promisc"] != true || js(br["interfaces"]) != `["eth1"]` || br["device"] != "br-lan" {
		t.Errorf("br_lan = %s", js(br))
	}
	def := js(f["default_ipv4"])
	if def != `{"address":"10.0.0.5","alias":"eth0","broadcast":"10.0.0.255","gateway":"10.0.0.1","interface":"eth0","macaddress":"52:54:00:12:34:56","mtu":1500,"netmask":"255.255.255.0","network":"10.0.0.0","prefix":"24","type":"ether"}` {
		t.Errorf("default_ipv4 = %s", def)
	}
	if got := js(f["all_ipv4_addresses"]); got != `["172.17.1.6","10.0.0.5","192.168.9.1","10.0.0.100"]` {
		t.Errorf("all_ipv4_addresses = %s", got)
	}
	if got := js(f["addresses"]); got != `{"br-lan":["192.168.9.1/24"],"eth0":["10.0.0.5/24","10.0.0.100/24"],"lo":["127.0.0.1/8","172.17.1.6/32"]}` {
		t.Errorf("addresses = %s", got)
	}
}

// TestParseNoDefaultRoute: setup's default_ipv4 is empty then.
func TestParseNoDefaultRoute(t *testing.T) {
	if got := js(Parse("link=1: lo: <LOOPBACK,UP> mtu 65536 state UNKNOWN\\ link/loopback 00:00:00:00:00:00\n")["default_ipv4"]); got != "{}" {
		t.Errorf("default_ipv4 = %s", got)
	}
}

func TestProcessors(t *testing.T) {
	for line, want := range map[string]string{
		"2 1 2 2":  `{"processor_cores":2,"processor_count":1,"processor_nproc":2,"processor_threads_per_core":1,"processor_vcpus":2}`,
		"16 2 4 8": `{"processor_cores":4,"processor_count":2,"processor_nproc":16,"processor_threads_per_core":2,"processor_vcpus":16}`,
		"4 0 0 0":  `{"processor_cores":1,"processor_count":4,"processor_nproc":4,"processor_threads_per_core":1,"processor_vcpus":4}`, // ARM: no physical id
	} {
		if got := js(processors(line)); got != want {
			t.Errorf("processors(%q) = %s, want %s", line, got, want)
		}
	}
}

// TestVars: ansible_NAME for each fact, none for Own or a connection
// variable's name, ansible_facts and facts one map.
func TestVars(t *testing.T) {
	f := map[string]any{"os_family": "Debian", "host": map[string]any{"device": "host"}, "addresses": map[string]any{}, "ipvs": true}
	v := Vars(f)
	if v["ansible_os_family"] != "Debian" || v["ansible_host"] != nil || v["ansible_addresses"] != nil || v["ansible_ipvs"] != nil {
		t.Errorf("Vars = %v", v)
	}
	if reflect.ValueOf(v["facts"]).Pointer() != reflect.ValueOf(f).Pointer() || reflect.ValueOf(v["ansible_facts"]).Pointer() != reflect.ValueOf(f).Pointer() {
		t.Errorf("facts and ansible_facts are not the gathered map")
	}
	if m, _ := Vars(nil)["ansible_facts"].(map[string]any); m == nil {
		t.Errorf("ansible_facts of no facts = %v, want {}", Vars(nil)["ansible_facts"])
	}
}
