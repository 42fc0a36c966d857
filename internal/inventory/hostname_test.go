package inventory

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpandHost(t *testing.T) {
	tests := []struct {
		in    string
		names []string
		port  int
		err   string
	}{
		{in: "web1", names: []string{"web1"}},
		{in: "rs[01:03]", names: []string{"rs01", "rs02", "rs03"}},
		{in: "rs[1:3]", names: []string{"rs1", "rs2", "rs3"}},
		{in: "rs[:2]", names: []string{"rs0", "rs1", "rs2"}},
		{in: "rs[8:11]", names: []string{"rs8", "rs9", "rs10", "rs11"}},
		{in: "rs[1:9:2]", names: []string{"rs1", "rs3", "rs5", "rs7", "rs9"}},
		{in: "rs[01:10:3]", names: []string{"rs01", "rs04", "rs07", "rs10"}},
		{in: "web[a:c].example.com", names: []string{"weba.example.com", "webb.example.com", "webc.example.com"}},
		{in: "h[y:B]", names: []string{"hy", "hz", "hA", "hB"}},
		{in: "h[a:e:2]", names: []string{"ha", "hc", "he"}},
		{in: "r[1:2]-[a:b]", names: []string{"r1-a", "r1-b", "r2-a", "r2-b"}},
		{in: "10.0.0.[1:3]", names: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
		{in: "web1:2222", names: []string{"web1"}, port: 2222},
		{in: "rs[1:2]:2222", names: []string{"rs1", "rs2"}, port: 2222},
		{in: "fe80::1", names: []string{"fe80::1"}},
		{in: "[fe80::1]:22", names: []string{"fe80::1"}, port: 22},
		{in: "web[1]", err: "invalid host name"},
		{in: "a:b", err: "invalid host name"},
		{in: "a,b", err: "invalid host name"},
		{in: "ansible_host=x", err: "invalid host name"},
		{in: "!a", err: "invalid host name"},
		{in: "~a", err: "invalid host name"},
		{in: "", err: "empty host name"},
		{in: "a b", err: "invalid host name"},
		{in: "rs[3:1]", err: "must have begin <= end"},
		{in: "rs[C:a]", err: "must have begin <= end"},
		{in: "rs[1:]", err: "has no end"},
		{in: "rs[1:2:3:4]", err: "must be begin:end or begin:end:step"},
		{in: "rs[1:2:-1]", err: "step must be a positive integer"},
		{in: "rs[0:99999999]", err: "expands to more than"},
		{in: "a[0:999]b[0:999]", err: "expand to more than"},
		{in: "rs[1:99999999999999999999]", err: "too large"},
		{in: "h:0", err: "invalid port"},
	}
	for _, tt := range tests {
		names, port, err := expandHost(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expandHost(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(names, tt.names) || port != tt.port {
			t.Errorf("expandHost(%q) = %v, %d, %v; want %v, %d", tt.in, names, port, err, tt.names, tt.port)
		}
	}
}
