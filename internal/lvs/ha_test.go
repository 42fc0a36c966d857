package lvs

import (
	"strings"
	"testing"
)

func TestParseRole(t *testing.T) {
	out := "addr=127.0.0.1\naddr=192.168.30.100\nkeepalived=running\nkeepalived=configured\n"
	if r := ParseRole("lvs-server", out, "192.168.30.100"); r.Name() != "MASTER" {
		t.Errorf("role %+v: %s", r, r.Name())
	}
	if r := ParseRole("lvs-server2", "addr=192.168.30.105\nkeepalived=running\n", "192.168.30.100"); r.Name() != "BACKUP" {
		t.Errorf("role %+v: %s", r, r.Name())
	}
	if r := ParseRole("lvs-server2", "addr=192.168.30.1000\nkeepalived=configured\n", "192.168.30.100"); r.HasVIP || r.Name() != "keepalived stopped" {
		t.Errorf("a longer address is not the VIP: %+v", r)
	}
}

func TestPoolTable(t *testing.T) {
	st, err := ParseStatus("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
		"TCP  192.168.30.100:80 wrr\n  -> 192.168.30.7:80              Route   0      0          0\n" +
		"@@lvslab-stats\n@@lvslab-rate\n@@lvslab-conns\n")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Mode: "dr", VIP: "192.168.30.100", Ports: []int{80}, Servers: []Server{{"rs01", "192.168.30.107", 3}, {"rs02", "192.168.30.7", 1}}}
	tab, out := PoolTable(st, cfg)
	s := tab.String()
	if len(out) != 2 || !strings.Contains(s, "removed (its check fails)") || !strings.Contains(s, "drained or failed") {
		t.Errorf("out %v\n%s", out, s)
	}
}
