package tmpl

import "testing"

// Filters and tests by their FQCN, as community.sops writes them, render
// as the plain names; text outside tags is left alone.
func TestFQCNFiltersAndTests(t *testing.T) {
	vars := map[string]any{"loc": "https://x/releases/tag/v3.7.3", "tags": []any{"v1.0", "v2.1"}, "v": "2.14.1"}
	for src, want := range map[string]string{
		`{{ loc | ansible.builtin.regex_search("tag/v([0-9.]+)", "\\1") | first }}`:  "3.7.3",
		`{{ tags | map("ansible.builtin.regex_replace", "^v", "") | join(",") }}`:   "1.0,2.1",
		`{{ tags | map('community.general.regex_replace', '^v', '') | list | last }}`: "2.1",
		`{% if v is ansible.builtin.version('2.10', '>=') %}new{% endif %}`:           "new",
		`{{ v is not ansible.builtin.version('2.10', '>=') }}`:                         "False",
		`see | ansible.builtin.copy {{ 'ok' | ansible.legacy.upper }}`:                 "see | ansible.builtin.copy OK",
	} {
		if got, err := Render("t", src, vars); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", src, got, err, want)
		}
	}
}
