package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host/sshtest"
	"lvslab/internal/infile"
)

// hugeFile makes dir/name a sparse file one byte over the input bound.
func hugeFile(t *testing.T, dir, name string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(infile.Max + 1); err != nil {
		t.Fatal(err)
	}
}

// TestInputFilesAreBounded: an inventory, an -e @file, an included task
// file and a vars_files file that are endless (/dev/zero) or over the
// bound are bad input (exit 4) naming the file, before any login, and do
// not make lvslab read them whole.
func TestInputFilesAreBounded(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	dir := t.TempDir()
	writeInventory(t, dir, []invHost{{"rs01", s.Vars()}})
	writeFile(t, dir, "ok.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: \"true\"\n")
	hugeFile(t, dir, "huge.yml")
	writeFile(t, dir, "include.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - include_tasks: huge.yml\n")
	writeFile(t, dir, "import.yml", "- hosts: web\n  gather_facts: false\n  tasks:\n    - import_tasks: huge.yml\n")
	writeFile(t, dir, "varsfiles.yml", "- hosts: web\n  gather_facts: false\n  vars_files: [huge.yml]\n  tasks:\n    - command: \"true\"\n")
	for _, tc := range []struct {
		args []string
		file string
	}{
		{[]string{"run", "-i", "/dev/zero", "ok.yml"}, "/dev/zero"},
		{[]string{"lint", "-i", "/dev/zero", "ok.yml"}, "/dev/zero"},
		{[]string{"run", "-i", "huge.yml", "ok.yml"}, "huge.yml"},
		{[]string{"run", "-i", "inv.yml", "-e", "@/dev/zero", "ok.yml"}, "/dev/zero"},
		{[]string{"run", "-i", "inv.yml", "-e", "@huge.yml", "ok.yml"}, "huge.yml"},
		{[]string{"run", "-i", "inv.yml", "/dev/zero"}, "/dev/zero"},
		{[]string{"run", "-i", "inv.yml", "import.yml"}, "huge.yml"},
		{[]string{"run", "-i", "inv.yml", "include.yml"}, "huge.yml"},
		{[]string{"lint", "-i", "inv.yml", "include.yml"}, "huge.yml"},
		{[]string{"run", "-i", "inv.yml", "varsfiles.yml"}, "huge.yml"},
	} {
		out, stderr, code, _ := bounded(t, 60*time.Second, dir, tc.args...)
		if code != 4 || !strings.Contains(out+stderr, tc.file) || !strings.Contains(out+stderr, "16 MiB") {
			t.Errorf("%q: exit %d, want 4 and an error naming %s and the bound:\n%s\n%s", tc.args, code, tc.file, out, stderr)
		}
	}
	if c := s.Connections(); c != 0 {
		t.Errorf("%d logins", c)
	}
}
