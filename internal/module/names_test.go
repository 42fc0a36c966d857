package module

import "testing"

// A task may name a module by its FQCN in the collections roles use.
func TestCanonicalCollections(t *testing.T) {
	r := Default()
	for name, want := range map[string]string{
		"ansible.builtin.copy": "copy", "ansible.legacy.shell": "shell", "ansible.posix.sysctl": "sysctl",
		"community.general.ini_file": "ini_file", "community.mysql.mysql_user": "mysql_user",
		"community.mysql.mysql_db": "mysql_db", "community.docker.docker_container": "community.docker.docker_container",
		"ansible.builtin.": "ansible.builtin.",
	} {
		got, ok := r.Resolve(name)
		if got != want || ok != (got != name) {
			t.Errorf("Resolve(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
