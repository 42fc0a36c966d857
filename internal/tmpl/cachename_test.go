package tmpl

import (
	"strings"
	"testing"
)

// TestErrorsNameTheirOwnTemplate: templates are cached by their text; an
// error in one must name it, not the first template with the same text.
func TestErrorsNameTheirOwnTemplate(t *testing.T) {
	vars := map[string]any{"x": "ab"}
	for _, name := range []string{"a.yml:1:1", "b.yml:9:9"} {
		_, err := Render(name, "{{ x | nosuch }}", vars)
		if err == nil || !strings.Contains(err.Error(), name) || strings.Count(err.Error(), ".yml") != strings.Count(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
		_, err = Render(name, "{{ x.y }}", vars)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
