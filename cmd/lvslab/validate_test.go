package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// TestFailedValidationKeepsServing stands in for nginx -t: a "service" (an
// HTTP server on the host's root) serves conf; a playbook replaces conf
// with validate and backup and notifies a handler that restarts (kills) the
// service. A configuration that fails validation fails the task (exit 2),
// leaves conf byte-identical with nothing beside it, and the handler does
// not run: the service keeps serving the working configuration. A good one
// replaces it, keeps a timestamped backup of the old one, and restarts.
func TestFailedValidationKeepsServing(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 for the stand-in service")
	}
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	v := s.Vars()
	root := t.TempDir()
	v["root"] = root
	port := sshtest.FreePort(t)
	v["svc_port"] = port
	writeInventory(t, dir, []invHost{{"rs01", v}})
	conf := filepath.Join(root, "conf")
	os.WriteFile(conf, []byte("good v1\n"), 0o640)
	svc := exec.Command("python3", "-m", "http.server", fmt.Sprint(port), "--bind", "127.0.0.1", "--directory", root)
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { svc.Wait(); close(done) }()
	t.Cleanup(func() { svc.Process.Kill(); <-done })
	get := func() string {
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/conf", port))
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b)
		}
		return "(not serving)"
	}
	if got := get(); got != "good v1\n" {
		t.Fatalf("the service serves %q", got)
	}
	play := func(content string) string {
		return `- hosts: web
  gather_facts: false
  tasks:
    - name: configuration
      copy: {dest: "{{ root }}/conf", content: "` + content + `", validate: "grep -q good %s", backup: true}
      notify: restart
  handlers:
    - name: restart
      shell: "fuser -k {{ svc_port }}/tcp || true"
`
	}
	writeFile(t, dir, "bad.yml", play(`broken\n`))
	out, stderr, code, _ := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "bad.yml")
	if code != 2 || !strings.Contains(out, "failed to validate") {
		t.Fatalf("broken configuration: exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out, "RUNNING HANDLER") {
		t.Errorf("the handler ran after a failed validation:\n%s", out)
	}
	if got := get(); got != "good v1\n" {
		t.Errorf("after the failed validation the service serves %q", got)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 1 {
		t.Errorf("left beside conf: %v", ents)
	}
	if b, _ := os.ReadFile(conf); string(b) != "good v1\n" {
		t.Errorf("conf is %q", b)
	}

	writeFile(t, dir, "good.yml", play(`good v2\n`))
	out, stderr, code, _ = bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "good.yml")
	if code != 0 || !strings.Contains(out, "RUNNING HANDLER [restart]") {
		t.Fatalf("good configuration: exit %d\n%s\n%s", code, out, stderr)
	}
	if b, _ := os.ReadFile(conf); string(b) != "good v2\n" {
		t.Errorf("conf is %q", b)
	}
	backups, _ := filepath.Glob(conf + ".*~")
	if len(backups) != 1 {
		t.Fatalf("backups %v", backups)
	}
	if b, _ := os.ReadFile(backups[0]); string(b) != "good v1\n" {
		t.Errorf("backup holds %q", b)
	}
	if fi, _ := os.Stat(conf); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v not kept", fi.Mode().Perm())
	}
}
