package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// canary is in every secret of the secret tests: quotes, a dollar, a star
// and regular expression characters, so that a secret printed escaped
// (JSON, Go quoting, shell quoting) or matched as a pattern is caught too.
// No output may hold "c4n" in any form.
const canary = `c4n"a'r$y*.[x]+`

// leaks returns the lines of out that hold any part of a canary.
func leaks(out string) []string {
	var bad []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "c4n") {
			bad = append(bad, line)
		}
	}
	return bad
}

const secretsYML = `- hosts: web
  vars:
    api_token: "nl-` + "c4n\\\"a'r$y*.[x]+" + `"
    nested: {user: admin, password: "{{ db_password }}"}
    app_secret: "as-` + "c4n\\\"a'r$y*.[x]+" + `"
  tasks:
    - name: inventory, play and task secrets in a file
      copy: {dest: "{{ root }}/multi", content: "{{ lnmp_db_password }}\n{{ app_secret }}\n{{ task_token }}\n"}
      vars: {task_token: "tt-{{ app_secret }}"}
    - name: inventory, play and task secrets in a failing command
      shell: "cat {{ root }}/multi; exit 5"
      ignore_errors: true
    - name: a secret fact
      set_fact: {new_password: "sf-{{ app_secret }}"}
    - name: show the fact
      debug: {msg: "{{ new_password }}"}
    - name: debug secrets
      debug: {msg: "pw={{ ansible_password }} bp={{ ansible_become_password }} db={{ db_password }}"}
    - name: debug a structure holding one
      debug: {var: nested}
    - name: loop over secrets
      debug: {msg: "item"}
      loop: ["{{ db_password }}", {name: x, pw: "{{ db_password }}"}, {pw: "{{ db_password }}"}]
    - name: secret on stdout
      command: {argv: [printf, "%s\n", "{{ db_password }}"]}
    - name: secret in a file
      copy: {dest: "{{ root }}/secret", content: "{{ ansible_password }}\n"}
    - name: secret in a line
      lineinfile: {path: "{{ root }}/conf", line: "password={{ ansible_become_password }}", create: true}
    - name: failing command echoing a secret
      shell: "cat {{ root }}/secret; cat {{ root }}/secret >&2; exit 4"
      ignore_errors: true
    - name: failing argv with a secret
      command: {argv: [sh, -c, 'echo "$1" >&2; exit 3', x, "{{ ansible_become_password }}"]}
      ignore_errors: true
    - name: fail with a secret
      fail: {msg: "bad {{ db_password }}"}
      ignore_errors: true
    - name: expression error quoting a secret
      debug: {msg: x}
      when: db_password | int > 0
      ignore_errors: true
    - name: no_log file
      copy: {dest: "{{ root }}/token", content: "{{ api_token }}\n"}
      no_log: true
    - name: no_log output
      command: "cat {{ root }}/token"
      no_log: true
    - name: no_log failure
      shell: "cat {{ root }}/token >&2; exit 1"
      no_log: true
      ignore_errors: true
    - name: no_log loop
      debug: {msg: "{{ item }}"}
      loop: ["{{ api_token }}"]
      no_log: true
`

// TestSecretsNeverPrinted runs a playbook that puts the connection password,
// the become password, a -e password and a no_log value into messages,
// results, diffs, loop items, failures and expression errors, at every
// verbosity, in text and JSON: no output holds any of them, escaped or not.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	v := s.Vars()
	v["ansible_password"] = "pw-" + canary
	v["ansible_become_password"] = "bp-" + canary
	v["lnmp_db_password"] = "lp-" + canary
	writeInventory(t, dir, []invHost{{"rs01", v}})
	writeFile(t, dir, "secrets.yml", secretsYML)
	for _, args := range [][]string{
		{}, {"-v"}, {"-vv"}, {"-vvv"}, {"-vvv", "--diff"}, {"-vvv", "--diff", "--check"},
		{"-o", "json"}, {"-o", "json", "--diff", "-vvv"},
	} {
		for _, pwFlag := range [][]string{{"-e", "db_password=db-" + canary}, {"-e", `{"db_password": "db-c4n\"a'r$y*.[x]+"}`}} {
			cmd := append(append([]string{"run", "-i", "inv.yml", "secrets.yml"}, pwFlag...), args...)
			out, stderr, code, _ := bounded(t, 60*time.Second, dir, cmd...)
			if code != 0 {
				t.Errorf("%v: exit %d\n%s\n%s", args, code, out, stderr)
			}
			if bad := leaks(out + stderr); len(bad) > 0 {
				t.Errorf("%v: secrets printed:\n%s", args, strings.Join(bad, "\n"))
			}
			if !strings.Contains(out, "********") {
				t.Errorf("%v: nothing redacted, so nothing was tested:\n%s", args, out)
			}
			if text, vvv := !strings.Contains(strings.Join(args, " "), "json"), strings.Contains(strings.Join(args, " "), "-vvv"); text &&
				vvv != strings.Contains(out, "<rs01> SSH root@127.0.0.1:") {
				t.Errorf("%v: connection shown %v, want %v:\n%s", args, !vvv, vvv, out)
			}
		}
	}
	// The secrets did reach the host.
	if b, _ := os.ReadFile(filepath.Join(v["root"].(string), "secret")); string(b) != "pw-"+canary+"\n" {
		t.Errorf("the host got %q", b)
	}
}

// TestSecretsInBadInputErrors: an error found before connecting that holds
// a secret (a template that fails with the value) is redacted too.
func TestSecretsInBadInputErrors(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	v := s.Vars()
	v["ansible_become_password"] = "bp-" + canary
	writeInventory(t, dir, []invHost{{"rs01", v}})
	writeFile(t, dir, "bad.yml", `- hosts: web
  tasks:
    - shell: "{{ fail .ansible_become_password }}"
    - shell: "{{ fail .db_password }}"
`)
	for _, o := range []string{"text", "json"} {
		out, stderr, code, _ := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "bad.yml", "-o", o, "-e", "db_password=db-"+canary)
		if code != 4 {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
		if bad := leaks(out + stderr); len(bad) > 0 {
			t.Errorf("secrets printed:\n%s", strings.Join(bad, "\n"))
		}
	}
	if s.Connections() != 0 {
		t.Error("bad input reached the host")
	}
}

// procsHold reports whether any process's command line or environment holds s.
func procsHold(s []byte) bool {
	files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	env, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, f := range append(files, env...) {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

// TestBecomePasswordOverStdin logs in as a user that needs a password for
// sudo and runs become tasks (commands and a file upload) while sampling
// every process's command line and environment: the password is in none
// of them, the tasks ran as root, and no output holds it. Its canary is its
// own ("s7d"): other tests put theirs on lvslab's command line.
func TestBecomePasswordOverStdin(t *testing.T) {
	t.Parallel()
	password := `bp-s7d"o'$u*.[x]+`
	user := sshtest.SudoUser(t, password)
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	v := s.Vars()
	v["ansible_user"] = user
	v["ansible_become_password"] = password
	root := t.TempDir()
	v["root"] = root
	writeInventory(t, dir, []invHost{{"rs01", v}})
	marker := fmt.Sprintf("2.%d", time.Now().UnixNano()%1000000)
	writeFile(t, dir, "become.yml", `- hosts: web
  become: true
  tasks:
    - name: who
      command: id -u
      register: who
    - assert: {that: ['who.stdout == "0"']}
    - name: slow
      command: sleep `+marker+`
    - name: root file
      copy: {dest: "{{ root }}/owned", content: "x\n", mode: "0600"}
    - name: as the user
      command: id -un
      become: false
      register: me
    - assert: {that: ['me.stdout == "`+user+`"']}
`)
	var seen, exposed bool
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			running := procsHold([]byte("sleep\x00" + marker))
			leak := procsHold([]byte("s7d"))
			mu.Lock()
			seen = seen || running
			exposed = exposed || leak
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	out, stderr, code, _ := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "become.yml", "-vvv")
	close(stop)
	<-sampled
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !seen {
		t.Fatal("never saw the become command run")
	}
	if exposed {
		t.Error("the become password was in a process's command line or environment")
	}
	if strings.Contains(out+stderr, "s7d") {
		t.Errorf("the become password was printed:\n%s", out)
	}
	if fi, err := os.Stat(filepath.Join(root, "owned")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the become upload: %v %v", fi, err)
	}
}

// TestWrongBecomePassword: a wrong become password fails the task promptly
// (exit 2) saying sudo refused it, and prints neither password.
func TestWrongBecomePassword(t *testing.T) {
	t.Parallel()
	user := sshtest.SudoUser(t, `right-w9q"x'$*.[x]+`)
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	v := s.Vars()
	v["ansible_user"] = user
	v["ansible_become_password"] = `wrong-w9q"x'$*.[x]+`
	writeInventory(t, dir, []invHost{{"rs01", v}})
	writeFile(t, dir, "become.yml", "- hosts: web\n  gather_facts: false\n  become: true\n  tasks:\n    - command: id -u\n    - command: \"true\"\n")
	for _, o := range []string{"text", "json"} {
		out, stderr, code, took := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "become.yml", "-vvv", "-o", o)
		if code != 2 {
			t.Fatalf("exit %d, want 2\n%s\n%s", code, out, stderr)
		}
		if !strings.Contains(strings.ToLower(out), "sudo") {
			t.Errorf("the failure does not name sudo:\n%s", out)
		}
		if strings.Contains(out+stderr, "w9q") {
			t.Errorf("a password was printed:\n%s", out)
		}
		if took > 30*time.Second {
			t.Errorf("a wrong become password took %s", took)
		}
	}
}
