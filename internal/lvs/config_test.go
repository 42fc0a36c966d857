package lvs

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type fakeInv map[string]map[string]any

var groups = map[string][]string{"director": {"lvs-server"}, "realservers": {"rs01", "rs02"}, "clients": {"client"}}

func (f fakeInv) Match(p string) ([]string, error) {
	if g, ok := groups[p]; ok {
		return g, nil
	}
	return nil, errors.New("no such group " + p)
}

func (f fakeInv) HostVars(name string) map[string]any {
	out := map[string]any{}
	for k, v := range f["all"] {
		out[k] = v
	}
	for k, v := range f[name] {
		out[k] = v
	}
	return out
}

func labInv() fakeInv {
	return fakeInv{
		"all": {"lvs_mode": "nat", "vip": "172.17.1.6", "vip_dr": "192.168.30.100", "vip_ports": []any{80}, "scheduler": "wrr",
			"persistence_timeout": 0, "fwmark": 99, "ssl": false,
			"sites": []any{map[string]any{"name": "www.along.com", "root": "/app/website1"}}},
		"lvs-server": {"ansible_host": "10.254.0.6", "dip": "192.168.30.106"},
		"rs01":       {"ansible_host": "10.254.0.107", "rip": "192.168.30.107", "weight": 3},
		"rs02":       {"ansible_host": "192.168.30.7", "rip": "{{ ansible_host }}"},
	}
}

func TestNewConfigModes(t *testing.T) {
	cases := []struct {
		extra   map[string]any
		vip     string
		ports   []int
		sched   string
		persist int
	}{
		{nil, "172.17.1.6", []int{80}, "wrr", 0},
		{map[string]any{"lvs_mode": "dr"}, "192.168.30.100", []int{80}, "wrr", 0},
		{map[string]any{"lvs_mode": "fwmark", "ssl": true}, "192.168.30.100", []int{80, 443}, "rr", 300},
		{map[string]any{"lvs_mode": "fwmark", "persistence_timeout": "60", "fwmark_scheduler": "wlc"}, "192.168.30.100", []int{80}, "wlc", 60},
		{map[string]any{"ssl": "yes", "vip_ports": []any{80, 443}}, "172.17.1.6", []int{80, 443}, "wrr", 0},
	}
	for _, c := range cases {
		cfg, err := NewConfig(labInv(), c.extra)
		if err != nil {
			t.Fatalf("%v: %v", c.extra, err)
		}
		if cfg.VIP != c.vip || !reflect.DeepEqual(cfg.Ports, c.ports) || cfg.Scheduler != c.sched || cfg.Persistence != c.persist {
			t.Errorf("%v: got vip %s ports %v sched %s persist %d", c.extra, cfg.VIP, cfg.Ports, cfg.Scheduler, cfg.Persistence)
		}
	}
	cfg, _ := NewConfig(labInv(), nil)
	want := []Server{{Name: "rs01", Addr: "192.168.30.107", Weight: 3}, {Name: "rs02", Addr: "192.168.30.7", Weight: 1}}
	if !reflect.DeepEqual(cfg.Servers, want) || cfg.Director != "lvs-server" || cfg.Clients[0] != "client" || cfg.DIP != "192.168.30.106" {
		t.Errorf("config %+v", cfg)
	}
}

func TestNewConfigErrors(t *testing.T) {
	inv := labInv()
	inv["all"]["lvs_mode"] = "ipip"
	inv["all"]["vip_ports"] = []any{"http"}
	inv["rs01"]["weight"] = "heavy"
	_, err := NewConfig(inv, nil)
	for _, want := range []string{"lvs_mode must be nat, dr, fwmark or tun", "vip_ports", "weight: \"heavy\" is not a whole number (host rs01)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestParseState(t *testing.T) {
	got := ParseState("# Written by lvslab\nlvs_mode=fwmark\nssl=true\nother=x\n")
	if !reflect.DeepEqual(got, map[string]any{"lvs_mode": "fwmark", "ssl": true}) {
		t.Errorf("state %v", got)
	}
	if got := ParseState("lvs_mode=bogus\n"); len(got) != 0 {
		t.Errorf("a bad mode is not a state: %v", got)
	}
	if got := ParseState("lvs_mode=tun\nlvs_ha=true\n"); !reflect.DeepEqual(got, map[string]any{"lvs_mode": "tun", "lvs_ha": true}) {
		t.Errorf("tun with ha: %v", got)
	}
	if got := ParseState(""); len(got) != 0 {
		t.Errorf("no record: %v", got)
	}
}

func TestServedPorts(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want []int
	}{
		{Config{Ports: []int{80, 443}, SSL: false}, []int{80}},
		{Config{Ports: []int{80, 443}, SSL: true}, []int{80, 443}},
		{Config{Ports: []int{80, 8080}}, []int{80, 8080}},
	} {
		if got := c.cfg.ServedPorts(); !slices.Equal(got, c.want) {
			t.Errorf("ports %v ssl %v: served %v, want %v", c.cfg.Ports, c.cfg.SSL, got, c.want)
		}
	}
}
