package lvs

import (
	"fmt"
	"sort"
	"strings"

	"lvslab/internal/ipvs"
)

// The director's table is package ipvs's model; these names are the ones
// status, verify and load have always used.
type (
	// Counters are the five numbers ipvsadm prints per service and real
	// server (--stats, --rate).
	Counters = ipvs.Counters
	// Service is one virtual service as the kernel reports it.
	Service = ipvs.Service
	// Dest is one real server of a virtual service as the kernel reports it.
	Dest = ipvs.Dest
	// Conn is one entry of the connection table (ipvsadm -Lnc).
	Conn = ipvs.Conn
)

// The indexes of Counters.
const (
	Conns    = ipvs.Conns
	InPkts   = ipvs.InPkts
	OutPkts  = ipvs.OutPkts
	InBytes  = ipvs.InBytes
	OutBytes = ipvs.OutBytes
)

// Status is the director's table: the services with their real servers,
// counters and rates, and the connection entries.
type Status struct {
	Services ipvs.Table
	Conns    []Conn
}

// LiveMode tells the LVS mode from the table: fwmark when there is a
// firewall-mark service, else nat when a real server is masqueraded, else
// tun when one is tunnelled, else dr when one is routed; "" for an empty
// table.
func (st Status) LiveMode() string {
	mode := ""
	for _, s := range st.Services {
		if s.FWMark != 0 {
			return "fwmark"
		}
		for _, d := range s.Dests {
			switch {
			case d.Forwarding == ipvs.NAT:
				mode = "nat"
			case d.Forwarding == ipvs.Tunnel && mode != "nat":
				mode = "tun"
			case d.Forwarding == ipvs.Direct && mode == "":
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
	svcs, err := ipvs.ParseList(list)
	if err != nil {
		return Status{}, err
	}
	st, err := ipvs.ParseStats(stats)
	if err != nil {
		return Status{}, err
	}
	rt, err := ipvs.ParseRate(rate)
	if err != nil {
		return Status{}, err
	}
	entries, err := ipvs.ParseConns(conns)
	if err != nil {
		return Status{}, err
	}
	return Status{Services: ipvs.WithCounters(svcs, st, rt), Conns: entries}, nil
}

// ServiceTable renders the services and their real servers with weights,
// connection counts and the totals since the rules were loaded.
func (st Status) ServiceTable() *Table {
	t := NewTable("virtual service", "scheduler", "real server", "forward", "weight", "active", "inactive",
		"conns", "in pkts", "out pkts", "in bytes", "out bytes")
	t.AlignRight(4, 5, 6, 7, 8, 9, 10, 11)
	for _, s := range st.Services {
		sched := s.Scheduler
		if f := s.ListFlags(); f != "" {
			sched += " " + f
		}
		active, inactive := 0, 0
		for _, d := range s.Dests {
			active += d.ActiveConns
			inactive += d.InactiveConns
		}
		t.Add(append([]string{s.Key(), sched, "", "", "", fmt.Sprint(active), fmt.Sprint(inactive)}, counters(s.Stats)...)...)
		for _, d := range s.Dests {
			t.Add(append([]string{"", "", d.Key(), d.Forwarding.ListName(), fmt.Sprint(d.Weight), fmt.Sprint(d.ActiveConns), fmt.Sprint(d.InactiveConns)}, counters(d.Stats)...)...)
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
			t.Add(append([]string{"", d.Key()}, counters(d.Rate)...)...)
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
		counts[key{c.Virtual.String(), c.Dest.String(), c.State}]++
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
		entries.Add(strings.Fields(c.String())...)
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
