package ipvs

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Samples as ipvsadm 1.31 prints them (the director of the lab in NAT mode
// with a fwmark service beside it, and one of each other kind).
const (
	sampleList = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  172.17.1.6:80 wrr
  -> 192.168.30.7:80              Masq    1      0          3
  -> 192.168.30.107:80            Masq    3      1          7
FWM  99 rr persistent 300
  -> 192.168.30.7:0               Route   1      0          0
  -> 192.168.30.107:0             Route   1      0          0
UDP  [2001:db8::53]:53 sh (sh-fallback,sh-port) persistent 600 mask 64 pe sip ops
  -> [2001:db8::54]:53            Tunnel  0      0          0
FWM  7 IPv6 lc
  -> [::1]:0                      Local   2      5          0
`
	sampleStats = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  172.17.1.6:80                      40      200      160     8000    20000
  -> 192.168.30.7:80                    10       50       40     2000     5000
  -> 192.168.30.107:80                  30      150      120     6000    15000
FWM  99                                  0        0        0        0        0
  -> 192.168.30.7:0                      0        0        0        0        0
  -> 192.168.30.107:0                    0        0        0        0        0
FWM  7 IPv6                              1        2        3        4        5
`
	sampleRate = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS
  -> RemoteAddress:Port
TCP  172.17.1.6:80                       2       10        8      400     1000
  -> 192.168.30.7:80                     1        5        4      200      500
  -> 192.168.30.107:80                   1        5        4      200      500
`
	sampleConns = `IPVS connection entries
pro expire state       source             virtual            destination
TCP 14:59  ESTABLISHED 172.17.1.100:50000 172.17.1.6:80      192.168.30.107:80
TCP 01:45  TIME_WAIT   172.17.1.100:50002 172.17.1.6:80      192.168.30.107:80
IP  04:50  NONE        172.17.1.100:0     0.0.0.99:0         192.168.30.7:0
`
)

func TestParseList(t *testing.T) {
	ap := netip.MustParseAddrPort
	got, err := ParseList(sampleList)
	if err != nil {
		t.Fatal(err)
	}
	want := Table{
		{Protocol: "tcp", Addr: ap("172.17.1.6:80"), Scheduler: "wrr", Dests: []Dest{
			{Addr: ap("192.168.30.7:80"), Forwarding: NAT, Weight: 1, InactiveConns: 3},
			{Addr: ap("192.168.30.107:80"), Forwarding: NAT, Weight: 3, ActiveConns: 1, InactiveConns: 7}}},
		{FWMark: 99, Scheduler: "rr", Persistent: 300, Dests: []Dest{
			{Addr: ap("192.168.30.7:0"), Forwarding: Direct, Weight: 1},
			{Addr: ap("192.168.30.107:0"), Forwarding: Direct, Weight: 1}}},
		{Protocol: "udp", Addr: ap("[2001:db8::53]:53"), Scheduler: "sh", SchedFlags: []string{"sh-fallback", "sh-port"},
			Persistent: 600, Netmask: "64", PE: "sip", OnePacket: true,
			Dests: []Dest{{Addr: ap("[2001:db8::54]:53"), Forwarding: Tunnel}}},
		{FWMark: 7, IPv6: true, Scheduler: "lc", Dests: []Dest{{Addr: ap("[::1]:0"), Forwarding: Local, Weight: 2, ActiveConns: 5}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	if f := got[2].ListFlags(); f != "(sh-fallback,sh-port) persistent 600 mask 64 pe sip ops" {
		t.Errorf("flags %q", f)
	}
	if got[0].Dests[0].Forwarding.ListName() != "Masq" || Local.ListName() != "Local" || Local.Flag() != "-g" {
		t.Error("forwarding names")
	}
}

func TestParseCounters(t *testing.T) {
	stats, err := ParseStats(sampleStats)
	if err != nil {
		t.Fatal(err)
	}
	rate, err := ParseRate(sampleRate)
	if err != nil {
		t.Fatal(err)
	}
	if s := stats[0]; s.Key() != "TCP 172.17.1.6:80" || s.Stats != (Counters{40, 200, 160, 8000, 20000}) || s.Dests[1].Stats[InBytes] != 6000 {
		t.Errorf("stats %+v", s)
	}
	if s := stats[2]; s.Key() != "FWM 7 IPv6" || s.Stats != (Counters{1, 2, 3, 4, 5}) {
		t.Errorf("ipv6 fwmark %+v", s)
	}
	if rate[0].Rate[Conns] != 2 || rate[0].Dests[0].Rate[InPkts] != 5 || rate[0].Stats != (Counters{}) {
		t.Errorf("rate %+v", rate[0])
	}
	list, _ := ParseList(sampleList)
	all := WithCounters(list, stats, rate)
	if all[0].Stats[Conns] != 40 || all[0].Rate[OutBytes] != 1000 || all[0].Dests[1].Stats[OutPkts] != 120 || all[0].Dests[1].Rate[Conns] != 1 ||
		all[0].Dests[1].ActiveConns != 1 || all[3].Stats[OutBytes] != 5 || all[2].Stats != (Counters{}) {
		t.Errorf("merged %+v", all)
	}
	if list[0].Stats != (Counters{}) || list[0].Dests[0].Stats != (Counters{}) {
		t.Error("WithCounters changed its argument")
	}
	if d := all[0].Stats.Sub(Counters{50, 100, 100, 100, 100}); d != (Counters{40, 100, 60, 7900, 19900}) {
		t.Errorf("sub %v", d)
	}
}

func TestParseStatsScaled(t *testing.T) {
	svcs, err := ParseStats("TCP  1.2.3.4:80  1K 2M 3G 4 5\n  -> 10.0.0.1:80 1 2 3 4 5\n")
	if err != nil {
		t.Fatal(err)
	}
	if svcs[0].Stats != (Counters{1000, 2000000, 3000000000, 4, 5}) || svcs[0].Dests[0].Stats[OutBytes] != 5 {
		t.Errorf("%+v", svcs)
	}
}

func TestParseConns(t *testing.T) {
	conns, err := ParseConns(sampleConns)
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort
	want := []Conn{
		{"tcp", 14*time.Minute + 59*time.Second, "ESTABLISHED", ap("172.17.1.100:50000"), ap("172.17.1.6:80"), ap("192.168.30.107:80")},
		{"tcp", 105 * time.Second, "TIME_WAIT", ap("172.17.1.100:50002"), ap("172.17.1.6:80"), ap("192.168.30.107:80")},
		{"ip", 290 * time.Second, "NONE", ap("172.17.1.100:0"), ap("0.0.0.99:0"), ap("192.168.30.7:0")},
	}
	if !reflect.DeepEqual(conns, want) {
		t.Fatalf("got  %#v\nwant %#v", conns, want)
	}
	if got := FormatConns(conns); got != sampleConns {
		t.Errorf("format:\n%s\nwant:\n%s", got, sampleConns)
	}
}

// TestFormatListings checks that what the formatters print is what
// ipvsadm prints (trailing blanks aside) and parses back unchanged.
func TestFormatListings(t *testing.T) {
	trim := func(s string) string {
		lines := strings.Split(s, "\n")
		for i := range lines {
			lines[i] = strings.TrimRight(lines[i], " ")
		}
		return strings.Join(lines, "\n")
	}
	for _, c := range []struct {
		name, in string
		parse    func(string) (Table, error)
		format   func(Table) string
	}{
		{"list", sampleList, ParseList, FormatList},
		{"stats", sampleStats, ParseStats, FormatStats},
		{"rate", sampleRate, ParseRate, FormatRate},
	} {
		table, err := c.parse(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out := c.format(table)
		if trim(out) != c.in {
			t.Errorf("%s: format:\n%s\nwant:\n%s", c.name, out, c.in)
		}
		if again, err := c.parse(out); err != nil || !reflect.DeepEqual(again, table) {
			t.Errorf("%s: round trip: %v", c.name, err)
		}
	}
}

func TestParseListingErrors(t *testing.T) {
	for _, c := range []struct {
		parse func(string) (Table, error)
		in    string
		want  string
	}{
		{ParseList, "  -> 1.2.3.4:80 Masq 1 0 0\n", "line 1: real server before any service"},
		{ParseList, "TCP 1.2.3.4:80 rr\n  -> 1.2.3.5:80 Bounce 1 0 0\n", `unknown forwarding "Bounce"`},
		{ParseList, "TCP 1.2.3.4:80 rr\n  -> 1.2.3.5:80 Masq 1 0\n", "want forward, weight"},
		{ParseList, "TCP 1.2.3.4:80 rr\n  -> 1.2.3.5:80 Masq x 0 0\n", `"x" is not a number`},
		{ParseList, "TCP 1.2.3.4:80 rr fast\n", `TCP 1.2.3.4:80: unknown flag "fast"`},
		{ParseList, "TCP 1.2.3.4:80 rr mask 255.255.255.0\n", "mask without persistent"},
		{ParseList, "TCP 1.2.3.4:80\n", "no scheduler"},
		{ParseList, "TCP 1.2.3.4 rr\n", "bad service address"},
		{ParseList, "ICMP 1.2.3.4:80 rr\n", "unexpected"},
		{ParseList, "TCP 1.2.3.4:80 rr\nTCP 1.2.3.4:80 rr\n", "line 2: service TCP 1.2.3.4:80 listed twice"},
		{ParseStats, "TCP 1.2.3.4:80 1 2 x 4 5\n", `"x" is not a count`},
		{ParseStats, "TCP 1.2.3.4:80 1 2 3 4\n", "want 5 counters"},
		{ParseRate, "FWM 0 1 2 3 4 5\n", "bad fwmark"},
	} {
		_, err := c.parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
	for in, want := range map[string]string{
		"TCP 1:00 ESTABLISHED 1.2.3.4:5 1.2.3.4:80\n":          "want protocol",
		"TCP 1:60 ESTABLISHED 1.2.3.4:5 1.2.3.4:80 5.6.7.8:80": "bad expire",
		"TCP 1:00 ESTABLISHED 1.2.3.4 1.2.3.4:80 5.6.7.8:80":   "bad address",
		"T-P 1:00 ESTABLISHED 1.2.3.4:5 1.2.3.4:80 5.6.7.8:80": "bad protocol",
	} {
		if _, err := ParseConns(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

// FuzzParseListings checks that the listing parsers never panic and that
// what they accept survives format-then-parse unchanged.
func FuzzParseListings(f *testing.F) {
	for _, s := range []string{sampleList, sampleStats, sampleRate, sampleConns} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, c := range []struct {
			parse  func(string) (Table, error)
			format func(Table) string
		}{{ParseList, FormatList}, {ParseStats, FormatStats}, {ParseRate, FormatRate}} {
			table, err := c.parse(in)
			if err != nil {
				continue
			}
			out := c.format(table)
			again, err := c.parse(out)
			if err != nil || !reflect.DeepEqual(again, table) {
				t.Fatalf("parse-format-parse: %v\nin:  %q\nout: %q\n%#v\n%#v", err, in, out, table, again)
			}
		}
		if conns, err := ParseConns(in); err == nil {
			out := FormatConns(conns)
			again, err := ParseConns(out)
			if err != nil || !reflect.DeepEqual(again, conns) {
				t.Fatalf("conns parse-format-parse: %v\nin:  %q\nout: %q", err, in, out)
			}
		}
	})
}
