package lvs

import "testing"

func TestLabRules(t *testing.T) {
	rules := map[string]func(any) error{}
	for _, r := range labRules {
		rules[r.key] = r.check
	}
	site := func(name, root any) any { return []any{map[string]any{"name": name, "root": root}} }
	for _, c := range []struct {
		key string
		v   any
		ok  bool
	}{
		{"vip", "172.17.1.6", true}, {"vip", "1.2.3.4;id", false}, {"vip", "fe80::1", false}, {"vip", 1234, false},
		{"vip_ports", []any{80, "443"}, true}, {"vip_ports", 8080, true}, {"vip_ports", []any{0}, false}, {"vip_ports", 1.5, false},
		{"weight", 0, true}, {"weight", 65535, true}, {"weight", 65536, false}, {"weight", "3", true},
		{"scheduler", "mh", true}, {"scheduler", "WRR", false},
		{"fwmark", 1, true}, {"fwmark", uint64(1<<32 - 1), true}, {"fwmark", 1 << 32, false}, {"fwmark", 0, false},
		{"persistence_timeout", 0, true}, {"persistence_timeout", MaxPersistence + 1, false},
		{"vip_device", "eth0", true}, {"vip_device", "br-lab.10", true}, {"vip_device", "eth0:0", false}, {"vip_device", "..", false},
		{"sites", site("www.along.com", "/app/website1"), true},
		{"sites", site("www.along.com.", nil), true},
		{"sites", site("-a.com", "/app"), false},
		{"sites", site("a_b.com", "/app"), false},
		{"sites", site("a.com", "/"), false},
		{"sites", site("a.com", "/app/{x}"), false},
		{"sites", site("a.com", "/app/.."), false},
		{"sites", site("a.com", "/app/..x"), true},
		{"sites", "www", false},
	} {
		err := rules[c.key](c.v)
		if (err == nil) != c.ok {
			t.Errorf("%s %#v: error %v, want ok %v", c.key, c.v, err, c.ok)
		}
	}
}
