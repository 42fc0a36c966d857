package tmpl

import (
	"reflect"
	"testing"
)

// TestValueKeepsSurroundingWhitespace: a single expression with text around it
// ("{{ .x }}\n", a file's content) is a string that keeps the whitespace;
// only a list or mapping value drops it (a YAML block scalar's newline).
func TestValueKeepsSurroundingWhitespace(t *testing.T) {
	vars := map[string]any{"name": "rs01", "port": 80, "list": []any{"a", "b"}}
	for text, want := range map[string]any{
		"{{ name }}\n":    "rs01\n",
		"  {{ name }}":    "  rs01",
		"{{ port }}\n":    "80\n",
		"{{ port }}":      80,
		"{{ list }}\n":    []any{"a", "b"},
		"{{ name }}":      "rs01",
		"\t{{- name }}\n": "rs01\n",
	} {
		got, err := Value("t", text, vars)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Value(%q) = %#v, want %#v", text, got, want)
		}
	}
}
