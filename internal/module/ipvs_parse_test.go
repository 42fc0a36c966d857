package module

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Samples in the format ipvsadm 1.31 prints for `ipvsadm -S -n` (format
// strings of print_service_entry / print_tunnel_rule).
const (
	ipvsSampleNAT = `-A -t 172.17.1.6:80 -s wrr
-a -t 172.17.1.6:80 -r 192.168.30.7:80 -m -w 1
-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 1
`
	ipvsSampleFWMark = `# ipvsadm.rules
-A -f 99 -s rr -p 300
-a -f 99 -r 172.17.1.7:0 -g -w 1
-a -f 99 -r 172.17.22.22:0 -g -w 1
`
	ipvsSampleMixed = `-A -u 10.0.0.53:53 -s sh -o -b sh-fallback,sh-port
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

func TestParseIpvsadmSave(t *testing.T) {
	ap := netip.MustParseAddrPort
	cases := []struct {
		name string
		in   string
		want []IPVSService
	}{
		{"empty", "", nil},
		{"comment only", "# ipvsadm.rules\n\n", nil},
		{"nat", ipvsSampleNAT, []IPVSService{{Protocol: "tcp", Addr: ap("172.17.1.6:80"), Scheduler: "wrr", Dests: []IPVSDest{
			{Addr: ap("192.168.30.7:80"), Forwarding: IPVSNAT, Weight: 1},
			{Addr: ap("192.168.30.107:80"), Forwarding: IPVSNAT, Weight: 1}}}}},
		{"fwmark persistent", ipvsSampleFWMark, []IPVSService{{FWMark: 99, Scheduler: "rr", Persistent: 300, Dests: []IPVSDest{
			{Addr: ap("172.17.1.7:0"), Forwarding: IPVSDirect, Weight: 1},
			{Addr: ap("172.17.22.22:0"), Forwarding: IPVSDirect, Weight: 1}}}}},
		{"mixed", ipvsSampleMixed, []IPVSService{
			{Protocol: "udp", Addr: ap("10.0.0.53:53"), Scheduler: "sh", OnePacket: true, SchedFlags: []string{"sh-fallback", "sh-port"}},
			{Protocol: "tcp", Addr: ap("[2001:db8::10]:443"), Scheduler: "wlc", Persistent: 3600, Netmask: "64",
				Dests: []IPVSDest{{Addr: ap("[2001:db8::21]:443"), Forwarding: IPVSDirect, Weight: 5}}},
			{FWMark: 7, IPv6: true, Scheduler: "rr", Dests: []IPVSDest{{Addr: ap("[2001:db8::22]:0"), Forwarding: IPVSDirect, Weight: 1}}},
			{Protocol: "udp", Addr: ap("10.0.0.5:5060"), Scheduler: "rr", Persistent: 300, Netmask: "255.255.255.0", PE: "sip",
				Dests: []IPVSDest{{Addr: ap("10.0.1.5:5060"), Forwarding: IPVSTunnel, Weight: 2},
					{Addr: ap("10.0.1.6:5060"), Forwarding: IPVSTunnel, TunType: "gue", TunPort: 6080, TunCsum: "nocsum"}}},
			{Protocol: "sctp", Addr: ap("10.0.0.9:3868"), Scheduler: "lc"}}},
		{"legacy ops and pe, defaults", "-A -u 1.2.3.4:53 -p -M 255.255.255.255 ops pe sip\n-a -u 1.2.3.4:53 -r 5.6.7.8\n",
			[]IPVSService{{Protocol: "udp", Addr: ap("1.2.3.4:53"), Scheduler: "wlc", Persistent: 300, OnePacket: true, PE: "sip",
				Dests: []IPVSDest{{Addr: ap("5.6.7.8:53"), Forwarding: IPVSDirect, Weight: 1}}}}},
		{"dr port forced to service port", "-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2:8080 -g\n-a -t 1.1.1.1:80 -r 2.2.2.3:8080 -m\n",
			[]IPVSService{{Protocol: "tcp", Addr: ap("1.1.1.1:80"), Scheduler: "wlc", Dests: []IPVSDest{
				{Addr: ap("2.2.2.2:80"), Forwarding: IPVSDirect, Weight: 1}, {Addr: ap("2.2.2.3:8080"), Forwarding: IPVSNAT, Weight: 1}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseIpvsadmSave(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %#v\nwant %#v", got, c.want)
			}
			again, err := ParseIpvsadmSave(FormatIpvsadmSave(got))
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip: %v\n%s", err, FormatIpvsadmSave(got))
			}
		})
	}
}

func TestFormatIpvsadmSaveIsIpvsadmFormat(t *testing.T) {
	for _, in := range []string{ipvsSampleNAT, strings.TrimPrefix(ipvsSampleFWMark, "# ipvsadm.rules\n")} {
		table, err := ParseIpvsadmSave(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatIpvsadmSave(table); got != in {
			t.Errorf("format:\n%s\nwant:\n%s", got, in)
		}
	}
}

func TestParseIpvsadmSaveErrors(t *testing.T) {
	for in, want := range map[string]string{
		"-A -t 1.1.1.1:80 -s rr --frobnicate":                    `line 1: unknown option "--frobnicate"`,
		"-a -t 1.1.1.1:80 -r 2.2.2.2:80 -m -w 1":                 "before its -A line",
		"-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80":                     "line 2: service tcp 1.1.1.1:80 listed twice",
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
		_, err := ParseIpvsadmSave(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestIPVSServiceEqual(t *testing.T) {
	a, _ := ParseIpvsadmSave(ipvsSampleNAT)
	b, _ := ParseIpvsadmSave("-A -t 172.17.1.6:80 -s wrr\n-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 1\n-a -t 172.17.1.6:80 -r 192.168.30.7:80 -m -w 1\n")
	if !a[0].Equal(b[0]) || !ipvsTablesEqual(a, b) {
		t.Error("order of real servers matters")
	}
	c := b[0]
	c.Dests = append([]IPVSDest(nil), c.Dests...)
	c.Dests[0].Weight = 3
	if a[0].Equal(c) || !a[0].SameSpec(c) {
		t.Error("weight not compared, or compared by SameSpec")
	}
	c.Scheduler = "rr"
	if a[0].SameSpec(c) {
		t.Error("scheduler not compared")
	}
}

func TestIpvsParseConns(t *testing.T) {
	out := `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  172.17.1.6:80 wrr
  -> 192.168.30.7:80              Masq    0      3          10
  -> 192.168.30.107:80            Masq    1      0          0
`
	got := ipvsParseConns(out)
	if got["192.168.30.7:80"] != 3 || got["192.168.30.107:80"] != 0 || len(got) != 2 {
		t.Errorf("conns %v", got)
	}
}

// FuzzParseIpvsadmSave checks that the parser never panics and that what it
// accepts survives format-then-parse unchanged.
func FuzzParseIpvsadmSave(f *testing.F) {
	for _, s := range []string{ipvsSampleNAT, ipvsSampleFWMark, ipvsSampleMixed,
		"-A -u 1.2.3.4:53 -p -M 255.255.255.255 ops pe sip\n-a -u 1.2.3.4:53 -r 5.6.7.8\n", "-A -t [::1]:80 -s rr\n-a -t [::1]:80 -r ::2 -m -w 7\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		table, err := ParseIpvsadmSave(in)
		if err != nil {
			return
		}
		out := FormatIpvsadmSave(table)
		again, err := ParseIpvsadmSave(out)
		if err != nil {
			t.Fatalf("formatted table does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(table, again) {
			t.Fatalf("parse-format-parse changed the table\nin:  %q\nout: %q\n%#v\n%#v", in, out, table, again)
		}
		if FormatIpvsadmSave(again) != out {
			t.Fatalf("format not stable: %q", out)
		}
		if !ipvsTablesEqual(table, again) {
			t.Fatal("Equal disagrees with DeepEqual")
		}
	})
}
