package lvs

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

// fakeLab answers http_check requests like a lab would: test.html in
// scheduler order (wrr over weights), sites by SNI, lnmp.php.
type fakeLab struct {
	order     []string // server per request, cycled
	i         int
	sticky    string // when set, every request lands here
	certNames map[string]string
	calls     []map[string]any
}

func (f *fakeLab) next() string {
	if f.sticky != "" {
		return f.sticky
	}
	s := f.order[f.i%len(f.order)]
	f.i++
	return s
}

func (f *fakeLab) check(_ context.Context, args map[string]any) (HTTPAnswers, error) {
	f.calls = append(f.calls, args)
	n, _ := args["count"].(int)
	a := HTTPAnswers{Requests: n, Answers: map[string]int{}, CertSets: map[string]int{}}
	url := args["url"].(string)
	for i := 0; i < n; i++ {
		switch {
		case strings.HasSuffix(url, "/test.html"):
			a.Answers["real server "+f.next()]++
		case strings.HasSuffix(url, "/lnmp.php"):
			a.Answers["lnmp on "+f.next()+": MariaDB version 10.11.6-MariaDB-0+deb12u1"]++
		default:
			sni, _ := args["sni"].(string)
			a.Answers["website "+sni+" on real server "+f.next()]++
			a.CertSets[f.certNames[sni]]++
		}
	}
	return a, nil
}

func labConfig(mode string, weights ...int) Config {
	c := Config{Mode: mode, VIP: "172.17.1.6", Ports: []int{80}, Scheduler: "wrr", FWMark: 99, Director: "lvs-server", Servers: servers(weights...)}
	if mode == "fwmark" {
		c.Scheduler, c.Persistence, c.Ports, c.SSL = "rr", 300, []int{80, 443}, true
		c.Sites = []Site{{Name: "www.along.com"}, {Name: "www.along2.com"}}
	}
	return c
}

// director returns a fake director whose counters grow by in/out packets
// per call of the stats command.
func director(key string, in, out uint64) *hosttest.Fake {
	calls := uint64(0)
	return hosttest.New().OnFunc("ipvsadm -Ln --stats", func(string) (host.Result, error) {
		calls++
		// The counters show up one reading late, as the kernel's estimator does.
		seen := calls / 2
		return host.Result{Stdout: fmt.Sprintf("Prot LocalAddress:Port Conns InPkts OutPkts InBytes OutBytes\n  -> RemoteAddress:Port\n%s %d %d %d 0 0\n", key, seen*40, seen*in, seen*out)}, nil
	})
}

func TestVerifyNATWeighted(t *testing.T) {
	lab := &fakeLab{order: []string{"rs01", "rs01", "rs01", "rs02"}}
	v := &Verifier{Config: labConfig("nat", 3, 1), HTTP: lab.check, Poll: time.Millisecond, Settle: 50 * time.Millisecond, Director: director("TCP  172.17.1.6:80", 200, 160), From: "client", Requests: 40}
	rep, err := v.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Failures(); len(f) > 0 {
		t.Fatalf("failures: %v", f)
	}
	var b bytes.Buffer
	rep.Write(&b)
	for _, want := range []string{"75.0%", "replies come back through the director (NAT)", "rs01: MariaDB 10.11.6"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	if rep.JSON()["ok"] != true {
		t.Error("JSON says not ok")
	}
}

func TestVerifyShareOffFails(t *testing.T) {
	lab := &fakeLab{order: []string{"rs01", "rs02"}}
	v := &Verifier{Config: labConfig("nat", 3, 1), HTTP: lab.check, From: "client"}
	rep, err := v.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Join(rep.Failures(), "\n"); !strings.Contains(f, "expected 75.0%") {
		t.Fatalf("want a share failure, got %q", f)
	}
}

func TestVerifyDRReplyPath(t *testing.T) {
	cfg := labConfig("dr", 1, 1)
	lab := &fakeLab{order: []string{"rs01", "rs02"}}
	ok := &Verifier{Config: cfg, HTTP: lab.check, Poll: time.Millisecond, Settle: 50 * time.Millisecond, Director: director("TCP  172.17.1.6:80", 200, 0)}
	rep, err := ok.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Failures(); len(f) > 0 {
		t.Fatalf("failures: %v", f)
	}
	bad := &Verifier{Config: cfg, HTTP: lab.check, Poll: time.Millisecond, Settle: 50 * time.Millisecond, Director: director("TCP  172.17.1.6:80", 200, 150)}
	rep, _ = bad.Run(context.Background())
	if f := strings.Join(rep.Failures(), "\n"); !strings.Contains(f, "replies pass the director") {
		t.Fatalf("want a reply path failure, got %q", f)
	}
	missing := &Verifier{Config: cfg, HTTP: lab.check, Poll: time.Millisecond, Settle: 50 * time.Millisecond, Director: director("TCP  10.0.0.1:80", 200, 0)}
	rep, _ = missing.Run(context.Background())
	if f := strings.Join(rep.Failures(), "\n"); !strings.Contains(f, "no virtual service TCP 172.17.1.6:80") {
		t.Fatalf("want a missing service failure, got %q", f)
	}
}

func TestVerifyFwmarkPersistenceAndSNI(t *testing.T) {
	cfg := labConfig("fwmark", 1, 1)
	lab := &fakeLab{sticky: "rs02", certNames: map[string]string{"www.along.com": "www.along.com", "www.along2.com": "www.along2.com"}}
	v := &Verifier{Config: cfg, HTTP: lab.check, Poll: time.Millisecond, Settle: 50 * time.Millisecond, Director: director("FWM  99", 200, 0)}
	rep, err := v.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Failures(); len(f) > 0 {
		t.Fatalf("failures: %v", f)
	}
	names := map[string]bool{}
	for _, c := range rep.Checks {
		names[c.Name] = true
	}
	for _, want := range []string{"persistence 80+443", "certificate www.along.com", "certificate www.along2.com", "reply path"} {
		if !names[want] {
			t.Errorf("no check %q in %v", want, names)
		}
	}
	// The wrong certificate for a name fails.
	lab.certNames["www.along2.com"] = "www.along.com"
	rep, _ = v.Run(context.Background())
	if f := strings.Join(rep.Failures(), "\n"); !strings.Contains(f, "the certificate served for SNI www.along2.com names www.along.com") {
		t.Fatalf("want a certificate failure, got %q", f)
	}
	// Broken persistence fails.
	lab.sticky = ""
	lab.order = []string{"rs01", "rs02"}
	lab.certNames["www.along2.com"] = "www.along2.com"
	rep, _ = v.Run(context.Background())
	if f := strings.Join(rep.Failures(), "\n"); !strings.Contains(f, "persistence broken") {
		t.Fatalf("want a persistence failure, got %q", f)
	}
}

func TestServiceKeys(t *testing.T) {
	c := labConfig("dr", 1)
	c.Ports = []int{80, 443}
	if got := strings.Join(c.ServiceKeys(), ","); got != "TCP 172.17.1.6:80,TCP 172.17.1.6:443" {
		t.Errorf("keys %s", got)
	}
	c.Mode = "fwmark"
	if got := strings.Join(c.ServiceKeys(), ","); got != "FWM 99" {
		t.Errorf("keys %s", got)
	}
}
