package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
)

// Network names and addresses of the lab. They follow the tutorial the
// project grew from; the management segment is the lab's own addition, so
// that no LVS mode (which moves default routes and VIPs around) can cut the
// controller off a host.
const (
	// DefaultName is the name of the lab unless told otherwise. A lab's name
	// is also its network namespace, the one holding the bridges, from
	// which the controller dials every host; each container's namespace is
	// NAME-HOST.
	DefaultName = "lvslab"

	BridgePublic  = "lvs-pub"  // client and the director's VIP side
	BridgePrivate = "lvs-priv" // the director's DIP side and the real servers
	BridgeMgmt    = "lvs-mgmt" // one leg of every host, for SSH and the apt relay

	VIP           = "172.17.1.6"     // NAT VIP: the director's public address
	VIPDR         = "192.168.30.100" // VIP of the dr and fwmark modes, on the private segment
	DIP           = "192.168.30.106" // director's private address
	Client        = "172.17.1.100"   // the client's public address
	RouterPublic  = "172.17.1.254"   // the lab namespace on the public bridge
	RouterPrivate = "192.168.30.254" // the lab namespace on the private bridge
	RouterMgmt    = "10.254.0.254"   // the lab namespace on the management bridge, also the apt relay

	publicPrefix  = 16
	privatePrefix = 24
	mgmtPrefix    = 24
	mgmtNet       = "10.254.0."

	// DirectorName, ClientName are the inventory names of the fixed hosts.
	DirectorName = "lvs-server"
	ClientName   = "client"

	// MaxRealServers bounds --realservers: addresses .107/.7 then .108 up.
	MaxRealServers = 40

	// MaxDirectors bounds --directors. With two or more (for --ha) the
	// VIP and the DIP float between them (keepalived's VRRP): director i
	// (0-based) has its own 172.17.1.(11+i) and 192.168.30.(101+i), and
	// management address 10.254.0.(6-i); it is named lvs-server, then
	// lvs-server2, lvs-server3 ...
	MaxDirectors = 4
)

// DirectorNames are the inventory names of n directors.
func DirectorNames(n int) []string {
	names := []string{DirectorName}
	for i := 2; i <= n; i++ {
		names = append(names, fmt.Sprintf("%s%d", DirectorName, i))
	}
	return names
}

// Groups of the inventory.
const (
	GroupDirector    = "director"
	GroupRealServers = "realservers"
	GroupClients     = "clients"
)

// Kinds of host.
const (
	KindContainer = "container" // systemd-nspawn in its own network namespace
	KindVM        = "vm"        // qemu -accel tcg, attached to the bridges by taps
)

// NIC is one network interface of a host: its name inside the host, the
// bridge it is attached to, its address with prefix and its gateway, if any.
type NIC struct {
	Name    string `json:"name"`   // eth0, eth1, ...
	Bridge  string `json:"bridge"` // lvs-pub, lvs-priv, lvs-mgmt
	Addr    string `json:"addr"`   // address/prefix
	Gateway string `json:"gateway,omitempty"`
	Port    string `json:"port"` // the veth end or tap in the lab namespace
	MAC     string `json:"mac,omitempty"`
}

// IP returns the address of the NIC without its prefix.
func (n NIC) IP() string {
	p, err := netip.ParsePrefix(n.Addr)
	if err != nil {
		return n.Addr
	}
	return p.Addr().String()
}

// Host is one machine of the lab.
type Host struct {
	Name  string `json:"name"`
	Group string `json:"group"`
	Kind  string `json:"kind"`
	// Netns is the host's own network namespace (containers); empty for a VM,
	// whose NICs are taps in the lab's namespace.
	Netns string `json:"netns,omitempty"`
	NICs  []NIC  `json:"nics"`
	// Weight is a real server's weight in the inventory.
	Weight int `json:"weight,omitempty"`
}

// MgmtAddr is the address the controller dials, from the lab's namespace.
func (h Host) MgmtAddr() string {
	for _, n := range h.NICs {
		if n.Bridge == BridgeMgmt {
			return n.IP()
		}
	}
	return ""
}

// ServiceAddr is the host's address on the lab's public or private segment:
// the VIP of the director, the RIP of a real server, the client's address.
func (h Host) ServiceAddr() string {
	if len(h.NICs) == 0 {
		return ""
	}
	return h.NICs[0].IP()
}

// addrOn returns the host's address on bridge, or "".
func (h Host) addrOn(bridge string) string {
	for _, n := range h.NICs {
		if n.Bridge == bridge {
			return n.IP()
		}
	}
	return ""
}

// realServerOctet is the last octet of real server i (0-based): the
// tutorial's .107 and .7, then .108, .109, ...
func realServerOctet(i int) int {
	switch i {
	case 0:
		return 107
	case 1:
		return 7
	default:
		return 106 + i
	}
}

// Topology returns the hosts of the lab name with n real servers and one
// director, a container or a VM (kind).
func Topology(name string, n int, directorKind string) ([]Host, error) {
	return TopologyWith(name, n, 1, directorKind)
}

// TopologyWith returns the hosts of the lab name with n real servers and
// directors directors (see MaxDirectors), each a container or a VM (kind)
// on both bridges; the real servers are containers.
func TopologyWith(name string, n, directors int, directorKind string) ([]Host, error) {
	return TopologyKinds(name, n, directors, directorKind, KindContainer)
}

// TopologyKinds is TopologyWith with the real servers' kind too: containers,
// or VMs (their own kernel, for the tun mode's tunl0 where the machine's
// kernel has no ipip), with the same addresses, names and NICs.
func TopologyKinds(name string, n, directors int, directorKind, rsKind string) ([]Host, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxRealServers {
		return nil, invalidf("--realservers %d: want 1 to %d", n, MaxRealServers)
	}
	if directorKind != KindContainer && directorKind != KindVM {
		return nil, invalidf("director kind %q: want %s or %s", directorKind, KindContainer, KindVM)
	}
	if rsKind != KindContainer && rsKind != KindVM {
		return nil, invalidf("real server kind %q: want %s or %s", rsKind, KindContainer, KindVM)
	}
	if directors < 1 || directors > MaxDirectors {
		return nil, invalidf("--directors %d: want 1 to %d", directors, MaxDirectors)
	}
	var hosts []Host
	if directors == 1 {
		hosts = append(hosts, newHost(name, DirectorName, GroupDirector, directorKind, 6, []nicSpec{
			{BridgePublic, fmt.Sprintf("%s/%d", VIP, publicPrefix), RouterPublic},
			{BridgePrivate, fmt.Sprintf("%s/%d", DIP, privatePrefix), ""},
		}))
	}
	for i, dn := range DirectorNames(directors) {
		if directors == 1 {
			break
		}
		hosts = append(hosts, newHost(name, dn, GroupDirector, directorKind, 6-i, []nicSpec{
			{BridgePublic, fmt.Sprintf("172.17.1.%d/%d", 11+i, publicPrefix), RouterPublic},
			{BridgePrivate, fmt.Sprintf("192.168.30.%d/%d", 101+i, privatePrefix), ""},
		}))
	}
	for i := 0; i < n; i++ {
		o := realServerOctet(i)
		h := newHost(name, fmt.Sprintf("rs%02d", i+1), GroupRealServers, rsKind, o, []nicSpec{
			{BridgePrivate, fmt.Sprintf("192.168.30.%d/%d", o, privatePrefix), RouterPrivate},
		})
		h.Weight = 1
		hosts = append(hosts, h)
	}
	hosts = append(hosts, newHost(name, ClientName, GroupClients, KindContainer, 100, []nicSpec{
		{BridgePublic, fmt.Sprintf("%s/%d", Client, publicPrefix), RouterPublic},
	}))
	return hosts, nil
}

type nicSpec struct{ bridge, addr, gw string }

// newHost builds a host whose NICs are the given ones plus the management
// leg (mgmtNet.octet) last, named eth0, eth1, ... in that order.
func newHost(lab, name, group, kind string, octet int, specs []nicSpec) Host {
	specs = append(specs, nicSpec{BridgeMgmt, fmt.Sprintf("%s%d/%d", mgmtNet, octet, mgmtPrefix), ""})
	h := Host{Name: name, Group: group, Kind: kind}
	if kind == KindContainer {
		h.Netns = lab + "-" + name
	}
	for i, s := range specs {
		nic := NIC{
			Name:    fmt.Sprintf("eth%d", i),
			Bridge:  s.bridge,
			Addr:    s.addr,
			Gateway: s.gw,
			Port:    portName(name, s.bridge),
		}
		if kind == KindVM {
			// 52:54:00 is qemu's prefix; then segment and the host's octet.
			nic.MAC = fmt.Sprintf("52:54:00:%02x:%02x:%02x", i, octet/256, octet%256)
		}
		h.NICs = append(h.NICs, nic)
	}
	return h
}

// portName is the name of a host's port in the lab namespace: the host's
// name and the segment, e.g. rs01-priv, lvs-server-mgmt (at most 15 bytes).
func portName(host, bridge string) string {
	seg := bridge[len("lvs-"):]
	name := host + "-" + seg
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

// checkName accepts lab names of lower-case letters and digits: no dash,
// so that the namespaces NAME-HOST of one lab never match another's.
func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return invalidf("lab name %q: want a lower-case letter, then up to 11 letters or digits", name)
	}
	return nil
}

// ErrInvalid marks a bad option (lab name, number of real servers,
// director kind): errors.Is(err, ErrInvalid) holds for them.
var ErrInvalid = errors.New("invalid lab option")

type invalidError string

func (e invalidError) Error() string        { return string(e) }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error { return invalidError(fmt.Sprintf(format, args...)) }
