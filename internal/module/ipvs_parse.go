package module

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The format parsed here is what ipvsadm 1.31 (Debian 12, RHEL 8/9; CentOS 7
// has 1.27) prints for `ipvsadm -S -n` (ipvsadm-save -n), from
// print_service_entry in ipvsadm.c:
//
//	-A -t 172.17.1.6:80 -s wrr
//	-A -f 99 -s rr -p 300 -M 255.255.255.0 --pe sip -o -b sh-fallback,sh-port
//	-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 1
//	-a -f 99 -r 192.168.30.7:0 -g -w 1
//	-a -t 10.0.0.1:80 -r 10.0.1.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum
//
// Service: -t/-u/--sctp-service ADDR:PORT ([v6]:PORT) or -f MARK [-6]; -p only
// when persistent; -M only when not /32 (/128). Older versions printed `ops`
// and `pe NAME` instead of -o and --pe; both are accepted. Real servers:
// forwarding -m/-g/-i (-g also for local), -w always.

// IPVSForwarding is how the director forwards packets to a real server.
type IPVSForwarding string

// The forwarding methods.
const (
	IPVSNAT    IPVSForwarding = "nat" // masquerading, -m
	IPVSDirect IPVSForwarding = "dr"  // direct routing (gatewaying), -g
	IPVSTunnel IPVSForwarding = "tun" // IP-in-IP tunnelling, -i
)

// Flag returns the ipvsadm switch of f.
func (f IPVSForwarding) Flag() string {
	switch f {
	case IPVSNAT:
		return "-m"
	case IPVSTunnel:
		return "-i"
	}
	return "-g"
}

// IPVSDest is one real server of a virtual service.
type IPVSDest struct {
	Addr       netip.AddrPort
	Forwarding IPVSForwarding
	Weight     int
	UThreshold int    // -x, 0 = none
	LThreshold int    // -y, 0 = none
	TunType    string // --tun-type other than the default ipip (gue, gre)
	TunPort    int    // --tun-port
	TunCsum    string // nocsum, csum or remcsum (--tun-...)
}

// Key identifies d within its service.
func (d IPVSDest) Key() string { return d.Addr.String() }

// IPVSService is one virtual service with its real servers: the unit the ipvs
// module declares, diffs and prints in ipvsadm-save format.
type IPVSService struct {
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
	Dests      []IPVSDest
}

// Key identifies s in the table: "tcp 172.17.1.6:80" or "fwmark 99".
func (s IPVSService) Key() string {
	if s.FWMark != 0 {
		if s.IPv6 {
			return fmt.Sprintf("fwmark %d ipv6", s.FWMark)
		}
		return fmt.Sprintf("fwmark %d", s.FWMark)
	}
	return s.Protocol + " " + s.Addr.String()
}

// ServiceArgs returns the ipvsadm arguments naming s: "-t VIP:PORT" or "-f MARK".
func (s IPVSService) ServiceArgs() []string {
	if s.FWMark != 0 {
		a := []string{"-f", strconv.FormatUint(uint64(s.FWMark), 10)}
		if s.IPv6 {
			a = append(a, "-6")
		}
		return a
	}
	flag := map[string]string{"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}[s.Protocol]
	return []string{flag, s.Addr.String()}
}

// SpecArgs returns the ipvsadm arguments of s's settings, for -A and -E.
func (s IPVSService) SpecArgs() []string {
	a := []string{"-s", s.Scheduler}
	if s.Persistent > 0 {
		a = append(a, "-p", strconv.Itoa(s.Persistent))
		if s.Netmask != "" {
			a = append(a, "-M", s.Netmask)
		}
	}
	if s.PE != "" {
		a = append(a, "--pe", s.PE)
	}
	if s.OnePacket {
		a = append(a, "-o")
	}
	if len(s.SchedFlags) > 0 {
		a = append(a, "-b", strings.Join(s.SchedFlags, ","))
	}
	return a
}

// DestArgs returns the ipvsadm arguments of d's settings, for -a and -e.
func (d IPVSDest) DestArgs() []string {
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

// String returns s in ipvsadm-save format: its -A line, then one -a line per real server.
func (s IPVSService) String() string {
	var b strings.Builder
	svc := strings.Join(s.ServiceArgs(), " ")
	b.WriteString("-A " + svc + " " + strings.Join(s.SpecArgs(), " "))
	for _, d := range s.Dests {
		b.WriteString("\n-a " + svc + " " + strings.Join(d.DestArgs(), " "))
	}
	return b.String()
}

// SameSpec reports whether s and o are the same service with the same
// settings, ignoring real servers.
func (s IPVSService) SameSpec(o IPVSService) bool {
	return s.Key() == o.Key() && s.Scheduler == o.Scheduler && s.Persistent == o.Persistent &&
		s.Netmask == o.Netmask && s.PE == o.PE && s.OnePacket == o.OnePacket &&
		slices.Equal(ipvsSorted(s.SchedFlags), ipvsSorted(o.SchedFlags))
}

// Equal reports whether s and o are the same service with the same settings
// and the same real servers, in any order.
func (s IPVSService) Equal(o IPVSService) bool {
	if !s.SameSpec(o) || len(s.Dests) != len(o.Dests) {
		return false
	}
	for _, d := range s.Dests {
		od, ok := o.Dest(d.Key())
		if !ok || od != d {
			return false
		}
	}
	return true
}

// Dest returns the real server of s with key k.
func (s IPVSService) Dest(k string) (IPVSDest, bool) {
	for _, d := range s.Dests {
		if d.Key() == k {
			return d, true
		}
	}
	return IPVSDest{}, false
}

func ipvsSorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// ParseIpvsadmSave parses the output of `ipvsadm -S -n` (or a rules file in
// that format: blank lines and # comments are skipped) into its services.
func ParseIpvsadmSave(text string) ([]IPVSService, error) {
	var table []IPVSService
	index := map[string]int{}
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if !slices.Contains([]string{"-A", "--add-service", "-a", "--add-server"}, f[0]) {
			return nil, fmt.Errorf("line %d: unexpected command %q (want -A or -a)", n+1, f[0])
		}
		o, err := ipvsParseOpts(f[1:])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		switch f[0] {
		case "-A", "--add-service":
			s, err := ipvsServiceFrom(o)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			if _, dup := index[s.Key()]; dup {
				return nil, fmt.Errorf("line %d: service %s listed twice", n+1, s.Key())
			}
			index[s.Key()] = len(table)
			table = append(table, s)
		case "-a", "--add-server":
			key, err := ipvsKeyFrom(o)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			i, ok := index[key]
			if !ok {
				return nil, fmt.Errorf("line %d: real server of service %s before its -A line", n+1, key)
			}
			d, err := ipvsDestFrom(o, table[i])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			if _, dup := table[i].Dest(d.Key()); dup {
				return nil, fmt.Errorf("line %d: real server %s of %s listed twice", n+1, d.Key(), key)
			}
			table[i].Dests = append(table[i].Dests, d)
		}
	}
	return table, nil
}

// ipvsOpts holds the options of one ipvsadm-save line, by canonical short name.
type ipvsOpts map[string]string

var (
	// ipvsValued maps the options that take a value to their canonical name.
	ipvsValued = map[string]string{
		"-t": "-t", "--tcp-service": "-t", "-u": "-u", "--udp-service": "-u", "--sctp-service": "--sctp-service",
		"-f": "-f", "--fwmark-service": "-f", "-s": "-s", "--scheduler": "-s", "-M": "-M", "--netmask": "-M",
		"--pe": "--pe", "pe": "--pe", "-b": "-b", "--sched-flags": "-b", "-r": "-r", "--real-server": "-r",
		"-w": "-w", "--weight": "-w", "-x": "-x", "--u-threshold": "-x", "-y": "-y", "--l-threshold": "-y",
		"--tun-type": "--tun-type", "--tun-port": "--tun-port",
	}
	// ipvsSwitches maps the options without a value to their canonical name.
	ipvsSwitches = map[string]string{
		"-6": "-6", "--ipv6": "-6", "-o": "-o", "--ops": "-o", "ops": "-o",
		"-m": "fwd", "--masquerading": "fwd", "-g": "fwd", "--gatewaying": "fwd", "-i": "fwd", "--ipip": "fwd",
		"--tun-nocsum": "csum", "--tun-csum": "csum", "--tun-remcsum": "csum",
	}
	ipvsFwdOf = map[string]IPVSForwarding{"-m": IPVSNAT, "--masquerading": IPVSNAT, "-g": IPVSDirect,
		"--gatewaying": IPVSDirect, "-i": IPVSTunnel, "--ipip": IPVSTunnel}
)

func ipvsParseOpts(tokens []string) (ipvsOpts, error) {
	o := ipvsOpts{}
	set := func(k, v string) error {
		if _, dup := o[k]; dup {
			return fmt.Errorf("option %s given twice", k)
		}
		o[k] = v
		return nil
	}
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		switch {
		case t == "-p" || t == "--persistent":
			v := "300" // ipvsadm's default persistence timeout
			if i+1 < len(tokens) && tokens[i+1] != "" && strings.Trim(tokens[i+1], "0123456789") == "" {
				v = tokens[i+1]
				i++
			}
			if err := set("-p", v); err != nil {
				return nil, err
			}
		case ipvsValued[t] != "":
			if i+1 >= len(tokens) {
				return nil, fmt.Errorf("option %s needs a value", t)
			}
			if err := set(ipvsValued[t], tokens[i+1]); err != nil {
				return nil, err
			}
			i++
		case ipvsSwitches[t] != "":
			v := t
			if f, ok := ipvsFwdOf[t]; ok {
				v = string(f)
			}
			if ipvsSwitches[t] == "csum" {
				v = strings.TrimPrefix(t, "--tun-")
			}
			if err := set(ipvsSwitches[t], v); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown option %q", t)
		}
	}
	return o, nil
}

// ipvsNamed fills the service-naming fields of s from o.
func ipvsNamed(o ipvsOpts) (IPVSService, error) {
	var s IPVSService
	n := 0
	for _, p := range []string{"-t", "-u", "--sctp-service"} {
		v, ok := o[p]
		if !ok {
			continue
		}
		n++
		s.Protocol = map[string]string{"-t": "tcp", "-u": "udp", "--sctp-service": "sctp"}[p]
		ap, _, err := ipvsParseAddrPort(v, 0)
		if err != nil {
			return s, fmt.Errorf("service address: %w", err)
		}
		s.Addr = ap
	}
	if v, ok := o["-f"]; ok {
		n++
		m, err := strconv.ParseUint(v, 10, 32)
		if err != nil || m == 0 {
			return s, fmt.Errorf("bad fwmark %q", v)
		}
		s.FWMark = uint32(m)
		s.IPv6 = o["-6"] != ""
	} else if o["-6"] != "" {
		return s, fmt.Errorf("-6 without -f")
	}
	if n != 1 {
		return s, fmt.Errorf("need exactly one of -t, -u, --sctp-service, -f")
	}
	return s, nil
}

func ipvsKeyFrom(o ipvsOpts) (string, error) {
	s, err := ipvsNamed(o)
	return s.Key(), err
}

func ipvsServiceFrom(o ipvsOpts) (IPVSService, error) {
	s, err := ipvsNamed(o)
	if err != nil {
		return s, err
	}
	for _, k := range []string{"-r", "-w", "-x", "-y", "fwd", "--tun-type", "--tun-port", "csum"} {
		if _, ok := o[k]; ok {
			return s, fmt.Errorf("real-server option %s on a service line", k)
		}
	}
	s.Scheduler = o["-s"]
	if s.Scheduler == "" {
		s.Scheduler = "wlc" // ipvsadm's default
	}
	if v, ok := o["-p"]; ok {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > ipvsMaxTimeout {
			return s, fmt.Errorf("bad persistence timeout %q", v)
		}
		s.Persistent = p
	}
	if v, ok := o["-M"]; ok && s.Persistent > 0 {
		m, err := ipvsNormNetmask(v, s.IPv6 || s.Addr.Addr().Is6())
		if err != nil {
			return s, err
		}
		s.Netmask = m
	}
	s.PE = o["--pe"]
	s.OnePacket = o["-o"] != ""
	for _, f := range strings.Split(o["-b"], ",") {
		if f != "" {
			s.SchedFlags = append(s.SchedFlags, f)
		}
	}
	return s, nil
}

// ipvsMaxTimeout is ipvsadm's limit on a persistence timeout (31 days).
const ipvsMaxTimeout = 86400 * 31

// ipvsNormNetmask checks a persistence netmask and returns it canonical, ""
// for a single address (255.255.255.255 or 128).
func ipvsNormNetmask(v string, v6 bool) (string, error) {
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

func ipvsDestFrom(o ipvsOpts, svc IPVSService) (IPVSDest, error) {
	for _, k := range []string{"-s", "-p", "-M", "--pe", "-o", "-b"} {
		if _, ok := o[k]; ok {
			return IPVSDest{}, fmt.Errorf("service option %s on a real-server line", k)
		}
	}
	v, ok := o["-r"]
	if !ok {
		return IPVSDest{}, fmt.Errorf("real-server line without -r")
	}
	ap, hasPort, err := ipvsParseAddrPort(v, svc.Addr.Port())
	if err != nil {
		return IPVSDest{}, fmt.Errorf("real server: %w", err)
	}
	d := IPVSDest{Addr: ap, Forwarding: IPVSDirect, Weight: 1}
	if f := o["fwd"]; f != "" {
		d.Forwarding = IPVSForwarding(f)
	}
	if svc.FWMark == 0 && (d.Forwarding != IPVSNAT || !hasPort) {
		d.Addr = netip.AddrPortFrom(ap.Addr(), svc.Addr.Port()) // as ipvsadm does
	}
	for k, p := range map[string]*int{"-w": &d.Weight, "-x": &d.UThreshold, "-y": &d.LThreshold, "--tun-port": &d.TunPort} {
		v, ok := o[k]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		max := map[string]int{"-w": 65535, "--tun-port": 65535}[k]
		if max == 0 {
			max = 1<<31 - 1
		}
		if err != nil || n < 0 || n > max {
			return d, fmt.Errorf("bad %s value %q", k, v)
		}
		*p = n
	}
	d.TunType, d.TunCsum = o["--tun-type"], o["csum"]
	if d.TunType == "ipip" {
		d.TunType = "" // the default tunnel type, which ipvsadm 1.31 prints for every -i
	}
	if d.Forwarding != IPVSTunnel && (d.TunType != "" || d.TunPort != 0 || d.TunCsum != "") {
		return d, fmt.Errorf("tunnel options on a non-tunnel real server")
	}
	return d, nil
}

// ipvsParseAddrPort parses "1.2.3.4:80", "[::1]:80", or an address without
// port (taking defPort). hasPort says whether the port was given.
func ipvsParseAddrPort(s string, defPort uint16) (ap netip.AddrPort, hasPort bool, err error) {
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
