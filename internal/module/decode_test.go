package module

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTypeErrorsQuoteNoValue: a value of the wrong type (a secret given to
// the wrong key, or rendered where a list belongs) is an error that names
// the key, the type wanted and the kind got, and never quotes the value,
// not even its first characters as yaml.v3 does ("!!str `Sup3rS3...`").
func TestTypeErrorsQuoteNoValue(t *testing.T) {
	q, _ := json.Marshal(`Sup3rS3cr3t"'$x`)
	sec := string(q) // as a YAML double-quoted string
	for _, c := range []struct{ module, args, want string }{
		{"command", "argv: " + sec + "", "line 1:7: argv: want a list, got a string"},
		{"copy", "dest: /x\ncontent: hi\nmode: " + sec + "", "line 3:7: mode: want an octal mode like 0644, got a string"},
		{"copy", "dest: {a: " + sec + "}\ncontent: x", "line 1:7: dest: want a string, got a mapping"},
		{"service", "name: x\nenabled: " + sec + "", "line 2:10: enabled: want a boolean (yes, no, true, false), got a string"},
		{"wait_for", "port: " + sec + "", "line 1:7: port: want an integer, got a string"},
		{"wait_for", "port: 99999999999999999999999", "port: want an integer"},
		{"package", "name: x\ncache_valid_time: [1, " + sec + "]", "line 2:19: cache_valid_time: want an integer, got a list"},
	} {
		_, err := newModuleErr(c.module, c.args)
		if err == nil {
			t.Errorf("%s %q: no error", c.module, c.args)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "Sup3r") || strings.Contains(msg, "999") || !strings.Contains(msg, c.want) {
			t.Errorf("%s %q:\n%s\nwant %s, and no value", c.module, c.args, msg, c.want)
		}
	}
}
