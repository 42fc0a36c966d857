package module

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestParseKVAsAnsible compares ParseKV with what Ansible's parse_kv returns
// for every case of testdata/kv/cases.json (written by testdata/kv/gen.py).
func TestParseKVAsAnsible(t *testing.T) {
	data, err := os.ReadFile("testdata/kv/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			In       string            `json:"in"`
			CheckRaw bool              `json:"check_raw"`
			Out      map[string]string `json:"out"`
			Error    string            `json:"error"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	for _, c := range golden.Cases {
		ff, err := ParseKV(c.In, c.CheckRaw)
		if c.Error != "" {
			if err == nil {
				t.Errorf("ParseKV(%q, %v) = %+v, want an error (Ansible: %s)", c.In, c.CheckRaw, ff, c.Error)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseKV(%q, %v): %v", c.In, c.CheckRaw, err)
			continue
		}
		got := map[string]string{}
		for _, kv := range ff.Pairs {
			got[kv.Key] = kv.Value
		}
		if ff.Raw != "" {
			got["_raw_params"] = ff.Raw
		}
		if !reflect.DeepEqual(got, c.Out) {
			t.Errorf("ParseKV(%q, %v)\n got %q\nwant %q", c.In, c.CheckRaw, got, c.Out)
		}
	}
}

func TestKVNode(t *testing.T) {
	doc := yamlNode(t, "service: name=nginx state=started\ncopy: 'src=a dest=\"/b c\"'\ncommand: chdir=/tmp ls -l creates=/x\n")
	m := doc.Content[0]
	for _, c := range []struct {
		module string
		node   int
		want   string // key=value@line:col ...
	}{
		{"service", 1, "name=nginx@1:10 state=started@1:21"},
		{"copy", 3, "src=a@2:8 dest=/b c@2:14"},
		{"command", 5, "chdir=/tmp@3:10 creates=/x@3:27 cmd=ls -l@3:10"},
	} {
		n, err := KVNode(c.module, m.Content[c.node])
		if err != nil {
			t.Fatalf("%s: %v", c.module, err)
		}
		var got []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			got = append(got, k.Value+"="+v.Value+"@"+fmt.Sprintf("%d:%d", k.Line, k.Column))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: got %q, want %q", c.module, strings.Join(got, " "), c.want)
		}
	}
	bad := yamlNode(t, "copy: src=a oops\nservice: msg='open\n")
	if _, err := KVNode("copy", bad.Content[0].Content[1]); err == nil || err.Error() != `line 1:13: "oops" is no key=value argument (only command and shell take a free-form command)` {
		t.Errorf("raw words: %v", err)
	}
	if _, err := KVNode("service", bad.Content[0].Content[3]); err == nil || !strings.HasPrefix(err.Error(), "line 2:10: free-form arguments \"msg='open\": unbalanced quotes") {
		t.Errorf("unbalanced: %v", err)
	}
}
