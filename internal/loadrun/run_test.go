package loadrun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
	"lvslab/internal/load"
	"lvslab/internal/loadrun"
	"lvslab/internal/lvs"
)

// twoServers answers as rs01 and rs02 in turn, as a VIP in front of them would.
func twoServers(t *testing.T) (addr string, port int) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(load.ServerHeader, fmt.Sprintf("rs%02d", 1+n.Add(1)%2))
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	a := srv.Listener.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

// statsDirector answers ipvsadm --stats with 0 connections, then with conns.
func statsDirector(vip string, conns int) *hosttest.Fake {
	f := hosttest.New()
	calls := 0
	f.OnFunc(`ipvsadm -Ln --stats`, func(string) (host.Result, error) {
		calls++
		c := 0
		if calls > 1 {
			c = conns
		}
		out := fmt.Sprintf("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Conns InPkts OutPkts InBytes OutBytes\n"+
			"  -> RemoteAddress:Port\nTCP  %s:80 %d %d 0 %d 0\n  -> 10.0.0.1:80 %d %d 0 %d 0\n  -> 10.0.0.2:80 %d %d 0 %d 0\n",
			vip, c, 4*c, 300*c, c/2, 2*c, 150*c, c-c/2, 2*c, 150*c)
		return host.Result{Stdout: out}, nil
	})
	return f
}

func TestDriverVIP(t *testing.T) {
	addr, port := twoServers(t)
	cfg := lvs.Config{Mode: "dr", VIP: addr, Ports: []int{80}, Scheduler: "rr",
		Servers: []lvs.Server{{Name: "rs01", Addr: "10.0.0.1", Weight: 1}, {Name: "rs02", Addr: "10.0.0.2", Weight: 1}}}
	target := loadrun.VIPTarget(cfg, 80, "/test.html", "")
	target.URL = fmt.Sprintf("http://%s:%d/test.html", addr, port) // the test server's port stands in for 80
	d := &loadrun.Driver{Config: cfg, Source: loadrun.Local{}, Director: statsDirector(addr, 200)}
	o := load.Options{URL: "http://127.0.0.1/", Duration: time.Minute, Requests: 200, Concurrency: 4}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := d.Preflight(context.Background(), target, o); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	var intervals int
	d.On = func(_ loadrun.Target, ev load.Event) {
		if ev.Interval != nil {
			intervals++
		}
	}
	r, err := d.Run(context.Background(), target, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Sent != 200 || r.Summary.Completed != 200 || !r.Shares.OK() {
		t.Errorf("sent %d completed %d shares %+v", r.Summary.Sent, r.Summary.Completed, r.Shares)
	}
	if intervals == 0 {
		t.Errorf("no interval event reached On")
	}
	if sum := lvs.Sum(r.Director); sum[lvs.Conns] != 200 || len(r.Director) != 1 || len(r.Director[0].Dests) != 2 {
		t.Errorf("director delta %+v", r.Director)
	}
	var out bytes.Buffer
	loadrun.Write(&out, cfg, []loadrun.Result{r})
	for _, want := range []string{"dr mode, scheduler rr; from the controller, 4 concurrent, a new connection per request",
		"VIP " + addr + ":80", "rs01              1           50.0%      100  50.0%  ok",
		"200 connections counted by the director for 200 requests sent; no reply passed it"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	ev := r.JSON(cfg)
	if ev["event"] != "load" || ev["target"] != "vip" || ev["shares_ok"] != true {
		t.Errorf("JSON: %v", ev)
	}
}

func TestPreflightNotAnswering(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	o := load.Options{URL: "http://127.0.0.1/", Duration: time.Second, Timeout: time.Second}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	d := &loadrun.Driver{Source: loadrun.Local{}}
	for url, want := range map[string]string{
		"http://" + closed + "/":  "1 refused",
		notFound.URL + "/nothing": "1 answered 404",
	} {
		err := d.Preflight(context.Background(), loadrun.Target{Label: "VIP x", URL: url}, o)
		var na *loadrun.NotAnsweringError
		if !errors.As(err, &na) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "from the controller") {
			t.Errorf("preflight of %s: %v, want a NotAnsweringError saying %q", url, err, want)
		}
	}
}

func TestFactor(t *testing.T) {
	base := loadrun.Result{Target: loadrun.Target{Label: "rs01 directly"}, Summary: load.Summary{RPS: 200}}
	vip := loadrun.Result{Target: loadrun.Target{Label: "VIP", Servers: []lvs.Server{{Weight: 1}, {Weight: 1}, {Weight: 0}}}, Summary: load.Summary{RPS: 390}}
	f, ok := loadrun.Factor([]loadrun.Result{base, vip})
	if !ok || f != "VIP 390 req/s / rs01 directly 200 req/s = x1.95 with 2 real servers" {
		t.Errorf("Factor: %q %v", f, ok)
	}
	if _, ok := loadrun.Factor([]loadrun.Result{vip}); ok {
		t.Errorf("Factor of one run")
	}
	if ev := loadrun.CompareJSON([]loadrun.Result{base, vip}); ev["factor"] != 1.95 {
		t.Errorf("CompareJSON: %v", ev)
	}
}
