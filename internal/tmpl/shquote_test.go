package tmpl

import (
	"fmt"
	"os/exec"
	"testing"
)

// TestShquote: a value quoted with shquote reaches a shell command as one
// word, exactly, whatever it holds.
func TestShquote(t *testing.T) {
	for _, v := range []any{`c4n"a'r$y*.[x]+`, "", "a b\nc", `'`, `$(touch /tmp/x)`, 42} {
		cmd, err := Render("t", `printf '%s' {{ .v | shquote }}`, map[string]any{"v": v})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("sh", "-c", cmd).Output()
		if err != nil || string(out) != fmt.Sprint(v) {
			t.Errorf("%q: %q %v", v, out, err)
		}
	}
}
