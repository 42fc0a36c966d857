package ipvs

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Samples in the format ipvsadm 1.31 prints for `ipvsadm -S -n` (format
// strings of print_service_entry / print_tunnel_rule).
const (
	sampleNAT = `-A -t 172.17.1.6:80 -s wrr
-a -t 172.17.1.6:80 -r 192.168.30.7:80 -m -w 1
-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 1
`
	sampleFWMark = `# ipvsadm.rules
-A -f 99 -s rr -p 300
-a -f 99 -r 172.17.1.7:0 -g -w 1
-a -f 99 -r 172.17.22.22:0 -g -w 1
`
	sampleMixed = `-A -u 10.0.0.53:53 -s sh -o -b sh-fallback,sh-port
-A -t [2001:db8::10]:443 -s wlc -p 3600 -M 64
-a -t [2001:db8::10]:443 -r [2001:db8::21]:443 -g -w 5
-A -f 7 -6 -s rr
-a -f 7 -6 -r [2001:db8::22]:0 -g -w 1
-A -u 10.0.0.5:5060 -s rr -p 300 -M 255.255.255.0 --pe sip
-a -u 10.0.0.5:5060 -r 10.0.1.5:5060 -i -w 2 --tun-type ipip
-a -u 10.0.0.5:5060 -r 10.0.1.6:5060 -i -w 0 --tun-type gue --tun-port 6080 --tun-nocsum
-A --sctp-service 10.0.0.9:3868 -s lc
`
)

func TestParseSave(t *testing.T) {
	ap := netip.MustParseAddrPort
	cases := []struct {
		name string
		in   string
		want Table
	}{
		{"empty", "", nil},
		{"comment only", "# ipvsadm.rules\n\n", nil},
		{"nat", sampleNAT, Table{{Protocol: "tcp", Addr: ap("172.17.1.6:80"), Scheduler: "wrr", Dests: []Dest{
			{Addr: ap("192.168.30.7:80"), Forwarding: NAT, Weight: 1},
			{Addr: ap("192.168.30.107:80"), Forwarding: NAT, Weight: 1}}}}},
		{"fwmark persistent", sampleFWMark, Table{{FWMark: 99, Scheduler: "rr", Persistent: 300, Dests: []Dest{
			{Addr: ap("172.17.1.7:0"), Forwarding: Direct, Weight: 1},
			{Addr: ap("172.17.22.22:0"), Forwarding: Direct, Weight: 1}}}}},
		{"mixed", sampleMixed, Table{
			{Protocol: "udp", Addr: ap("10.0.0.53:53"), Scheduler: "sh", OnePacket: true, SchedFlags: []string{"sh-fallback", "sh-port"}},
			{Protocol: "tcp", Addr: ap("[2001:db8::10]:443"), Scheduler: "wlc", Persistent: 3600, Netmask: "64",
				Dests: []Dest{{Addr: ap("[2001:db8::21]:443"), Forwarding: Direct, Weight: 5}}},
			{FWMark: 7, IPv6: true, Scheduler: "rr", Dests: []Dest{{Addr: ap("[2001:db8::22]:0"), Forwarding: Direct, Weight: 1}}},
			{Protocol: "udp", Addr: ap("10.0.0.5:5060"), Scheduler: "rr", Persistent: 300, Netmask: "255.255.255.0", PE: "sip",
				Dests: []Dest{{Addr: ap("10.0.1.5:5060"), Forwarding: Tunnel, Weight: 2},
					{Addr: ap("10.0.1.6:5060"), Forwarding: Tunnel, TunType: "gue", TunPort: 6080, TunCsum: "nocsum"}}},
			{Protocol: "sctp", Addr: ap("10.0.0.9:3868"), Scheduler: "lc"}}},
		{"legacy ops and pe, defaults", "-A -u 1.2.3.4:53 -p -M 255.255.255.255 ops pe sip\n-a -u 1.2.3.4:53 -r 5.6.7.8\n",
			Table{{Protocol: "udp", Addr: ap("1.2.3.4:53"), Scheduler: "wlc", Persistent: 300, OnePacket: true, PE: "sip",
				Dests: []Dest{{Addr: ap("5.6.7.8:53"), Forwarding: Direct, Weight: 1}}}}},
		{"dr port forced to service port", "-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2:8080 -g\n-a -t 1.1.1.1:80 -r 2.2.2.3:8080 -m\n",
			Table{{Protocol: "tcp", Addr: ap("1.1.1.1:80"), Scheduler: "wlc", Dests: []Dest{
				{Addr: ap("2.2.2.2:80"), Forwarding: Direct, Weight: 1}, {Addr: ap("2.2.2.3:8080"), Forwarding: NAT, Weight: 1}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseSave(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %#v\nwant %#v", got, c.want)
			}
			again, err := ParseSave(FormatSave(got))
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip: %v\n%s", err, FormatSave(got))
			}
		})
	}
}

func TestFormatSaveIsIpvsadmFormat(t *testing.T) {
	for _, in := range []string{sampleNAT, strings.TrimPrefix(sampleFWMark, "# ipvsadm.rules\n")} {
		table, err := ParseSave(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatSave(table); got != in || table.String() != in {
			t.Errorf("format:\n%s\nwant:\n%s", got, in)
		}
	}
}

func TestParseSaveErrors(t *testing.T) {
	for in, want := range map[string]string{
		"-A -t 1.1.1.1:80 -s rr --frobnicate":                    `line 1: unknown option "--frobnicate"`,
		"-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 1":                 "before its -A line",
		"-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80":                     "line 2: service TCP 1.1.1.1:80 listed twice",
		"-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2 -w 70000": "bad -w value",
		"-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -w 1":                "without -r",
		"-A -t host.example:80":                                  `bad address "host.example:80"`,
		"-A -t 1.1.1.1:80 -f 3":                                  "exactly one of",
		"-A -t 1.1.1.1:80 -6":                                    "-6 without -f",
		"-A -f 0":                                                "bad fwmark",
		"-A -t 1.1.1.1:80 -s":                                    "needs a value",
		"-A -t 1.1.1.1:80 -s rr -s wrr":                          "given twice",
		"-L -n":                                                  "unexpected command",
		"-A -t 1.1.1.1:80 -p 0":                                  "bad persistence timeout",
		"-A -t 1.1.1.1:80 -p 30 -M 255.0.0.300":                  "bad persistence netmask",
		"-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2 -m --tun-type gue":            "tunnel options on a non-tunnel",
		"-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2\n-a -t 1.1.1.1:80 -r 2.2.2.2": "listed twice",
		"-A -t 1.1.1.1:80 -r 2.2.2.2":                                                "real-server option -r on a service line",
		"-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2 -s rr":                        "service option -s on a real-server line",
	} {
		_, err := ParseSave(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestServiceEqual(t *testing.T) {
	a, _ := ParseSave(sampleNAT)
	b, _ := ParseSave("-A -t 172.17.1.6:80 -s wrr\n-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 1\n-a -t 172.17.1.6:80 -r 192.168.30.7:80 -m -w 1\n")
	if !a[0].Equal(b[0]) || !a.Equal(b) {
		t.Error("order of real servers matters")
	}
	c := b[0]
	c.Dests = append([]Dest(nil), c.Dests...)
	c.Dests[0].ActiveConns, c.Dests[0].Stats[Conns], c.Stats[InPkts] = 3, 7, 9
	if !a[0].Equal(c) {
		t.Error("what the kernel counts is compared")
	}
	c.Dests[0].Weight = 3
	if a[0].Equal(c) || !a[0].SameSpec(c) {
		t.Error("weight not compared, or compared by SameSpec")
	}
	c.Scheduler = "rr"
	if a[0].SameSpec(c) {
		t.Error("scheduler not compared")
	}
	if a.Equal(a[:0]) || !Table(nil).Equal(Table{}) {
		t.Error("tables of different lengths")
	}
}

func TestKeysAndArgs(t *testing.T) {
	table, err := ParseSave(sampleMixed)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range table {
		keys = append(keys, s.Key())
	}
	want := "UDP 10.0.0.53:53,TCP [2001:db8::10]:443,FWM 7 IPv6,UDP 10.0.0.5:5060,SCTP 10.0.0.9:3868"
	if got := strings.Join(keys, ","); got != want {
		t.Errorf("keys %s, want %s", got, want)
	}
	if d := table[3].Dests[1]; d.Key() != "10.0.1.6:5060" || d.String() != "-r 10.0.1.6:5060 -i -w 0 --tun-type gue --tun-port 6080 --tun-nocsum" {
		t.Errorf("dest %s %s", d.Key(), d)
	}
	if s, ok := table.Find("FWM 7 IPv6"); !ok || strings.Join(s.ServiceArgs(), " ") != "-f 7 -6" {
		t.Errorf("find: %v %v", s, ok)
	}
	if _, ok := table.Find("FWM 7"); ok {
		t.Error("found the ipv4 mark")
	}
}

// FuzzParseIpvsadmSave checks that the parser never panics and that what it
// accepts survives format-then-parse unchanged.
func FuzzParseIpvsadmSave(f *testing.F) {
	for _, s := range []string{sampleNAT, sampleFWMark, sampleMixed,
		"-A -u 1.2.3.4:53 -p -M 255.255.255.255 ops pe sip\n-a -u 1.2.3.4:53 -r 5.6.7.8\n", "-A -t [::1]:80 -s rr\n-a -t [::1]:80 -r ::2 -m -w 7\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		table, err := ParseSave(in)
		if err != nil {
			return
		}
		out := FormatSave(table)
		again, err := ParseSave(out)
		if err != nil {
			t.Fatalf("formatted table does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(table, again) {
			t.Fatalf("parse-format-parse changed the table\nin:  %q\nout: %q\n%#v\n%#v", in, out, table, again)
		}
		if FormatSave(again) != out {
			t.Fatalf("format not stable: %q", out)
		}
		if !table.Equal(again) {
			t.Fatal("Equal disagrees with DeepEqual")
		}
	})
}
