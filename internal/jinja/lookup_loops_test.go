package jinja

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoopLookupsAsAnsible renders the with_* lookups as query() and
// compares with what ansible-core 2.14 printed for the same templates.
func TestLoopLookupsAsAnsible(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "files"), 0o755)
	for _, f := range []string{"a.conf", "c.txt"} {
		os.WriteFile(filepath.Join(dir, "files", f), nil, 0o644)
	}
	cases := []struct{ tpl, want string }{
		{`{{ query('items', [1, [2, [3]]], 4) | to_json }}`, `[1, [2, [3]], 4]`},
		{`{{ query('list', [1, [2]], 3) | to_json }}`, `[[1, [2]], 3]`},
		{`{{ query('flattened', [1, [2, [3, None]]], 4) | to_json }}`, `[1, 2, 3, null, 4]`},
		{`{{ query('dict', {'b': 1, 'a': {'x': 2}}) | to_json }}`, `[{"key": "b", "value": 1}, {"key": "a", "value": {"x": 2}}]`},
		{`{{ query('subelements', [{'name': 'u1', 'keys': ['k1', 'k2']}, {'name': 'u2', 'keys': []}], 'keys') | to_json }}`, `[[{"name": "u1"}, "k1"], [{"name": "u1"}, "k2"]]`},
		{`{{ query('subelements', [{'name': 'u1', 'm': {'keys': ['k1']}}, {'name': 'u2'}], 'm.keys', {'skip_missing': true}) | to_json }}`, `[[{"name": "u1", "m": {}}, "k1"]]`},
		{`{{ query('together', [1, 2, 3], ['a', 'b']) | to_json }}`, `[[1, "a"], [2, "b"], [3, null]]`},
		{`{{ query('sequence', '5') | to_json }}`, `["1", "2", "3", "4", "5"]`},
		{`{{ query('sequence', '2-10/2') | to_json }}`, `["2", "4", "6", "8", "10"]`},
		{`{{ query('sequence', '4:host%02d') | to_json }}`, `["host01", "host02", "host03", "host04"]`},
		{`{{ query('sequence', 'start=5 end=11 stride=2 format=0x%02x') | to_json }}`, `["0x05", "0x07", "0x09", "0x0b"]`},
		{`{{ query('sequence', 'start=0x0f00 count=4 format=%04x') | to_json }}`, `["0f00", "0f01", "0f02", "0f03"]`},
		{`{{ query('sequence', 'count=0') | to_json }}`, `[]`},
		{`{{ query('sequence', 'start=10 end=1 stride=-3') | to_json }}`, `["10", "7", "4", "1"]`},
		{`{{ query('nested', [1, 2], ['a', 'b'], ['x']) | to_json }}`, `[[1, "a", "x"], [1, "b", "x"], [2, "a", "x"], [2, "b", "x"]]`},
		{`{{ query('cartesian', [1, 2], [[3], 4]) | to_json }}`, `[[1, 3], [1, 4], [2, 3], [2, 4]]`},
		{`{{ query('indexed_items', ['a', ['b', 'c']]) | to_json }}`, `[[0, "a"], [1, ["b", "c"]]]`},
		{`{{ query('fileglob', '*.conf') | to_json }}`, `["` + filepath.Join(dir, "files", "a.conf") + `"]`},
		{`{{ query('random_choice', 'only') | to_json }}`, `["only"]`},
		{`{{ lookup('items', [1, 2]) }}`, `[1, 2]`},
		{`{{ lookup('dict', {'a': 1}) }}`, `{'key': 'a', 'value': 1}`},
	}
	for _, c := range cases {
		got, err := render(c.tpl, map[string]any{"playbook_dir": dir})
		if err != nil {
			t.Errorf("%s: %v", c.tpl, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.tpl, got, c.want)
		}
	}
	for _, bad := range []string{
		`{{ query('dict', [1]) }}`,
		`{{ query('sequence', 'start=1') }}`,
		`{{ query('sequence', 'end=1 count=2') }}`,
		`{{ query('subelements', [{'a': 1}], 'keys') }}`,
		`{{ query('nested') }}`,
	} {
		if _, err := render(bad, nil); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
