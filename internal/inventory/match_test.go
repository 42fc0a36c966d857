package inventory

import (
	"reflect"
	"strings"
	"testing"
)

const matchINI = `
lone
café
[director]
lvs-server
[realservers]
rs01
rs02
rs03.example.com
[clients]
client.example.com
[web]
rs02
lvs-server
[lab:children]
director
realservers
`

func TestMatch(t *testing.T) {
	inv := mustParse(t, "m.ini", matchINI)
	// As ansible -i m.ini PATTERN --list-hosts (ansible-core 2.14): group
	// by group, breadth first, each host once.
	all := []string{"lone", "café", "client.example.com", "rs02", "lvs-server", "rs01", "rs03.example.com"}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"all", all},
		{"*", all},
		{"", []string{}},
		{"rs01", []string{"rs01"}},
		{"realservers", []string{"rs01", "rs02", "rs03.example.com"}},
		{"lab", []string{"lvs-server", "rs01", "rs02", "rs03.example.com"}},
		{"ungrouped", []string{"lone", "café"}},
		{"rs*", []string{"rs01", "rs02", "rs03.example.com"}},
		{"*.example.com", []string{"rs03.example.com", "client.example.com"}},
		{"rs0?", []string{"rs01", "rs02"}},
		{"rs0[!1]*", []string{"rs02", "rs03.example.com"}},
		{"real*", []string{"rs01", "rs02", "rs03.example.com"}},
		{"~rs0[12]", []string{"rs01", "rs02"}},
		{"~^(lone|client)", []string{"client.example.com", "lone"}},
		{"~caf.$", []string{"café"}},
		{"~example", []string{}}, // re.match: anchored at the start
		{"clients:director", []string{"client.example.com", "lvs-server"}},
		{"clients,director", []string{"client.example.com", "lvs-server"}},
		{"clients, director , rs01", []string{"client.example.com", "lvs-server", "rs01"}},
		{"realservers:&web", []string{"rs02"}},
		{"realservers:!web", []string{"rs01", "rs03.example.com"}},
		{"lab:!director:&web", []string{"rs02"}},
		{"!web:lab", []string{"rs01", "rs03.example.com"}}, // unions first, whatever the order
		{"&web:!rs02:lab", []string{"lvs-server"}},
		{"!realservers", []string{"lone", "café", "client.example.com", "lvs-server"}},
		{"&web", []string{"rs02", "lvs-server"}},
		{"realservers:realservers:rs01", []string{"rs01", "rs02", "rs03.example.com"}},
		{"realservers[0]", []string{"rs01"}},
		{"realservers[-1]", []string{"rs03.example.com"}},
		{"realservers[1:]", []string{"rs02", "rs03.example.com"}},
		{"realservers[0:1]", []string{"rs01", "rs02"}},
		{"realservers[9]", []string{}},
		{"nosuch", []string{}},
		{"nosuch:rs01", []string{"rs01"}},
		{"café", []string{"café"}},
		{"caf?", []string{"café"}},
	}
	for _, tt := range tests {
		got, err := inv.Match(tt.pattern)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Match(%q) = %v, %v; want %v", tt.pattern, got, err, tt.want)
		}
	}
}

func TestMatchErrors(t *testing.T) {
	inv := mustParse(t, "m.ini", matchINI)
	for _, p := range []string{"~rs(", "web,!", "web,&", "~(?=x)", "\xff"} {
		if _, err := inv.Match(p); err == nil || !strings.Contains(err.Error(), "invalid host pattern") {
			t.Errorf("Match(%q) error = %v", p, err)
		}
	}
}

func TestSplitPattern(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a:b", []string{"a", "b"}},
		{"a,b:c", []string{"a", "b:c"}},
		{" a : &b :!c ", []string{"a", "&b", "!c"}},
		{"web[0:2]:db", []string{"web[0:2]", "db"}},
		{"fe80::1", []string{"fe80::1"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := splitPattern(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitPattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
