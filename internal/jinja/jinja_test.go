package jinja

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// TestIsUndefined checks IsUndefined against gonja's real messages: a
// name, an attribute, an item, None's attribute are undefined; a filter's
// failure is not.
func TestIsUndefined(t *testing.T) {
	vars := map[string]any{"d": map[string]any{"a": 1}, "l": []any{1}, "n": nil}
	for src, want := range map[string]bool{
		"{{ x | mandatory }}":               true,
		"{{ d.b | mandatory }}":             true,
		"{{ d['b'] | mandatory }}":          true,
		"{{ l[3] | mandatory }}":            true,
		"{{ n.x | mandatory }}":             true,
		"{{ 'a' | from_json | mandatory }}": false,
	} {
		_, err := render(src, vars)
		if err == nil {
			t.Errorf("%s: no error", src)
			continue
		}
		if got := strings.Contains(err.Error(), "Mandatory variable"); got != want {
			t.Errorf("%s: undefined %v, want %v (%v)", src, got, want, err)
		}
	}
	if IsUndefined(exec.AsValue(nil)) {
		t.Error("None is undefined")
	}
}

func TestPasswordLookupCreatesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "pw")
	src := "{{ lookup('password', '" + p + " length=16 chars=ascii_lowercase') }}"
	first, err := render(src, nil)
	if err != nil || len(first) != 16 || strings.Trim(first, "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Fatalf("password = %q, %v", first, err)
	}
	again, _ := render(src, nil)
	b, _ := os.ReadFile(p)
	if again != first || string(b) != first+"\n" {
		t.Errorf("second read %q, file %q, want %q", again, b, first)
	}
}

func TestSeededRandomIsReproducible(t *testing.T) {
	for _, src := range []string{"{{ 1000 | random(seed='a') }}", "{{ range(20) | list | shuffle(seed=7) | to_json }}"} {
		a, err := render(src, nil)
		b, _ := render(src, nil)
		if err != nil || a != b {
			t.Errorf("%s: %q then %q (%v)", src, a, b, err)
		}
	}
}

func TestPipeLookupBounded(t *testing.T) {
	_, err := render("{{ lookup('pipe', 'head -c 17000000 /dev/zero') }}", nil)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v, want the size bound", err)
	}
}
