package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EMySQL runs mysql_db and mysql_user on the lab's real servers,
// whose MariaDB the LNMP tasks installed (lvslab up before): a database
// and a user are created, found converged the second time, changed (a new
// password, other privileges), checked in check mode, logged in with, and
// removed. The password never shows in the output. LVSLAB_E2E=1, as the
// other end-to-end tests.
func TestE2EMySQL(t *testing.T) {
	inv := e2eInventory(t)
	bin := e2eBinary(t)
	dir := t.TempDir()
	const secret = "e2e-Secr3t-pw"
	play := func(name, tasks string) string {
		pb := filepath.Join(dir, name+".yml")
		text := "- hosts: realservers\n  gather_facts: false\n  tasks:\n" + tasks
		if err := os.WriteFile(pb, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return pb
	}
	present := play("present", `
    - mysql_db: {name: lvslab_e2e, encoding: utf8mb4, collation: utf8mb4_general_ci}
    - mysql_user: {name: lvslab_e2e, host: localhost, password: "{{ pw }}", priv: "lvslab_e2e.*:ALL"}
`)
	const newUser = `
    - mysql_user: {name: lvslab_e2e, host: localhost, password: "{{ pw }}-2", priv: "lvslab_e2e.*:SELECT,INSERT/*.*:PROCESS"}
`
	changedUser := play("changed-user", newUser)
	changed := play("changed", newUser+`
    - name: log in with the new password
      shell: MYSQL_PWD="{{ pw }}-2" mysql -u lvslab_e2e -N -e 'SHOW GRANTS'
      no_log: true
      register: grants
      changed_when: false
    - assert:
        that:
          - "'GRANT PROCESS ON *.*' in grants.stdout"
          - "'GRANT SELECT, INSERT ON `+"`lvslab_e2e`"+`.*' in grants.stdout"
`)
	absent := play("absent", `
    - mysql_user: {name: lvslab_e2e, host_all: true, state: absent}
    - mysql_db: {name: lvslab_e2e, state: absent}
`)
	run := func(what string, wantChanged int, args ...string) {
		t.Helper()
		r := runLvslab(t, bin, append([]string{"run", "-i", inv, "--output", "json", "-e", "pw=" + secret}, args...)...)
		mustOK(t, r, what)
		if strings.Contains(r.out, secret) {
			t.Errorf("%s: the password is in the output", what)
		}
		hosts := len(r.recap)
		if wantChanged < 0 {
			return
		}
		if got := r.totalChanged(); got != wantChanged*hosts {
			t.Errorf("%s: %d changed on %d hosts, want %d each: %s", what, got, hosts, wantChanged, strings.Join(r.changed, "; "))
		}
	}
	run("absent before", -1, absent) // whatever a failed earlier run left behind is gone
	run("present in check mode", 2, "--check", present)
	run("present", 2, present)
	run("present again", 0, present)
	run("changed in check mode", 1, "--check", changedUser)
	run("changed", 1, changed)
	run("changed again", 0, changed)
	run("absent", 2, absent)
	run("absent again", 0, absent)
}
