package lvs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Counters are the five numbers ipvsadm prints per service and real server:
// with --stats Conns, InPkts, OutPkts, InBytes, OutBytes; with --rate CPS,
// InPPS, OutPPS, InBPS, OutBPS.
type Counters [5]uint64

// The indexes of Counters.
const (
	Conns = iota
	InPkts
	OutPkts
	InBytes
	OutBytes
)

// Dest is one real server of a virtual service as the kernel reports it.
type Dest struct {
	Addr     string // address:port
	Forward  string // Masq, Route, Tunnel, Local
	Weight   int
	Active   int
	Inactive int
	Stats    Counters
	Rate     Counters
}

// Service is one virtual service as the kernel reports it.
type Service struct {
	Proto     string // TCP, UDP, SCTP or FWM
	Addr      string // address:port, or the mark of a FWM service
	Scheduler string
	Flags     string // persistent 300, mask ..., ops, pe ...
	Stats     Counters
	Rate      Counters
	Dests     []Dest
}

// Key identifies the service: "TCP 172.17.1.6:80", "FWM 99".
func (s Service) Key() string { return s.Proto + " " + s.Addr }

// Conn is one entry of the connection table (ipvsadm -Lnc).
type Conn struct {
	Proto, Expire, State, Source, Virtual, Dest string
}

// Status is the director's table: the services with their real servers,
// counters and rates, and the connection entries.
type Status struct {
	Services []Service
	Conns    []Conn
}

// LiveMode tells the LVS mode from the table: fwmark when there is a
// firewall-mark service, else nat when a real server is masqueraded, else
// dr when one is routed; "" for an empty table.
func (st Status) LiveMode() string {
	mode := ""
	for _, s := range st.Services {
		if s.Proto == "FWM" {
			return "fwmark"
		}
		for _, d := range s.Dests {
			switch {
			case d.Forward == "Masq":
				mode = "nat"
			case d.Forward == "Route" && mode == "":
				mode = "dr"
			}
		}
	}
	return mode
}

// Markers separate the listings of StatusCommand's output.
const (
	markStats = "@@lvslab-stats"
	markRate  = "@@lvslab-rate"
	markConns = "@@lvslab-conns"
)

// StatusCommand prints, in one round trip, the listings ParseStatus reads.
const StatusCommand = "ipvsadm -Ln --exact && echo " + markStats +
	" && ipvsadm -Ln --stats --exact && echo " + markRate +
	" && ipvsadm -Ln --rate --exact && echo " + markConns + " && ipvsadm -Lnc"

// StatsCommand prints the counters ParseStats reads.
const StatsCommand = "ipvsadm -Ln --stats --exact"

// ParseStatus reads StatusCommand's output.
func ParseStatus(out string) (Status, error) {
	list, rest, ok1 := strings.Cut(out, markStats+"\n")
	stats, rest, ok2 := strings.Cut(rest, markRate+"\n")
	rate, conns, ok3 := strings.Cut(rest, markConns+"\n")
	if !ok1 || !ok2 || !ok3 {
		return Status{}, fmt.Errorf("ipvsadm output incomplete: %q", firstLines(out, 3))
	}
	svcs, err := parseList(list)
	if err != nil {
		return Status{}, err
	}
	st, err := ParseStats(stats)
	if err != nil {
		return Status{}, err
	}
	rt, err := ParseStats(rate)
	if err != nil {
		return Status{}, fmt.Errorf("--rate: %w", err)
	}
	for i := range svcs {
		s := &svcs[i]
		if x, ok := find(st, s.Key()); ok {
			s.Stats = x.Stats
			mergeDests(s, x, func(d *Dest, c Counters) { d.Stats = c })
		}
		if x, ok := find(rt, s.Key()); ok {
			s.Rate = x.Stats
			mergeDests(s, x, func(d *Dest, c Counters) { d.Rate = c })
		}
	}
	return Status{Services: svcs, Conns: ParseConns(conns)}, nil
}

func find(svcs []Service, key string) (Service, bool) {
	for _, s := range svcs {
		if s.Key() == key {
			return s, true
		}
	}
	return Service{}, false
}

func mergeDests(s *Service, from Service, set func(*Dest, Counters)) {
	for i := range s.Dests {
		for _, d := range from.Dests {
			if d.Addr == s.Dests[i].Addr {
				set(&s.Dests[i], d.Stats)
			}
		}
	}
}

// isService reports whether fields start a service line.
func isService(f []string) bool {
	if len(f) < 2 {
		return false
	}
	switch f[0] {
	case "TCP", "UDP", "SCTP", "FWM":
		return true
	}
	return false
}

// isDest reports whether fields are a real server line ("-> ADDR ...").
func isDest(f []string) bool {
	return len(f) >= 2 && f[0] == "->" && f[1] != "RemoteAddress:Port"
}

// parseList reads `ipvsadm -Ln`: services with scheduler and flags, real
// servers with forwarding, weight and connection counts.
func parseList(out string) ([]Service, error) {
	var svcs []Service
	for n, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case isService(f):
			s := Service{Proto: f[0], Addr: f[1]}
			if len(f) > 2 {
				s.Scheduler = f[2]
				s.Flags = strings.Join(f[3:], " ")
			}
			svcs = append(svcs, s)
		case isDest(f):
			if len(svcs) == 0 || len(f) < 6 {
				return nil, fmt.Errorf("ipvsadm -Ln line %d: unexpected %q", n+1, line)
			}
			d := Dest{Addr: f[1], Forward: f[2]}
			var err error
			for i, p := range []*int{&d.Weight, &d.Active, &d.Inactive} {
				if *p, err = strconv.Atoi(f[3+i]); err != nil {
					return nil, fmt.Errorf("ipvsadm -Ln line %d: %q is not a number", n+1, f[3+i])
				}
			}
			s := &svcs[len(svcs)-1]
			s.Dests = append(s.Dests, d)
		}
	}
	return svcs, nil
}

// ParseStats reads `ipvsadm -Ln --stats --exact` or `--rate --exact`: five
// counters per service and per real server (in Service.Stats and Dest.Stats).
func ParseStats(out string) ([]Service, error) {
	var svcs []Service
	for n, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		var c Counters
		switch {
		case isService(f), isDest(f):
			if len(f) < 7 {
				return nil, fmt.Errorf("ipvsadm --stats line %d: want 5 counters in %q", n+1, line)
			}
			for i := 0; i < 5; i++ {
				v, err := parseCount(f[2+i])
				if err != nil {
					return nil, fmt.Errorf("ipvsadm --stats line %d: %w", n+1, err)
				}
				c[i] = v
			}
		default:
			continue
		}
		if isService(f) {
			svcs = append(svcs, Service{Proto: f[0], Addr: f[1], Stats: c})
			continue
		}
		if len(svcs) == 0 {
			return nil, fmt.Errorf("ipvsadm --stats line %d: real server before any service", n+1)
		}
		s := &svcs[len(svcs)-1]
		s.Dests = append(s.Dests, Dest{Addr: f[1], Stats: c})
	}
	return svcs, nil
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
	if err != nil {
		return 0, fmt.Errorf("%q is not a count", s)
	}
	return v * mult, nil
}

// ParseConns reads `ipvsadm -Lnc`.
func ParseConns(out string) []Conn {
	var conns []Conn
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 6 || f[0] == "pro" {
			continue
		}
		conns = append(conns, Conn{Proto: f[0], Expire: f[1], State: f[2], Source: f[3], Virtual: f[4], Dest: f[5]})
	}
	return conns
}

// ServiceTable renders the services and their real servers with weights,
// connection counts and the totals since the rules were loaded.
func (st Status) ServiceTable() *Table {
	t := NewTable("virtual service", "scheduler", "real server", "forward", "weight", "active", "inactive",
		"conns", "in pkts", "out pkts", "in bytes", "out bytes")
	t.AlignRight(4, 5, 6, 7, 8, 9, 10, 11)
	for _, s := range st.Services {
		sched := s.Scheduler
		if s.Flags != "" {
			sched += " " + s.Flags
		}
		active, inactive := 0, 0
		for _, d := range s.Dests {
			active += d.Active
			inactive += d.Inactive
		}
		t.Add(append([]string{s.Key(), sched, "", "", "", fmt.Sprint(active), fmt.Sprint(inactive)}, counters(s.Stats)...)...)
		for _, d := range s.Dests {
			t.Add(append([]string{"", "", d.Addr, d.Forward, fmt.Sprint(d.Weight), fmt.Sprint(d.Active), fmt.Sprint(d.Inactive)}, counters(d.Stats)...)...)
		}
	}
	return t
}

// RateTable renders the current rates (ipvsadm --rate) of the services and
// their real servers.
func (st Status) RateTable() *Table {
	t := NewTable("virtual service", "real server", "conn/s", "in pkt/s", "out pkt/s", "in byte/s", "out byte/s")
	t.AlignRight(2, 3, 4, 5, 6)
	for _, s := range st.Services {
		t.Add(append([]string{s.Key(), ""}, counters(s.Rate)...)...)
		for _, d := range s.Dests {
			t.Add(append([]string{"", d.Addr}, counters(d.Rate)...)...)
		}
	}
	return t
}

func counters(c Counters) []string {
	out := make([]string, 0, len(c))
	for _, v := range c {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// ConnTable renders the connection entries summarised by virtual service,
// real server and state, then at most limit entries (0: none, <0: all).
func (st Status) ConnTable(limit int) (summary, entries *Table) {
	type key struct{ virt, dest, state string }
	counts := map[key]int{}
	for _, c := range st.Conns {
		counts[key{c.Virtual, c.Dest, c.State}]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.virt != b.virt {
			return a.virt < b.virt
		}
		if a.dest != b.dest {
			return a.dest < b.dest
		}
		return a.state < b.state
	})
	summary = NewTable("virtual", "real server", "state", "entries")
	summary.AlignRight(3)
	for _, k := range keys {
		summary.Add(k.virt, k.dest, k.state, fmt.Sprint(counts[k]))
	}
	entries = NewTable("pro", "expire", "state", "source", "virtual", "destination")
	for i, c := range st.Conns {
		if limit >= 0 && i >= limit {
			break
		}
		entries.Add(c.Proto, c.Expire, c.State, c.Source, c.Virtual, c.Dest)
	}
	return summary, entries
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
