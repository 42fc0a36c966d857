package tmpl

import "testing"

// A chain of conditional expressions at the top of {{ }}, as
// community.mongodb's defaults write db_path, is Jinja2's: each else takes
// the next conditional; native types and whitespace control are kept.
func TestChainedConditionalAtTop(t *testing.T) {
	src := "{{ '/var/lib/mongodb' if os == 'Debian' else '/var/lib/mongo' if os == 'RedHat' else '/srv/mongo' }}"
	for os, want := range map[string]string{"Debian": "/var/lib/mongodb", "RedHat": "/var/lib/mongo", "Suse": "/srv/mongo"} {
		if got, err := Render("t", src, map[string]any{"os": os}); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", os, got, err, want)
		}
	}
	if got, err := Render("t", "a {{- 1 if x else 2 if y else 3 -}} b", map[string]any{"x": false, "y": false}); err != nil || got != "a3b" {
		t.Errorf("whitespace control: %q %v", got, err)
	}
	if got, err := Render("t", "{{ x if x else 'no' }}", map[string]any{"x": "yes"}); err != nil || got != "yes" {
		t.Errorf("single conditional: %q %v", got, err)
	}
}
