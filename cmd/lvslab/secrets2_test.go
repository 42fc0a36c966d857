package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// noLogRegisteredYML registers the results of no_log tasks whose command
// and output hold a value that is no secret variable (so only no_log can
// hide it), prints them every way debug can, and uses their fields in
// conditions.
const noLogRegisteredYML = `- hosts: web
  gather_facts: false
  tasks:
    - name: a no_log command
      command: {argv: [printf, "%s\n", "nl-c4nary"]}
      no_log: true
      register: r
    - {name: var, debug: {var: r}}
    - {name: msg, debug: {msg: "{{ r }}"}}
    - {name: in a list, debug: {msg: ["{{ r }}", 1]}}
    - {name: rendered into text, debug: {msg: "r is {{ r }}"}}
    - name: a failure rendering it
      fail: {msg: "r is {{ r }}"}
      ignore_errors: true
    - {name: through hostvars, debug: {var: "hostvars[inventory_hostname].r"}}
    - name: a copy in a fact
      set_fact: {copied: "{{ r }}"}
    - {name: the copy, debug: {var: copied}}
    - name: its fields in conditions
      debug: {msg: "fields-usable"}
      when: r.rc == 0 and r.stdout == 'nl-' ~ 'c4nary' and r is changed
    - name: a no_log loop
      command: {argv: [printf, "%s\n", "nl-{{ item }}-c4nary"]}
      loop: [a, b]
      no_log: true
      register: l
    - {name: loop var, debug: {var: l}}
    - {name: one result, debug: {var: "l.results[1]"}}
    - name: loop over its results
      debug: {msg: "item-seen"}
      loop: "{{ l.results }}"
      when: item.rc == 0
`

// TestNoLogRegisteredResultCensored: the registered result of a no_log task
// is printed censored ("the output has been hidden ...", as Ansible prints
// the task's own result) by debug var and msg, through hostvars, copied by
// set_fact, and as loop items, in text at every verbosity and in JSON,
// while conditions still read its fields.
func TestNoLogRegisteredResultCensored(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	writeFile(t, dir, "nolog.yml", noLogRegisteredYML)
	for _, args := range [][]string{{}, {"-v"}, {"-vv"}, {"-vvv"}, {"-o", "json"}, {"-o", "json", "-vvv"}} {
		out, stderr, code, _ := bounded(t, 60*time.Second, dir, append([]string{"run", "-i", "inv.yml", "nolog.yml"}, args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, stderr)
		}
		if bad := leaks(out + stderr); len(bad) > 0 {
			t.Errorf("%v: a no_log result printed:\n%s", args, strings.Join(bad, "\n"))
		}
		if n := strings.Count(out, "the output has been hidden due to the fact that 'no_log: true' was specified for this result"); n < 6 || n < 10 && len(args) > 0 {
			t.Errorf("%v: %d censored results, want at least 10:\n%s", args, n, out)
		}
		if !strings.Contains(out, "fields-usable") || strings.Count(out, "item-seen") < 2 && !strings.Contains(strings.Join(args, " "), "json") {
			t.Errorf("%v: conditions did not read the fields:\n%s", args, out)
		}
	}
}

// escapedYML writes a secret the ways the LNMP playbook does (the PHP page
// of templates/lnmp.php.j2, the SQL and shell quoting of tasks/lnmp.yml),
// and JSON- and URL-encoded, over files that hold an old password which
// no variable holds any more.
const escapedYML = `- hosts: web
  gather_facts: false
  vars:
    lnmp_db_user: lvslab
    cfg: "dsn=mysql://lvslab:{{ lnmp_db_password }}@localhost/"
  tasks:
    - name: the PHP page of the LNMP playbook
      template: {src: lnmp.php.j2, dest: "{{ root }}/lnmp.php"}
    - name: SQL and shell quoting as tasks/lnmp.yml
      copy:
        dest: "{{ root }}/grant.sh"
        content: |
          export MYSQL_PWD={{ lnmp_db_password | quote }}
          GRANT USAGE ON *.* TO 'lvslab'@'localhost' IDENTIFIED BY '{{ lnmp_db_password | replace("\\", "\\\\") | replace("'", "''") }}';
          json={{ lnmp_db_password | to_json }}
          url={{ lnmp_db_password | urlencode }}
    - name: a secret through a variable of another name
      copy: {dest: "{{ root }}/dsn", content: "{{ cfg }}\n"}
    - name: a password line removed
      lineinfile: {path: "{{ root }}/conf", regexp: "^password=", state: absent}
`

// TestDiffsHideEscapedAndOldSecrets: --diff (with and without --check, in
// text at every verbosity and in JSON) shows no form of a secret that a
// template or filter escaped (PHP, SQL, shell, JSON, URL, backslashes
// doubled), and no old password of the files it changes, which no
// variable holds: the changed lines of a file whose content holds a secret
// are hidden, saying so.
func TestDiffsHideEscapedAndOldSecrets(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	root := t.TempDir()
	v := s.Vars()
	v["root"] = root
	secret := `lp-c4n"a'r\$y*.[x]+ &=?%`
	v["lnmp_db_password"] = secret
	writeInventory(t, dir, []invHost{{"rs01", v}})
	writeFile(t, dir, "escaped.yml", escapedYML)
	php, err := os.ReadFile("../../templates/lnmp.php.j2")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "templates"), "lnmp.php.j2", string(php))
	// The old password, in the forms the new one takes.
	old := `old-o1d"a'r\$y`
	oldPHP := strings.ReplaceAll(strings.ReplaceAll(old, `\`, `\\`), "'", `\'`)
	writeFile(t, root, "lnmp.php", "<?php\n$db = @new mysqli('localhost', 'lvslab', '"+oldPHP+"');\n")
	writeFile(t, root, "grant.sh", "export MYSQL_PWD='"+strings.ReplaceAll(old, "'", `'"'"'`)+"'\n"+
		"GRANT USAGE ON *.* TO 'lvslab'@'localhost' IDENTIFIED BY '"+strings.ReplaceAll(strings.ReplaceAll(old, `\`, `\\`), "'", "''")+"';\n")
	writeFile(t, root, "dsn", "dsn=mysql://lvslab:"+old+"@localhost/\n")
	writeFile(t, root, "conf", "user=lvslab\npassword="+old+"\n")
	leaked := func(out string) []string {
		var bad []string
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "c4n") || strings.Contains(line, "o1d") {
				bad = append(bad, line)
			}
		}
		return bad
	}
	for _, args := range [][]string{
		{"--check", "--diff"}, {"--check", "--diff", "-v"}, {"--check", "--diff", "-vvv"},
		{"--check", "--diff", "-o", "json"}, {"--check", "--diff", "-o", "json", "-vvv"}, {"--diff", "-vv"},
	} {
		out, stderr, code, _ := bounded(t, 60*time.Second, dir, append([]string{"run", "-i", "inv.yml", "escaped.yml"}, args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, stderr)
		}
		if bad := leaked(out + stderr); len(bad) > 0 {
			t.Errorf("%v: a secret or an old password printed:\n%s\n\nall:\n%s", args, strings.Join(bad, "\n"), out)
		}
		if n := strings.Count(out, "(old content redacted: it holds a secret)"); n < 4 {
			t.Errorf("%v: %d old lines hidden, want every changed line of the 4 files:\n%s", args, n, out)
		}
		if !strings.Contains(out, "user=lvslab") && !strings.Contains(strings.Join(args, " "), "json") {
			t.Errorf("%v: the diff's unchanged lines are hidden too:\n%s", args, out)
		}
	}
	// The escaped forms did reach the host.
	if b, _ := os.ReadFile(filepath.Join(root, "lnmp.php")); !strings.Contains(string(b), `'lp-c4n"a\'r\\$y*.[x]+ &=?%'`) {
		t.Errorf("the PHP page holds:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "grant.sh")); !strings.Contains(string(b), `BY 'lp-c4n"a''r\\$y*.[x]+ &=?%'`) {
		t.Errorf("the SQL holds:\n%s", b)
	}
}
