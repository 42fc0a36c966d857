package playbook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/pos"
)

// TestYAMLErrorLines: yaml.v3 counts the lines of its parser errors from 0
// and those of its scanner errors from 1; both are reported from 1.
func TestYAMLErrorLines(t *testing.T) {
	dir := t.TempDir()
	for src, want := range map[string]string{
		"- hosts: web\n  tasks:\n    - shell: [unclosed\n":    "b.yml:3:1: did not find expected ',' or ']'",
		"- hosts: web\n  tasks:\n    - shell: {a: 1\n":        "b.yml:3:1: did not find expected ',' or '}'",
		"- hosts: web\n  tasks:\n    - shell: x\n   bad: 1\n": "b.yml:4:",
		"- hosts: web\n  tasks: \"open\n":                     "b.yml:2:1: found unexpected end of stream",
	} {
		path := filepath.Join(dir, "b.yml")
		os.WriteFile(path, []byte(src), 0o644)
		_, err := Load(path, nil)
		var errs pos.List
		if !errors.As(err, &errs) || len(errs) != 1 {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if got := errs[0].Error(); !strings.HasPrefix(got, filepath.Join(dir, want)) {
			t.Errorf("%q: %s, want %s", src, got, want)
		}
	}
}
