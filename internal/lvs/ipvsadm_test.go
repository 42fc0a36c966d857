package lvs

import (
	"os"
	"path/filepath"
	"testing"

	"lvslab/internal/ipvs"
)

func TestParseStatus(t *testing.T) {
	out, err := os.ReadFile(filepath.Join("testdata", "status.txt"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStatus(string(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Services) != 2 {
		t.Fatalf("services: %+v", st.Services)
	}
	s := st.Services[0]
	if s.Key() != "TCP 172.17.1.6:80" || s.Scheduler != "wrr" || len(s.Dests) != 2 {
		t.Fatalf("service 0: %+v", s)
	}
	if d := s.Dests[1]; d.Key() != "192.168.30.107:80" || d.Forwarding != ipvs.NAT || d.Weight != 3 || d.ActiveConns != 1 || d.InactiveConns != 7 {
		t.Errorf("dest: %+v", d)
	}
	if s.Stats[Conns] != 40 || s.Stats[OutPkts] != 160 || s.Dests[1].Stats[InBytes] != 6000 {
		t.Errorf("stats: %+v %+v", s.Stats, s.Dests[1].Stats)
	}
	if s.Rate[Conns] != 2 || s.Dests[0].Rate[InPkts] != 5 {
		t.Errorf("rates: %+v %+v", s.Rate, s.Dests[0].Rate)
	}
	f := st.Services[1]
	if f.Key() != "FWM 99" || f.Persistent != 300 || f.Dests[0].Forwarding != ipvs.Direct {
		t.Errorf("fwmark: %+v", f)
	}
	if len(st.Conns) != 3 || st.Conns[2].State != "NONE" {
		t.Errorf("conns: %+v", st.Conns)
	}
	golden(t, "status-services.golden", st.ServiceTable().String())
	golden(t, "status-rates.golden", st.RateTable().String())
	sum, entries := st.ConnTable(2)
	golden(t, "status-conns.golden", sum.String()+"\n"+entries.String())
	if m := st.LiveMode(); m != "fwmark" {
		t.Errorf("LiveMode = %q", m)
	}
	if m := (Status{Services: st.Services[:1]}).LiveMode(); m != "nat" {
		t.Errorf("LiveMode = %q", m)
	}
	if m := (Status{}).LiveMode(); m != "" {
		t.Errorf("LiveMode of an empty table = %q", m)
	}
}

func TestParseStatusIncomplete(t *testing.T) {
	if _, err := ParseStatus("IP Virtual Server version 1.2.1\n"); err == nil {
		t.Fatal("want an error for incomplete output")
	}
}

func FuzzParseStatus(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "status.txt")); err == nil {
		f.Add(string(b))
	}
	f.Add("TCP 1 2\n  -> a b 1 2 3\n@@lvslab-stats\n@@lvslab-rate\n@@lvslab-conns\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStatus(s)
		if err == nil {
			_ = st.ServiceTable().String()
			_ = st.RateTable().String()
		}
	})
}
