package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lvslab-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "lvslab")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lvslab runs the binary and returns stdout, stderr and the exit code.
func lvslab(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// labDir writes an inventory for real sshd hosts and returns its directory.
func labDir(t *testing.T, servers map[string]*sshtest.Server, extra string) string {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("all:\n  children:\n    web:\n      hosts:\n")
	for name, s := range servers {
		fmt.Fprintf(&b, "        %s:\n", name)
		for k, v := range s.Vars() {
			fmt.Fprintf(&b, "          %s: %q\n", k, fmt.Sprint(v))
		}
		fmt.Fprintf(&b, "          root: %q\n", t.TempDir())
	}
	b.WriteString(extra)
	os.WriteFile(filepath.Join(dir, "inv.yml"), []byte(b.String()), 0o644)
	return dir
}

func writeFile(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBadInputExits4BeforeAnyLogin(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	dir := labDir(t, map[string]*sshtest.Server{"rs01": s}, "")
	writeFile(t, dir, "bad.yml", `- hosts: web
  tasks:
    - shell: "echo {{ undefined_var }}"
    - copy: {dest: /tmp/x, contnt: y}
    - shell: x
      when: a ==
`)
	_, stderr, code := lvslab(t, dir, "run", "-i", "inv.yml", "bad.yml")
	if code != 4 {
		t.Fatalf("exit %d, want 4; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"bad.yml:4:28: module copy: unknown key \"contnt\"", "bad.yml:6:13: expression \"a ==\""} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// Parse errors first; with them fixed, the undefined variable is reported.
	writeFile(t, dir, "bad.yml", "- hosts: web\n  tasks:\n    - shell: \"echo {{ undefined_var }}\"\n")
	_, stderr, code = lvslab(t, dir, "run", "-i", "inv.yml", "bad.yml")
	if code != 4 || !strings.Contains(stderr, `bad.yml:3:14: undefined variable "undefined_var"`) {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	writeFile(t, dir, "broken-inv.yml", "all:\n  hosts:\n    rs01: {ansible_port: [}\n")
	_, stderr, code = lvslab(t, dir, "run", "-i", "broken-inv.yml", "bad.yml")
	if code != 4 || !strings.Contains(stderr, "broken-inv.yml:") {
		t.Fatalf("bad inventory: exit %d:\n%s", code, stderr)
	}
	if n := s.Connections(); n != 0 {
		t.Fatalf("bad input made %d SSH logins", n)
	}
}

type recap map[string]map[string]int

func jsonRecap(t *testing.T, stdout string) recap {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev struct {
			Event string
			Hosts recap
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Event == "recap" {
			return ev.Hosts
		}
	}
	t.Fatalf("no recap in:\n%s", stdout)
	return nil
}

func TestRunConvergesAndExitCodes(t *testing.T) {
	a, b := sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{})
	dir := labDir(t, map[string]*sshtest.Server{"rs01": a, "rs02": b}, "")
	writeFile(t, dir, "site.yml", `- hosts: web
  tasks:
    - file: {path: "{{ root }}/d", state: directory}
    - copy: {dest: "{{ root }}/d/f", content: "{{ inventory_hostname }} {{ facts.os_family }}\n"}
`)
	out, stderr, code := lvslab(t, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json")
	if code != 0 {
		t.Fatalf("first run exit %d\n%s\n%s", code, out, stderr)
	}
	if r := jsonRecap(t, out); r["rs01"]["changed"] != 2 || r["rs02"]["changed"] != 2 {
		t.Fatalf("first run recap %v", r)
	}
	out, _, code = lvslab(t, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json")
	if r := jsonRecap(t, out); code != 0 || r["rs01"]["changed"] != 0 || r["rs01"]["ok"] != 3 {
		t.Fatalf("second run exit %d recap %v", code, r)
	}

	writeFile(t, dir, "fail.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - shell: exit 7\n      when: inventory_hostname == \"rs01\"\n")
	out, _, code = lvslab(t, dir, "run", "-i", "inv.yml", "fail.yml")
	if code != 2 || !strings.Contains(out, "fatal: [rs01]: FAILED!") || !strings.Contains(out, "skipping: [rs02]") {
		t.Fatalf("failing task: exit %d\n%s", code, out)
	}

	b.Stop()
	out, _, code = lvslab(t, dir, "run", "-i", "inv.yml", "site.yml", "-T", "3s")
	if code != 3 || !strings.Contains(out, "fatal: [rs02]: UNREACHABLE!") || !strings.Contains(out, "rs01                       : ok=3    changed=0") {
		t.Fatalf("unreachable host: exit %d\n%s", code, out)
	}
}

func TestInterruptStopsRemoteCommandsAndExits130(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	dir := labDir(t, map[string]*sshtest.Server{"rs01": s}, "")
	marker := fmt.Sprintf("lvslab-int-%d", time.Now().UnixNano())
	writeFile(t, dir, "slow.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - shell: \"sleep 30; echo "+marker+"\"\n")
	cmd := exec.Command(binary, "run", "-i", "inv.yml", "slow.yml")
	cmd.Dir = dir
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "TASK [shell]") {
			break
		}
	}
	// Wait until the remote command runs, then interrupt.
	for i := 0; i < 100 && exec.Command("pgrep", "-f", "sleep 30; echo "+marker).Run() != nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "PLAY RECAP") {
		t.Fatalf("no recap after interrupt:\n%s", out.String())
	}
	for i := 0; i < 40 && exec.Command("pgrep", "-f", "sleep 30; echo "+marker).Run() == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if exec.Command("pgrep", "-f", "sleep 30; echo "+marker).Run() == nil {
		t.Fatal("remote command still running after interrupt")
	}
}
