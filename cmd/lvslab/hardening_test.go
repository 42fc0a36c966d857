package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// TestExtraVarsAreOneValueEach runs a playbook against a real sshd with -e
// values that hold commas: each -e is one value (JSON lists, a password
// with a comma), never split into two variables.
func TestExtraVarsAreOneValueEach(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	writeFile(t, dir, "show.yml", `- hosts: web
  gather_facts: false
  tasks:
    - debug:
        msg: 'a=[{{ a }}] pw={{ db_password | length }} sites={{ sites | length }} b=[{{ b }}]'
`)
	out, stderr, code, _ := bounded(t, 30*time.Second, dir, "run", "-i", "inv.yml", "show.yml",
		"-e", `a="hello, world"`, "-e", "db_password=Secr3t,lvs_mode=dr", "-e", `{"sites": [{"name": "a"}, {"name": "b"}]}`,
		"-e", "b=1 c=2")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if want := "a=[hello, world] pw=18 sites=2 b=[1]"; !strings.Contains(out, want) {
		t.Fatalf("output lacks %q:\n%s", want, out)
	}
	if strings.Contains(out+stderr, "Secr3t") {
		t.Fatalf("the password is printed:\n%s\n%s", out, stderr)
	}
}

// TestTimeoutSecondsAndFlagErrors: --timeout takes plain seconds as
// Ansible's does (and Go durations), and a flag error of any command exits
// 4, bad input, before any connection.
func TestTimeoutSecondsAndFlagErrors(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	writeFile(t, dir, "ok.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: \"true\"\n")
	for _, args := range [][]string{{"run", "--bogus"}, {"run", "-T", "abc"}, {"run", "-T", "0"}, {"lint", "--timeout", "-3"},
		{"run", "--forks", "many"}, {"lab", "create", "--nosuch"}, {"--nosuch"}} {
		_, stderr, code, _ := bounded(t, 30*time.Second, dir, append(args, "-i", "inv.yml", "ok.yml")...)
		if code != 4 || !strings.Contains(stderr, "--help") {
			t.Errorf("%q: exit %d, want 4 and a pointer to --help:\n%s", args, code, stderr)
		}
	}
	if n := s.Connections(); n != 0 {
		t.Fatalf("flag errors made %d SSH logins", n)
	}
	for _, T := range []string{"3", "2.5", "3s"} {
		if out, stderr, code, _ := bounded(t, 30*time.Second, dir, "run", "-i", "inv.yml", "ok.yml", "--timeout", T); code != 0 {
			t.Errorf("--timeout %s: exit %d\n%s\n%s", T, code, out, stderr)
		}
	}
}

// TestNothingToDoIsBadInput: a --limit that matches no host and an unknown
// --start-at-task fail as in Ansible, exit 4 before any connection, instead
// of exiting 0 having done nothing.
func TestNothingToDoIsBadInput(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	writeFile(t, dir, "ok.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - name: first\n      command: \"true\"\n    - name: second\n      command: \"true\"\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--limit", "rs99"}, `--limit "rs99" matches no host`},
		{[]string{"--limit", "web:!rs01"}, `--limit "web:!rs01" matches no host`},
		{[]string{"--start-at-task", "third"}, `--start-at-task: no task is named "third"`},
	} {
		for _, cmd := range []string{"run", "lint"} {
			if tc.args[0] == "--start-at-task" && cmd == "lint" {
				continue // a flag of run only
			}
			_, stderr, code, _ := bounded(t, 30*time.Second, dir, append([]string{cmd, "-i", "inv.yml", "ok.yml"}, tc.args...)...)
			if code != 4 || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s %q: exit %d, want 4 and %q:\n%s", cmd, tc.args, code, tc.want, stderr)
			}
		}
	}
	if n := s.Connections(); n != 0 {
		t.Fatalf("bad input made %d SSH logins", n)
	}
	out, stderr, code, _ := bounded(t, 30*time.Second, dir, "run", "-i", "inv.yml", "ok.yml", "--start-at-task", "second", "-l", "rs01")
	if code != 0 || strings.Contains(out, "TASK [first]") || !strings.Contains(out, "TASK [second]") {
		t.Fatalf("--start-at-task second: exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestInterruptedCommandHasNoRC interrupts a remote command on a real sshd:
// its result says "interrupted", failed, with the command but no rc (the
// command never returned one; rc 0 would say it succeeded).
func TestInterruptedCommandHasNoRC(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	marker := fmt.Sprintf("4%d.%d", os.Getpid()%100, time.Now().UnixNano()%1000000)
	writeFile(t, dir, "slow.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - shell: \"sleep "+marker+"\"\n")
	for _, o := range []string{"json", "text"} {
		cmd := exec.Command(binary, "run", "-i", "inv.yml", "slow.yml", "-o", o)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(20 * time.Second); countProcs("^sleep "+marker) < 1; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				cmd.Process.Kill()
				t.Fatal("the remote command never ran")
			}
		}
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		if o == "text" {
			if !strings.Contains(out.String(), "interrupted") || strings.Contains(out.String(), "rc: ") {
				t.Errorf("text: want interrupted, no rc:\n%s", out.String())
			}
			continue
		}
		found := false
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var ev struct {
				Event, Status, Msg string
				Data               map[string]any
			}
			if json.Unmarshal([]byte(line), &ev) != nil || ev.Event != "result" {
				continue
			}
			found = true
			if _, hasRC := ev.Data["rc"]; ev.Status != "failed" || ev.Msg != "interrupted" || hasRC || ev.Data["cmd"] == nil {
				t.Errorf("json: result %s, want failed, interrupted, the cmd and no rc", line)
			}
		}
		if !found {
			t.Errorf("json: no result for the interrupted task:\n%s", out.String())
		}
	}
}

// TestDebugVarHostvars: debug's var: hostvars prints every host's variables
// (an "undefined variable" before), with secrets redacted as in every output.
func TestDebugVarHostvars(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	vars := s.Vars()
	vars["db_password"], vars["weight"] = "Pw-c4nary-77", 7
	writeInventory(t, dir, []invHost{{"rs01", vars}})
	writeFile(t, dir, "hv.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - debug: {var: hostvars}\n    - debug: {var: hostvars.rs01.weight}\n")
	for _, o := range []string{"text", "json"} {
		out, stderr, code, _ := bounded(t, 30*time.Second, dir, "run", "-i", "inv.yml", "hv.yml", "-o", o, "-v")
		if code != 0 || !strings.Contains(out, `"weight":7`) || !strings.Contains(out, "hostvars.rs01.weight: 7") {
			t.Errorf("%s: exit %d, want hostvars printed:\n%s\n%s", o, code, out, stderr)
		}
		if strings.Contains(out+stderr, "Pw-c4nary-77") {
			t.Errorf("%s: the password is printed:\n%s", o, out)
		}
	}
}
