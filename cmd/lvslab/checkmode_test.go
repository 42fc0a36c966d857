package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
)

// snapshot describes every file under root — type, mode, owner, size,
// content hash, link target and modification time — one line per path.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		line := fmt.Sprintf("%s %v %d:%d %d %d", strings.TrimPrefix(p, root), fi.Mode(), st.Uid, st.Gid, fi.Size(), fi.ModTime().UnixNano())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			line += " " + hex.EncodeToString(sum[:])
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

const checkYML = `- hosts: web
  tasks:
    - name: dirs
      file: {path: "{{ root }}/{{ item }}", state: directory, mode: "0755"}
      loop: [etc, app]
    - name: plain file
      copy: {dest: "{{ root }}/etc/motd", content: "hello {{ inventory_hostname }}\n", mode: "0640"}
      notify: marker
    - name: validated and backed up
      copy: {dest: "{{ root }}/etc/app.conf", content: "good {{ inventory_hostname }}\n", validate: "grep -q good %s", backup: true}
    - name: rendered
      template: {src: page.tmpl, dest: "{{ root }}/app/index.html", mode: "0644"}
    - name: a line
      lineinfile: {path: "{{ root }}/etc/extra.conf", regexp: "^port=", line: "port=8080", create: true}
    - name: a link
      file: {src: "{{ root }}/etc/motd", dest: "{{ root }}/app/motd", state: link}
    - name: gone
      file: {path: "{{ root }}/app/old", state: absent}
    - name: guarded command
      command: {cmd: "touch {{ root }}/created", creates: "{{ root }}/created"}
    - name: shell
      shell: "date > {{ root }}/shell-ran"
      changed_when: false
  handlers:
    - name: marker
      file: {path: "{{ root }}/handler-ran", state: touch}
`

// TestCheckModeLeavesHostsIdentical converges a host, lets it drift (a
// changed file, a changed mode, a removed file and link, a file that should
// be gone), then runs --check --diff: the run reports the changes, and
// every file under the host's root — content, mode, owner, times — is
// exactly as before. A fresh host is not touched either. The real run then
// converges.
func TestCheckModeLeavesHostsIdentical(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	v := s.Vars()
	writeInventory(t, dir, []invHost{{"rs01", v}})
	root := v["root"].(string)
	if err := mkdirAll(dir, "templates"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "templates/page.tmpl", "<h1>{{ inventory_hostname }}</h1>\n")
	writeFile(t, dir, "site.yml", checkYML)

	check := func(what string) string {
		t.Helper()
		before := snapshot(t, root)
		out, stderr, code, _ := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "site.yml", "--check", "--diff", "-vv")
		if code != 0 {
			t.Fatalf("%s: --check exit %d\n%s\n%s", what, code, out, stderr)
		}
		// Check mode reads nothing it has no right to touch: the times
		// stay too, so nothing was rewritten in place.
		time.Sleep(10 * time.Millisecond)
		if after := snapshot(t, root); after != before {
			t.Fatalf("%s: --check changed the host:\nbefore:\n%s\nafter:\n%s\n%s", what, before, after, out)
		}
		return out
	}
	check("fresh host")

	out, stderr, code, _ := bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json")
	if code != 0 {
		t.Fatalf("converge: exit %d\n%s\n%s", code, out, stderr)
	}
	os.Remove(filepath.Join(root, "handler-ran"))
	os.Remove(filepath.Join(root, "shell-ran"))
	out = check("converged host")
	if !strings.Contains(out, "changed=0") {
		t.Errorf("converged host: --check reports changes:\n%s", out)
	}

	// Drift.
	os.WriteFile(filepath.Join(root, "etc/motd"), []byte("tampered\n"), 0o640)
	os.Chmod(filepath.Join(root, "app/index.html"), 0o600)
	os.Remove(filepath.Join(root, "etc/extra.conf"))
	os.Remove(filepath.Join(root, "app/motd"))
	os.Mkdir(filepath.Join(root, "app/old"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/app.conf"), []byte("good but old\n"), 0o644)
	out = check("drifted host")
	for _, want := range []string{"changed: [rs01]", "+hello rs01", "-tampered", "+port=8080", "changed=7"} {
		if !strings.Contains(out, want) {
			t.Errorf("drifted host: --check output lacks %q:\n%s", want, out)
		}
	}
	if backups, _ := filepath.Glob(filepath.Join(root, "etc/app.conf.*~")); len(backups) != 0 {
		t.Errorf("--check made backups %v", backups)
	}

	out, stderr, code, _ = bounded(t, 60*time.Second, dir, "run", "-i", "inv.yml", "site.yml", "-o", "json")
	if r := jsonRecap(t, out); code != 0 || r["rs01"]["changed"] != 7 {
		t.Fatalf("reconverge: exit %d recap %v\n%s", code, r, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/motd")); string(b) != "hello rs01\n" {
		t.Errorf("motd %q", b)
	}
}
