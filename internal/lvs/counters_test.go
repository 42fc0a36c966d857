package lvs

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestDelta(t *testing.T) {
	ap := netip.MustParseAddrPort
	before := Status{Services: []Service{
		{Protocol: "tcp", Addr: ap("10.0.0.1:80"), Stats: Counters{10, 60, 40, 1000, 2000}, Dests: []Dest{
			{Addr: ap("10.0.1.1:80"), Stats: Counters{5, 30, 20, 500, 1000}},
			{Addr: ap("10.0.1.2:80"), Stats: Counters{5, 30, 20, 500, 1000}},
		}},
		{Protocol: "tcp", Addr: ap("10.0.0.1:443"), Stats: Counters{7, 7, 7, 7, 7}},
	}}
	after := Status{Services: []Service{
		{Protocol: "tcp", Addr: ap("10.0.0.1:80"), Stats: Counters{30, 180, 40, 3000, 2000}, Dests: []Dest{
			{Addr: ap("10.0.1.1:80"), Stats: Counters{15, 90, 20, 1500, 1000}},
			{Addr: ap("10.0.1.2:80"), Stats: Counters{15, 90, 20, 1500, 1000}},
			{Addr: ap("10.0.1.3:80"), Stats: Counters{1, 2, 3, 4, 5}}, // added meanwhile
		}},
		// 443 was recreated: its counters went down, they count from zero.
		{Protocol: "tcp", Addr: ap("10.0.0.1:443"), Stats: Counters{2, 2, 2, 2, 2}},
	}}
	got := Delta(before, after, []string{"TCP 10.0.0.1:80", "TCP 10.0.0.1:443", "FWM 99"})
	want := []ServiceDelta{
		{Key: "TCP 10.0.0.1:80", Stats: Counters{20, 120, 0, 2000, 0}, Dests: []DestDelta{
			{Addr: "10.0.1.1:80", Stats: Counters{10, 60, 0, 1000, 0}},
			{Addr: "10.0.1.2:80", Stats: Counters{10, 60, 0, 1000, 0}},
			{Addr: "10.0.1.3:80", Stats: Counters{1, 2, 3, 4, 5}},
		}},
		{Key: "TCP 10.0.0.1:443", Stats: Counters{2, 2, 2, 2, 2}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Delta:\n got %+v\nwant %+v", got, want)
	}
	if sum := Sum(got); sum != (Counters{22, 122, 2, 2002, 2}) {
		t.Errorf("Sum: %v", sum)
	}
}
