package lab

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"gopkg.in/yaml.v3"

	"lvslab/internal/golden"
)

func TestTopologyDefault(t *testing.T) {
	hosts, err := Topology(DefaultName, 2, KindVM)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{ // name: service address, management address
		"lvs-server": {VIP, "10.254.0.6"},
		"rs01":       {"192.168.30.107", "10.254.0.107"},
		"rs02":       {"192.168.30.7", "10.254.0.7"},
		"client":     {Client, "10.254.0.100"},
	}
	if len(hosts) != len(want) {
		t.Fatalf("got %d hosts, want %d", len(hosts), len(want))
	}
	for _, h := range hosts {
		w, ok := want[h.Name]
		if !ok {
			t.Fatalf("unexpected host %s", h.Name)
		}
		if h.ServiceAddr() != w[0] || h.MgmtAddr() != w[1] {
			t.Errorf("%s: service %s mgmt %s, want %s %s", h.Name, h.ServiceAddr(), h.MgmtAddr(), w[0], w[1])
		}
	}
	d := hosts[0]
	if d.Kind != KindVM || d.Netns != "" || d.addrOn(BridgePrivate) != DIP || len(d.NICs) != 3 {
		t.Errorf("director: %+v", d)
	}
	if d.NICs[0].MAC == "" || d.NICs[0].Gateway != RouterPublic {
		t.Errorf("director eth0: %+v", d.NICs[0])
	}
	if hosts[1].Netns != "lvslab-rs01" || hosts[1].NICs[0].Gateway != RouterPrivate {
		t.Errorf("rs01: %+v", hosts[1])
	}
}

func TestTopologyManyRealServers(t *testing.T) {
	hosts, err := Topology(DefaultName, MaxRealServers, KindContainer)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, h := range hosts {
		for _, n := range h.NICs {
			if len(n.Port) > 15 {
				t.Errorf("%s: port name %q longer than 15 bytes", h.Name, n.Port)
			}
			for _, key := range []string{n.IP(), n.Port} {
				if o, dup := seen[key]; dup {
					t.Errorf("%s and %s share %s", o, h.Name, key)
				}
				seen[key] = h.Name
			}
			if ip := net.ParseIP(n.IP()); ip == nil || n.IP() == VIPDR || n.IP() == RouterPrivate {
				t.Errorf("%s: bad address %s", h.Name, n.IP())
			}
		}
	}
	for _, n := range []int{0, -1, MaxRealServers + 1} {
		if _, err := Topology(DefaultName, n, KindVM); err == nil {
			t.Errorf("Topology(%d) did not fail", n)
		}
	}
	if _, err := Topology(DefaultName, 2, "docker"); err == nil {
		t.Error("Topology with an unknown director kind did not fail")
	}
}

// testLab is a lab with fixed keys, paths and time, for golden files.
func testLab(t *testing.T) (*Lab, map[string]keyPair) {
	t.Helper()
	hosts, err := Topology(DefaultName, 2, KindVM)
	if err != nil {
		t.Fatal(err)
	}
	l := &Lab{
		Paths:    Paths{Name: DefaultName, Dir: "/work/my lab/.lvslab", Cache: "/c", Data: "/d", Run: "/r"},
		Director: KindVM, Hosts: hosts, HostKeys: map[string]string{},
		Created: time.Date(2025, 5, 20, 10, 0, 0, 0, time.UTC),
	}
	keys := map[string]keyPair{}
	for _, h := range hosts {
		kp, err := newKeyPair("root@" + h.Name)
		if err != nil {
			t.Fatal(err)
		}
		keys[h.Name] = kp
		l.HostKeys[h.Name] = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(kp.Public)))
	}
	return l, keys
}

func TestInventory(t *testing.T) {
	l, _ := testLab(t)
	inv := inventoryYAML(l)
	golden.Check(t, filepath.Join("testdata", "inventory.yml"), []byte(inv))

	var doc struct {
		All struct {
			Vars     map[string]any `yaml:"vars"`
			Children map[string]struct {
				Hosts map[string]map[string]any `yaml:"hosts"`
			} `yaml:"children"`
		} `yaml:"all"`
	}
	if err := yaml.Unmarshal([]byte(inv), &doc); err != nil {
		t.Fatalf("inventory is not YAML: %v", err)
	}
	v := doc.All.Vars
	if v["vip"] != VIP || v["vip_dr"] != VIPDR || v["lvs_mode"] != "nat" || v["fwmark"] != 99 || v["ssl"] != false {
		t.Errorf("vars: %v", v)
	}
	if v["ansible_ssh_private_key_file"] != "/work/my lab/.lvslab/id_ed25519" {
		t.Errorf("key file: %v", v["ansible_ssh_private_key_file"])
	}
	if !strings.Contains(v["ansible_ssh_common_args"].(string), "UserKnownHostsFile='/work/my lab/.lvslab/known_hosts'") {
		t.Errorf("ssh args: %v", v["ansible_ssh_common_args"])
	}
	if sites, _ := v["sites"].([]any); len(sites) < 2 {
		t.Errorf("sites: %v", v["sites"])
	}
	rs := doc.All.Children["realservers"].Hosts
	if len(rs) != 2 || rs["rs02"]["rip"] != "192.168.30.7" || rs["rs02"]["weight"] != 1 {
		t.Errorf("realservers: %v", rs)
	}
	for g, c := range doc.All.Children {
		for name, hv := range c.Hosts {
			if hv["lvslab_netns"] != DefaultName || hv["ansible_host"] == nil {
				t.Errorf("%s/%s: %v", g, name, hv)
			}
		}
	}
	if d := doc.All.Children["director"].Hosts["lvs-server"]; d["dip"] != DIP {
		t.Errorf("director: %v", d)
	}
}

func TestKnownHosts(t *testing.T) {
	l, keys := testLab(t)
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(knownHosts(l)), 0o644); err != nil {
		t.Fatal(err)
	}
	cb, err := knownhosts.New(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range l.Hosts {
		for _, addr := range []string{h.MgmtAddr(), h.ServiceAddr()} {
			tcp := &net.TCPAddr{IP: net.ParseIP(addr), Port: 22}
			if err := cb(addr+":22", tcp, keys[h.Name].Public); err != nil {
				t.Errorf("%s at %s: %v", h.Name, addr, err)
			}
		}
	}
	// Another host's key is refused.
	rs := l.Hosts[1]
	err = cb(rs.MgmtAddr()+":22", &net.TCPAddr{IP: net.ParseIP(rs.MgmtAddr()), Port: 22}, keys["client"].Public)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		t.Errorf("wrong key accepted: %v", err)
	}
}

func TestHostFiles(t *testing.T) {
	l, keys := testLab(t)
	h := l.Hosts[1]
	files := hostFiles(h, "0123456789abcdef0123456789abcdef", keys[h.Name], keys["client"], l.Hosts)
	golden.Check(t, filepath.Join("testdata", "rs01.interfaces"), []byte(interfaces(h)))
	golden.Check(t, filepath.Join("testdata", "rs01.hosts"), []byte(etcHosts(h, l.Hosts)))

	var buf bytes.Buffer
	if err := writeTar(&buf, files); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%512 != 0 {
		t.Errorf("tar is %d bytes, not whole sectors", buf.Len())
	}
	tr := tar.NewReader(&buf)
	got := map[string]int64{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s owned by %d:%d", hdr.Name, hdr.Uid, hdr.Gid)
		}
		got[hdr.Name] = hdr.Mode
		if hdr.Name == "etc/ssh/ssh_host_ed25519_key" {
			b, _ := io.ReadAll(tr)
			if _, err := ssh.ParsePrivateKey(b); err != nil {
				t.Errorf("host key: %v", err)
			}
		}
	}
	for name, mode := range map[string]int64{
		"etc/ssh/ssh_host_ed25519_key": 0o600, "root/.ssh/": 0o700,
		"root/.ssh/authorized_keys": 0o600, "etc/hostname": 0o644,
	} {
		if got[name] != mode {
			t.Errorf("%s: mode %o, want %o", name, got[name], mode)
		}
	}
}

func TestWriteTreeKeepsLowerModes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	lower, upper := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(lower, "root"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(lower, "root"), 0o700)
	files := []file{
		{Path: "root/.ssh", Mode: 0o700, Dir: true},
		{Path: "root/.ssh/authorized_keys", Mode: 0o600, Data: []byte("k\n")},
		{Path: "etc/new/dir/f", Mode: 0o644, Data: []byte("x")},
	}
	if err := writeTree(upper, lower, files); err != nil {
		t.Fatal(err)
	}
	for rel, mode := range map[string]os.FileMode{
		"root": 0o700, "root/.ssh": 0o700, "root/.ssh/authorized_keys": 0o600, "etc/new/dir": 0o755, "etc/new/dir/f": 0o644,
	} {
		st, err := os.Stat(filepath.Join(upper, rel))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: %v, want %v", rel, st.Mode().Perm(), mode)
		}
	}
}

func TestUserKeyCreatedOnceAnd0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id_ed25519")
	old := umask(0)
	defer umask(old)
	kp1, _, err := userKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode: %v %v", st.Mode(), err)
	}
	kp2, _, err := userKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kp1.Public.Marshal(), kp2.Public.Marshal()) {
		t.Error("second call made a new key")
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := ssh.ParseAuthorizedKey(pub); err != nil {
		t.Errorf("public key: %v", err)
	}
}

func TestPrereqErrorNamesPackages(t *testing.T) {
	e := &PrereqError{NotRoot: true, Missing: []string{"systemd-nspawn", "qemu-system-x86_64"}, Packages: []string{"qemu-system-x86", "systemd-container"}}
	msg := e.Error()
	for _, want := range []string{"needs root", "apt-get install qemu-system-x86 systemd-container", "systemd-nspawn"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/var/lib/lvslab/hosts/rs01/root`: "/var/lib/lvslab/hosts/rs01/root",
		`/my\040lab/x`:                    "/my lab/x",
		`/trailing\04`:                    `/trailing\04`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	pr := newProgress(&buf)
	done := pr.Step("debootstrap %s", "bookworm")
	done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "[   0.0s] debootstrap bookworm ...") || !strings.Contains(lines[1], "done in") {
		t.Errorf("progress:\n%s", buf.String())
	}
}

// TestTopologyDirectors checks the lab of --ha: two directors, each a VM
// (or container) on both bridges with its own addresses, the VIP and DIP
// left free to float; the inventory names them and turns lvs_ha on.
func TestTopologyDirectors(t *testing.T) {
	hosts, err := TopologyWith(DefaultName, 2, 2, KindVM)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []Host
	for _, h := range hosts {
		if h.Group == GroupDirector {
			dirs = append(dirs, h)
		}
		for _, n := range h.NICs {
			if ip := n.IP(); ip == VIP || ip == DIP {
				t.Errorf("%s holds the floating %s", h.Name, ip)
			}
		}
	}
	if len(dirs) != 2 || dirs[0].Name != "lvs-server" || dirs[1].Name != "lvs-server2" {
		t.Fatalf("directors %+v", dirs)
	}
	for _, d := range dirs {
		if d.Kind != KindVM || d.addrOn(BridgePublic) == "" || d.addrOn(BridgePrivate) == "" || d.MgmtAddr() == "" {
			t.Errorf("director %s: %+v", d.Name, d)
		}
	}
	if dirs[0].MgmtAddr() == dirs[1].MgmtAddr() || dirs[0].NICs[0].MAC == dirs[1].NICs[0].MAC || dirs[0].NICs[1].Port == dirs[1].NICs[1].Port {
		t.Errorf("the directors share an address, a MAC or a port: %+v %+v", dirs[0], dirs[1])
	}
	seen := map[string]string{}
	for _, h := range hosts {
		for _, n := range h.NICs {
			if other, dup := seen[n.IP()]; dup {
				t.Errorf("%s and %s both have %s", other, h.Name, n.IP())
			}
			seen[n.IP()] = h.Name
		}
	}
	inv := inventoryYAML(&Lab{Paths: NamedPaths(DefaultName), Hosts: hosts})
	for _, want := range []string{"lvs_ha: true", "        lvs-server: {", "        lvs-server2: {", "dip: " + DIP} {
		if !strings.Contains(inv, want) {
			t.Errorf("inventory lacks %q:\n%s", want, inv)
		}
	}
	if one, _ := Topology(DefaultName, 2, KindVM); strings.Contains(inventoryYAML(&Lab{Paths: NamedPaths(DefaultName), Hosts: one}), "lvs_ha") {
		t.Error("a one-director lab turns lvs_ha on")
	}
	for _, n := range []int{0, MaxDirectors + 1} {
		if _, err := TopologyWith(DefaultName, 2, n, KindVM); err == nil {
			t.Errorf("--directors %d accepted", n)
		}
	}
}
