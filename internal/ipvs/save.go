package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The rules format is what ipvsadm 1.31 (Debian 12, RHEL 8/9; CentOS 7
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

// ParseSave parses the output of `ipvsadm -S -n` (or a rules file in that
// format: blank lines and # comments are skipped) into its services.
func ParseSave(text string) (Table, error) {
	var table Table
	index := map[string]int{}
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if !slices.Contains([]string{"-A", "--add-service", "-a", "--add-server"}, f[0]) {
			return nil, fmt.Errorf("line %d: unexpected command %q (want -A or -a)", n+1, f[0])
		}
		o, err := parseOpts(f[1:])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		switch f[0] {
		case "-A", "--add-service":
			s, err := serviceFrom(o)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			if _, dup := index[s.Key()]; dup {
				return nil, fmt.Errorf("line %d: service %s listed twice", n+1, s.Key())
			}
			index[s.Key()] = len(table)
			table = append(table, s)
		case "-a", "--add-server":
			s, err := namedFrom(o)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			i, ok := index[s.Key()]
			if !ok {
				return nil, fmt.Errorf("line %d: real server of service %s before its -A line", n+1, s.Key())
			}
			d, err := destFrom(o, table[i])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			if _, dup := table[i].Dest(d.Key()); dup {
				return nil, fmt.Errorf("line %d: real server %s of %s listed twice", n+1, d.Key(), s.Key())
			}
			table[i].Dests = append(table[i].Dests, d)
		}
	}
	return table, nil
}

// FormatSave returns t in ipvsadm-save format, one line per rule.
func FormatSave(t Table) string {
	var b strings.Builder
	for _, s := range t {
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// opts holds the options of one ipvsadm-save line, by canonical short name.
type opts map[string]string

var (
	// valued maps the options that take a value to their canonical name.
	valued = map[string]string{
		"-t": "-t", "--tcp-service": "-t", "-u": "-u", "--udp-service": "-u", "--sctp-service": "--sctp-service",
		"-f": "-f", "--fwmark-service": "-f", "-s": "-s", "--scheduler": "-s", "-M": "-M", "--netmask": "-M",
		"--pe": "--pe", "pe": "--pe", "-b": "-b", "--sched-flags": "-b", "-r": "-r", "--real-server": "-r",
		"-w": "-w", "--weight": "-w", "-x": "-x", "--u-threshold": "-x", "-y": "-y", "--l-threshold": "-y",
		"--tun-type": "--tun-type", "--tun-port": "--tun-port",
	}
	// switches maps the options without a value to their canonical name.
	switches = map[string]string{
		"-6": "-6", "--ipv6": "-6", "-o": "-o", "--ops": "-o", "ops": "-o",
		"-m": "fwd", "--masquerading": "fwd", "-g": "fwd", "--gatewaying": "fwd", "-i": "fwd", "--ipip": "fwd",
		"--tun-nocsum": "csum", "--tun-csum": "csum", "--tun-remcsum": "csum",
	}
	fwdOf = map[string]Forwarding{"-m": NAT, "--masquerading": NAT, "-g": Direct,
		"--gatewaying": Direct, "-i": Tunnel, "--ipip": Tunnel}
	// protocolOf maps the service options to their protocol.
	protocolOf = map[string]string{"-t": "tcp", "-u": "udp", "--sctp-service": "sctp"}
)

func parseOpts(tokens []string) (opts, error) {
	o := opts{}
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
		case valued[t] != "":
			if i+1 >= len(tokens) {
				return nil, fmt.Errorf("option %s needs a value", t)
			}
			if err := set(valued[t], tokens[i+1]); err != nil {
				return nil, err
			}
			i++
		case switches[t] != "":
			v := t
			if f, ok := fwdOf[t]; ok {
				v = string(f)
			}
			if switches[t] == "csum" {
				v = strings.TrimPrefix(t, "--tun-")
			}
			if err := set(switches[t], v); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown option %q", t)
		}
	}
	return o, nil
}

// namedFrom returns the service that o names (its protocol and address, or
// its mark), without settings.
func namedFrom(o opts) (Service, error) {
	var s Service
	n := 0
	for _, p := range []string{"-t", "-u", "--sctp-service"} {
		v, ok := o[p]
		if !ok {
			continue
		}
		n++
		s.Protocol = protocolOf[p]
		ap, _, err := parseAddrPort(v, 0)
		if err != nil {
			return s, fmt.Errorf("service address: %w", err)
		}
		s.Addr = ap
	}
	if v, ok := o["-f"]; ok {
		n++
		m, err := parseMark(v)
		if err != nil {
			return s, err
		}
		s.FWMark = m
		s.IPv6 = o["-6"] != ""
	} else if o["-6"] != "" {
		return s, fmt.Errorf("-6 without -f")
	}
	if n != 1 {
		return s, fmt.Errorf("need exactly one of -t, -u, --sctp-service, -f")
	}
	return s, nil
}

func parseMark(v string) (uint32, error) {
	m, err := strconv.ParseUint(v, 10, 32)
	if err != nil || m == 0 {
		return 0, fmt.Errorf("bad fwmark %q", v)
	}
	return uint32(m), nil
}

func serviceFrom(o opts) (Service, error) {
	s, err := namedFrom(o)
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
		if s.Persistent, err = parsePersistence(v); err != nil {
			return s, err
		}
	}
	if v, ok := o["-M"]; ok && s.Persistent > 0 {
		if s.Netmask, err = ParseNetmask(v, s.IPv6 || s.Addr.Addr().Is6()); err != nil {
			return s, err
		}
	}
	s.PE = o["--pe"]
	s.OnePacket = o["-o"] != ""
	s.SchedFlags = splitSchedFlags(o["-b"])
	return s, nil
}

func parsePersistence(v string) (int, error) {
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > MaxPersistence {
		return 0, fmt.Errorf("bad persistence timeout %q", v)
	}
	return p, nil
}

// splitSchedFlags splits a comma-separated list of scheduler flags, nil
// for none.
func splitSchedFlags(v string) []string {
	var flags []string
	for _, f := range strings.Split(v, ",") {
		if f != "" {
			flags = append(flags, f)
		}
	}
	return flags
}

func destFrom(o opts, svc Service) (Dest, error) {
	for _, k := range []string{"-s", "-p", "-M", "--pe", "-o", "-b"} {
		if _, ok := o[k]; ok {
			return Dest{}, fmt.Errorf("service option %s on a real-server line", k)
		}
	}
	v, ok := o["-r"]
	if !ok {
		return Dest{}, fmt.Errorf("real-server line without -r")
	}
	ap, hasPort, err := parseAddrPort(v, svc.Addr.Port())
	if err != nil {
		return Dest{}, fmt.Errorf("real server: %w", err)
	}
	d := Dest{Addr: ap, Forwarding: Direct, Weight: 1}
	if f := o["fwd"]; f != "" {
		d.Forwarding = Forwarding(f)
	}
	if svc.FWMark == 0 && (d.Forwarding != NAT || !hasPort) {
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
	if d.Forwarding != Tunnel && (d.TunType != "" || d.TunPort != 0 || d.TunCsum != "") {
		return d, fmt.Errorf("tunnel options on a non-tunnel real server")
	}
	return d, nil
}
