package inventory

import (
	"os"
	"path/filepath"
	"testing"
)

// TestVarPos: the place of the value a host gets for a variable, following
// the precedence of HostVars: host vars, group vars (deeper and higher
// priority first), all's vars; group_vars and host_vars files by name.
func TestVarPos(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "inv.yml")
	os.WriteFile(yml, []byte(`all:
  vars:
    ansible_user: root
    ansible_port: 22
  children:
    web:
      vars: {ansible_port: 2222}
      hosts:
        rs01: {ansible_host: 10.0.0.1}
        rs02:
          ansible_port: 70000
        "rs[03:04]:2200":
`), 0o644)
	os.MkdirAll(filepath.Join(dir, "host_vars"), 0o755)
	os.WriteFile(filepath.Join(dir, "host_vars", "rs01.yml"), []byte("ansible_user: admin\n"), 0o644)
	inv, err := Load(yml)
	if err != nil {
		t.Fatal(err)
	}
	hv := filepath.Join(dir, "host_vars", "rs01.yml")
	for _, c := range []struct{ host, key, want string }{
		{"rs01", "ansible_host", yml + ":9:30"},
		{"rs01", "ansible_port", yml + ":7:28"},
		{"rs01", "ansible_user", hv + ":1:1"},
		{"rs02", "ansible_user", yml + ":3:19"},
		{"rs02", "ansible_port", yml + ":11:25"},
		{"rs03", "ansible_port", yml + ":12:9"},
		{"rs01", "nope", ""},
		{"nohost", "ansible_port", ""},
	} {
		if got := varPos(inv, c.host, c.key); got != c.want {
			t.Errorf("VarPos(%s, %s) = %q, want %q", c.host, c.key, got, c.want)
		}
	}

	ini := filepath.Join(t.TempDir(), "inv.ini")
	os.WriteFile(ini, []byte("[web]\nrs01 ansible_host=10.0.0.1 ansible_port=notaport\n[web:vars]\nansible_user=root\n"), 0o644)
	inv, err = Load(ini)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"ansible_host": ini + ":2:19", "ansible_port": ini + ":2:41", "ansible_user": ini + ":4:1"} {
		if got := varPos(inv, "rs01", key); got != want {
			t.Errorf("INI VarPos(rs01, %s) = %q, want %q", key, got, want)
		}
	}
}

// varPos is VarPos as a string, "" when it has no place.
func varPos(inv *Inventory, host, key string) string {
	if at, ok := inv.VarPos(host, key); ok {
		return at.String()
	}
	return ""
}
