package jinja

import (
	"os"
	"path/filepath"
	"testing"
)

// Inside a role (role_path set), first_found and file look in the role
// before the playbook's directory, as Ansible's search path: a role's
// `first_found` over `paths: [vars]` finds the role's vars/.
func TestLookupInRoleFirst(t *testing.T) {
	pb := t.TempDir()
	role := filepath.Join(pb, "roles", "db")
	for p, text := range map[string]string{
		filepath.Join(role, "vars", "Debian.yml"):   "x: 1\n",
		filepath.Join(role, "vars", "default.yml"):  "x: 2\n",
		filepath.Join(pb, "vars", "Debian.yml"):     "x: 3\n",
		filepath.Join(pb, "files", "only-here.txt"): "top\n",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]any{"playbook_dir": pb, "role_path": role, "os": "Debian",
		"params": map[string]any{"paths": []any{"vars"}, "files": []any{"{{ os }}.yml", "default.yml"}}}
	for src, want := range map[string]string{
		"{{ lookup('first_found', params) }}":                              filepath.Join(role, "vars", "Debian.yml"),
		"{{ lookup('first_found', 'vars/Suse.yml', 'vars/default.yml') }}": filepath.Join(role, "vars", "default.yml"),
		"{{ lookup('file', 'only-here.txt') }}":                            "top",
	} {
		vars["params"] = map[string]any{"paths": []any{"vars"}, "files": []any{"Debian.yml", "default.yml"}}
		if got, err := render(src, vars); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", src, got, err, want)
		}
	}
	delete(vars, "role_path")
	if got, err := render("{{ lookup('first_found', 'vars/Debian.yml') }}", vars); err != nil || got != filepath.Join(pb, "vars", "Debian.yml") {
		t.Errorf("outside a role: %q %v", got, err)
	}
}
