package ipvs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The listings parsed here are what ipvsadm 1.31 prints for -Ln, -Ln
// --stats and -Ln --rate (with or without --exact), from
// print_service_entry in ipvsadm.c:
//
//	IP Virtual Server version 1.2.1 (size=4096)
//	Prot LocalAddress:Port Scheduler Flags
//	  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
//	TCP  172.17.1.6:80 wrr
//	  -> 192.168.30.7:80              Masq    1      0          3
//	UDP  [2001:db8::53]:53 sh (sh-fallback,sh-port) persistent 300 mask 64 pe sip ops
//	FWM  99 IPv6 rr
//
// and, for --stats and --rate, five counters after each service and real
// server instead of the scheduler and flags (the real servers' Forward,
// Weight and connection columns); without --exact, large counters are
// scaled with K, M or G.

// listHeaders start the title lines of the listings.
var listHeaders = []string{"IP Virtual Server version", "Prot LocalAddress:Port", "-> RemoteAddress:Port"}

func isListHeader(line string) bool { return hasAnyPrefix(strings.TrimSpace(line), listHeaders) }

// ParseList parses `ipvsadm -Ln`: the services with their scheduler and
// settings, the real servers with forwarding, weight and connection counts.
func ParseList(text string) (Table, error) {
	return parseListing(text, "-Ln", func(s *Service, rest []string) error {
		if len(rest) == 0 {
			return fmt.Errorf("no scheduler")
		}
		s.Scheduler = rest[0]
		return parseListFlags(s, rest[1:])
	}, func(d *Dest, rest []string) error {
		if len(rest) != 4 {
			return fmt.Errorf("want forward, weight, active and inactive connections")
		}
		fwd, ok := listForwarding[rest[0]]
		if !ok {
			return fmt.Errorf("unknown forwarding %q", rest[0])
		}
		d.Forwarding = fwd
		for i, p := range []*int{&d.Weight, &d.ActiveConns, &d.InactiveConns} {
			n, err := strconv.Atoi(rest[1+i])
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a number", rest[1+i])
			}
			*p = n
		}
		return nil
	})
}

// ParseStats parses `ipvsadm -Ln --stats` into the services' and real
// servers' Stats (the rest of each is zero but for its key).
func ParseStats(text string) (Table, error) {
	return parseListing(text, "--stats",
		func(s *Service, rest []string) error { return parseCounters(&s.Stats, rest) },
		func(d *Dest, rest []string) error { return parseCounters(&d.Stats, rest) })
}

// ParseRate parses `ipvsadm -Ln --rate` into the services' and real
// servers' Rate (the rest of each is zero but for its key).
func ParseRate(text string) (Table, error) {
	return parseListing(text, "--rate",
		func(s *Service, rest []string) error { return parseCounters(&s.Rate, rest) },
		func(d *Dest, rest []string) error { return parseCounters(&d.Rate, rest) })
}

// parseListing reads the lines of a listing: a service line (its name,
// then what svc parses), or a real server line ("-> ADDR:PORT", then what
// dest parses), of the service above it.
func parseListing(text, what string, svc func(*Service, []string) error, dest func(*Dest, []string) error) (Table, error) {
	var t Table
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || isListHeader(line) {
			continue
		}
		var err error
		if f[0] == "->" {
			err = parseListDest(&t, f[1:], dest)
		} else {
			err = parseListService(&t, f, svc)
		}
		if err != nil {
			return nil, fmt.Errorf("ipvsadm %s line %d: %w", what, n+1, err)
		}
	}
	return t, nil
}

func parseListService(t *Table, f []string, svc func(*Service, []string) error) error {
	s, rest, err := parseListName(f)
	if err != nil {
		return err
	}
	if _, dup := t.Find(s.Key()); dup {
		return fmt.Errorf("service %s listed twice", s.Key())
	}
	if err := svc(&s, rest); err != nil {
		return fmt.Errorf("%s: %w", s.Key(), err)
	}
	*t = append(*t, s)
	return nil
}

func parseListDest(t *Table, f []string, dest func(*Dest, []string) error) error {
	if len(*t) == 0 {
		return fmt.Errorf("real server before any service")
	}
	if len(f) == 0 {
		return fmt.Errorf("real server without an address")
	}
	ap, hasPort, err := parseAddrPort(f[0], 0)
	if err != nil || !hasPort {
		return fmt.Errorf("bad real server %q", f[0])
	}
	s := &(*t)[len(*t)-1]
	d := Dest{Addr: ap}
	if _, dup := s.Dest(d.Key()); dup {
		return fmt.Errorf("real server %s of %s listed twice", d.Key(), s.Key())
	}
	if err := dest(&d, f[1:]); err != nil {
		return fmt.Errorf("%s: %w", d.Key(), err)
	}
	s.Dests = append(s.Dests, d)
	return nil
}

// listProtocols maps the protocol column of the listings to Protocol.
var listProtocols = map[string]string{"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}

// parseListName reads the service a listing line names: "TCP ADDR:PORT",
// "FWM MARK" or "FWM MARK IPv6"; rest is what follows.
func parseListName(f []string) (s Service, rest []string, err error) {
	if len(f) < 2 {
		return s, nil, fmt.Errorf("unexpected %q", strings.Join(f, " "))
	}
	if f[0] == "FWM" {
		if s.FWMark, err = parseMark(f[1]); err != nil {
			return s, nil, err
		}
		if len(f) > 2 && f[2] == "IPv6" {
			s.IPv6 = true
			return s, f[3:], nil
		}
		return s, f[2:], nil
	}
	proto, ok := listProtocols[f[0]]
	if !ok {
		return s, nil, fmt.Errorf("unexpected %q", strings.Join(f, " "))
	}
	ap, hasPort, err := parseAddrPort(f[1], 0)
	if err != nil || !hasPort {
		return s, nil, fmt.Errorf("bad service address %q", f[1])
	}
	s.Protocol, s.Addr = proto, ap
	return s, f[2:], nil
}

// parseListFlags reads the settings -Ln prints after the scheduler.
func parseListFlags(s *Service, f []string) error {
	var err error
	for i := 0; i < len(f); i++ {
		t := f[i]
		value := func() string {
			if i+1 < len(f) {
				i++
				return f[i]
			}
			return ""
		}
		switch {
		case strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")"):
			s.SchedFlags = splitSchedFlags(strings.Trim(t, "()"))
		case t == "persistent":
			s.Persistent, err = parsePersistence(value())
		case t == "mask" && s.Persistent == 0:
			err = fmt.Errorf("mask without persistent")
		case t == "mask":
			s.Netmask, err = ParseNetmask(value(), s.IPv6 || s.Addr.Addr().Is6())
		case t == "pe":
			if s.PE = value(); s.PE == "" {
				err = fmt.Errorf("pe without a name")
			}
		case t == "ops":
			s.OnePacket = true
		default:
			err = fmt.Errorf("unknown flag %q", t)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parseCounters reads the five counters of a --stats or --rate line.
func parseCounters(c *Counters, f []string) error {
	if len(f) != len(c) {
		return fmt.Errorf("want %d counters, not %d", len(c), len(f))
	}
	for i, s := range f {
		v, err := parseCount(s)
		if err != nil {
			return err
		}
		c[i] = v
	}
	return nil
}

// parseCount reads an exact number, or one that ipvsadm scaled (K, M, G)
// when --exact was not given.
func parseCount(s string) (uint64, error) {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1000, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1000*1000, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1000*1000*1000, strings.TrimSuffix(s, "G")
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > math.MaxUint64/mult {
		return 0, fmt.Errorf("%q is not a count", s)
	}
	return v * mult, nil
}

// WithCounters returns list (from ParseList) with the Stats of stats (from
// ParseStats) and the Rate of rate (from ParseRate), matched by service
// key and real server address; list is not changed.
func WithCounters(list, stats, rate Table) Table {
	out := make(Table, len(list))
	for i, s := range list {
		s.Dests = append([]Dest(nil), s.Dests...)
		if x, ok := stats.Find(s.Key()); ok {
			s.Stats = x.Stats
			for j := range s.Dests {
				if d, ok := x.Dest(s.Dests[j].Key()); ok {
					s.Dests[j].Stats = d.Stats
				}
			}
		}
		if x, ok := rate.Find(s.Key()); ok {
			s.Rate = x.Rate
			for j := range s.Dests {
				if d, ok := x.Dest(s.Dests[j].Key()); ok {
					s.Dests[j].Rate = d.Rate
				}
			}
		}
		out[i] = s
	}
	return out
}

// ListFlags returns the settings of s as ipvsadm -Ln prints them after the
// scheduler: "(sh-fallback,sh-port) persistent 300 mask 255.255.255.0 pe
// sip ops", "" for none.
func (s Service) ListFlags() string {
	var f []string
	if len(s.SchedFlags) > 0 {
		f = append(f, "("+strings.Join(s.SchedFlags, ",")+")")
	}
	for _, st := range s.settings() {
		f = append(f, st.word)
		if st.value != "" {
			f = append(f, st.value)
		}
	}
	return strings.Join(f, " ")
}

// listName is the service as the listings name it: its key with two
// spaces after the protocol ("TCP  ADDR:PORT", "FWM  MARK").
func (s Service) listName() string { return strings.Replace(s.Key(), " ", "  ", 1) }

// listTitle is the first line of every listing (the kernel's IPVS version).
const listTitle = "IP Virtual Server version 1.2.1 (size=4096)\n"

// FormatList returns t as ipvsadm -Ln prints it (under the title of IPVS
// 1.2.1), for test doubles of a director.
func FormatList(t Table) string {
	var b strings.Builder
	b.WriteString(listTitle + "Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	for _, s := range t {
		b.WriteString(s.listName() + " " + s.Scheduler)
		if f := s.ListFlags(); f != "" {
			b.WriteString(" " + f)
		}
		b.WriteByte('\n')
		for _, d := range s.Dests {
			fmt.Fprintf(&b, "  -> %-28s %-7s %-6d %-10d %-10d\n", d.Addr, d.Forwarding.ListName(), d.Weight, d.ActiveConns, d.InactiveConns)
		}
	}
	return b.String()
}

// FormatStats returns the Stats of t as ipvsadm -Ln --stats --exact prints them.
func FormatStats(t Table) string {
	return formatCounters(t, "Conns   InPkts  OutPkts  InBytes OutBytes",
		func(s Service) Counters { return s.Stats }, func(d Dest) Counters { return d.Stats })
}

// FormatRate returns the Rate of t as ipvsadm -Ln --rate --exact prints them.
func FormatRate(t Table) string {
	return formatCounters(t, "  CPS    InPPS   OutPPS    InBPS   OutBPS",
		func(s Service) Counters { return s.Rate }, func(d Dest) Counters { return d.Rate })
}

func formatCounters(t Table, columns string, svc func(Service) Counters, dest func(Dest) Counters) string {
	var b strings.Builder
	b.WriteString(listTitle + "Prot LocalAddress:Port               " + columns + "\n  -> RemoteAddress:Port\n")
	line := func(name string, c Counters) {
		fmt.Fprintf(&b, "%-33s", name)
		for _, v := range c {
			fmt.Fprintf(&b, " %8d", v)
		}
		b.WriteByte('\n')
	}
	for _, s := range t {
		line(s.listName(), svc(s))
		for _, d := range s.Dests {
			line("  -> "+d.Addr.String(), dest(d))
		}
	}
	return b.String()
}
