// Package ipvs is the kernel's IPVS table as values: virtual services and
// their real servers, with Equal and String, parsed from and formatted to
// what ipvsadm prints — the rules of -S (ipvsadm-save), the listing of -Ln,
// the counters of -Ln --stats and --rate, and the connections of -Lnc. It
// does no I/O: the ipvs module diffs a declared Service against the ParseSave
// of the live table, and package lvs reads the director's listings for
// status, verify and load.
//
// One spelling everywhere: a service's Key is the one ipvsadm -Ln prints
// ("TCP 172.17.1.6:80", "FWM 99"), a real server's is its address and port.
package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Forwarding is how the director forwards packets to a real server.
type Forwarding string

// The forwarding methods.
const (
	NAT    Forwarding = "nat"   // masquerading, -m
	Direct Forwarding = "dr"    // direct routing (gatewaying), -g
	Tunnel Forwarding = "tun"   // IP-in-IP tunnelling, -i
	Local  Forwarding = "local" // a real server on the director itself; -g in rules, Local in -Ln
)

// Flag returns the ipvsadm switch of f.
func (f Forwarding) Flag() string {
	switch f {
	case NAT:
		return "-m"
	case Tunnel:
		return "-i"
	}
	return "-g"
}

// ListName returns f as ipvsadm -Ln prints it: Masq, Route, Tunnel or Local.
func (f Forwarding) ListName() string {
	for name, fwd := range listForwarding {
		if fwd == f {
			return name
		}
	}
	return string(f)
}

// listForwarding maps the Forward column of ipvsadm -Ln to Forwarding.
var listForwarding = map[string]Forwarding{"Masq": NAT, "Route": Direct, "Tunnel": Tunnel, "Local": Local}

// Counters are the five numbers ipvsadm prints per service and real
// server: with --stats Conns, InPkts, OutPkts, InBytes, OutBytes; with
// --rate the same per second (CPS, InPPS, OutPPS, InBPS, OutBPS).
type Counters [5]uint64

// The indexes of Counters.
const (
	Conns = iota
	InPkts
	OutPkts
	InBytes
	OutBytes
)

// Sub returns c minus earlier, counter by counter; a counter that went
// down (the service was made anew) counts from zero.
func (c Counters) Sub(earlier Counters) Counters {
	var d Counters
	for i := range c {
		if c[i] >= earlier[i] {
			d[i] = c[i] - earlier[i]
		} else {
			d[i] = c[i]
		}
	}
	return d
}

// Dest is one real server of a virtual service: its settings, and what
// the kernel reports of it (connections, counters), which Equal ignores.
type Dest struct {
	Addr       netip.AddrPort
	Forwarding Forwarding
	Weight     int
	UThreshold int    // -x, 0 = none
	LThreshold int    // -y, 0 = none
	TunType    string // --tun-type other than the default ipip (gue, gre)
	TunPort    int    // --tun-port
	TunCsum    string // nocsum, csum or remcsum (--tun-...)

	ActiveConns   int      // -Ln ActiveConn
	InactiveConns int      // -Ln InActConn
	Stats         Counters // --stats
	Rate          Counters // --rate
}

// Key identifies d within its service: its address and port.
func (d Dest) Key() string { return d.Addr.String() }

// Args returns the ipvsadm arguments of d's settings, for -a and -e.
func (d Dest) Args() []string {
	a := []string{"-r", d.Addr.String(), d.Forwarding.Flag(), "-w", strconv.Itoa(d.Weight)}
	if d.UThreshold != 0 {
		a = append(a, "-x", strconv.Itoa(d.UThreshold))
	}
	if d.LThreshold != 0 {
		a = append(a, "-y", strconv.Itoa(d.LThreshold))
	}
	if d.TunType != "" {
		a = append(a, "--tun-type", d.TunType)
	}
	if d.TunPort != 0 {
		a = append(a, "--tun-port", strconv.Itoa(d.TunPort))
	}
	if d.TunCsum != "" {
		a = append(a, "--tun-"+d.TunCsum)
	}
	return a
}

// String returns d's settings as ipvsadm arguments: "-r 10.0.0.2:80 -m -w 1".
func (d Dest) String() string { return strings.Join(d.Args(), " ") }

// Equal reports whether d and o are the same real server with the same
// settings (connections and counters are not compared).
func (d Dest) Equal(o Dest) bool {
	return d.Addr == o.Addr && d.Forwarding == o.Forwarding && d.Weight == o.Weight &&
		d.UThreshold == o.UThreshold && d.LThreshold == o.LThreshold &&
		d.TunType == o.TunType && d.TunPort == o.TunPort && d.TunCsum == o.TunCsum
}

// Service is one virtual service with its real servers: its settings, and
// what the kernel reports of it (counters), which Equal ignores.
type Service struct {
	Protocol   string         // tcp, udp or sctp; empty for a fwmark service
	Addr       netip.AddrPort // VIP:port; zero for a fwmark service
	FWMark     uint32         // firewall mark; 0 for an address service
	IPv6       bool           // a fwmark service of family inet6 (-6)
	Scheduler  string
	Persistent int      // persistence timeout in seconds; 0 = not persistent
	Netmask    string   // persistence granularity; "" = one client address
	PE         string   // persistence engine (--pe)
	OnePacket  bool     // one-packet scheduling (-o)
	SchedFlags []string // scheduler flags (-b)
	Dests      []Dest

	Stats Counters // --stats
	Rate  Counters // --rate
}

// Key identifies s in the table as ipvsadm -Ln names it: "TCP
// 172.17.1.6:80", "UDP [2001:db8::1]:53", "FWM 99", "FWM 99 IPv6".
func (s Service) Key() string {
	if s.FWMark != 0 {
		if s.IPv6 {
			return fmt.Sprintf("FWM %d IPv6", s.FWMark)
		}
		return fmt.Sprintf("FWM %d", s.FWMark)
	}
	return strings.ToUpper(s.Protocol) + " " + s.Addr.String()
}

// serviceFlag is the ipvsadm option naming a service of each protocol.
var serviceFlag = map[string]string{"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}

// ServiceArgs returns the ipvsadm arguments naming s: "-t VIP:PORT" or "-f MARK".
func (s Service) ServiceArgs() []string {
	if s.FWMark != 0 {
		a := []string{"-f", strconv.FormatUint(uint64(s.FWMark), 10)}
		if s.IPv6 {
			a = append(a, "-6")
		}
		return a
	}
	return []string{serviceFlag[s.Protocol], s.Addr.String()}
}

// SpecArgs returns the ipvsadm arguments of s's settings, for -A and -E.
func (s Service) SpecArgs() []string {
	a := []string{"-s", s.Scheduler}
	for _, st := range s.settings() {
		a = append(a, st.option)
		if st.value != "" {
			a = append(a, st.value)
		}
	}
	if len(s.SchedFlags) > 0 {
		a = append(a, "-b", strings.Join(s.SchedFlags, ","))
	}
	return a
}

// setting is one setting of a service besides its scheduler and its
// scheduler flags: its ipvsadm option, the word -Ln prints for it, and its
// value ("" for a switch).
type setting struct{ option, word, value string }

// settings returns the settings of s that are not the default, in the
// order ipvsadm prints them.
func (s Service) settings() []setting {
	var out []setting
	if s.Persistent > 0 {
		out = append(out, setting{"-p", "persistent", strconv.Itoa(s.Persistent)})
		if s.Netmask != "" {
			out = append(out, setting{"-M", "mask", s.Netmask})
		}
	}
	if s.PE != "" {
		out = append(out, setting{"--pe", "pe", s.PE})
	}
	if s.OnePacket {
		out = append(out, setting{"-o", "ops", ""})
	}
	return out
}

// String returns s in ipvsadm-save format: its -A line, then one -a line
// per real server.
func (s Service) String() string {
	var b strings.Builder
	svc := strings.Join(s.ServiceArgs(), " ")
	b.WriteString("-A " + svc + " " + strings.Join(s.SpecArgs(), " "))
	for _, d := range s.Dests {
		b.WriteString("\n-a " + svc + " " + d.String())
	}
	return b.String()
}

// SameSpec reports whether s and o are the same service with the same
// settings, ignoring real servers.
func (s Service) SameSpec(o Service) bool {
	return s.Key() == o.Key() && s.Scheduler == o.Scheduler && s.Persistent == o.Persistent &&
		s.Netmask == o.Netmask && s.PE == o.PE && s.OnePacket == o.OnePacket &&
		slices.Equal(sorted(s.SchedFlags), sorted(o.SchedFlags))
}

// Equal reports whether s and o are the same service with the same
// settings and the same real servers, in any order.
func (s Service) Equal(o Service) bool {
	if !s.SameSpec(o) || len(s.Dests) != len(o.Dests) {
		return false
	}
	for _, d := range s.Dests {
		od, ok := o.Dest(d.Key())
		if !ok || !od.Equal(d) {
			return false
		}
	}
	return true
}

// Dest returns the real server of s with key k.
func (s Service) Dest(k string) (Dest, bool) {
	for _, d := range s.Dests {
		if d.Key() == k {
			return d, true
		}
	}
	return Dest{}, false
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// Table is the virtual services of a director, in the order ipvsadm
// printed them.
type Table []Service

// Find returns the service of t with key k.
func (t Table) Find(k string) (Service, bool) {
	for _, s := range t {
		if s.Key() == k {
			return s, true
		}
	}
	return Service{}, false
}

// Equal reports whether t and o hold the same services (Service.Equal), in
// any order.
func (t Table) Equal(o Table) bool {
	if len(t) != len(o) {
		return false
	}
	for _, s := range t {
		os, ok := o.Find(s.Key())
		if !ok || !s.Equal(os) {
			return false
		}
	}
	return true
}

// String returns t in ipvsadm-save format (FormatSave).
func (t Table) String() string { return FormatSave(t) }

// Schedulers are the schedulers the kernel ships (ipvsadm(8), plus twos
// from Linux 6.2).
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// MaxPersistence is ipvsadm's limit on a persistence timeout, in seconds
// (31 days).
const MaxPersistence = 86400 * 31

// ParseNetmask checks a persistence netmask (a dotted mask for ipv4, a
// prefix length for ipv6) and returns it canonical, "" for a single
// address (255.255.255.255 or 128).
func ParseNetmask(v string, v6 bool) (string, error) {
	if v6 {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 128 {
			return "", fmt.Errorf("bad ipv6 persistence netmask %q (want 1-128)", v)
		}
		if n == 128 {
			return "", nil
		}
		return strconv.Itoa(n), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return "", fmt.Errorf("bad persistence netmask %q", v)
	}
	if a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return "", nil
	}
	return a.String(), nil
}

// parseAddrPort parses "1.2.3.4:80", "[::1]:80", or an address without
// port (taking defPort). hasPort says whether the port was given.
func parseAddrPort(s string, defPort uint16) (ap netip.AddrPort, hasPort bool, err error) {
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		ap, err = netip.ParseAddrPort(s)
		if err != nil {
			return ap, false, fmt.Errorf("bad address %q", s)
		}
		return ap, true, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ap, false, fmt.Errorf("bad address %q", s)
	}
	return netip.AddrPortFrom(a, defPort), false, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
