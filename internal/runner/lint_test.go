package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/pos"
)

// TestPrepareLintsLocalFiles: a template or copy src that is missing, a
// directory, or a template that does not parse is reported by Prepare at the
// src value's position, every one at once, before any connection. Sources
// that depend on loop items or run-time values are left to the run.
func TestPrepareLintsLocalFiles(t *testing.T) {
	f := newFixture(t, "a", "b")
	f.opts.Modules = module.Default()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.MkdirAll(filepath.Join(dir, "files", "adir"), 0o755)
	os.WriteFile(filepath.Join(dir, "templates", "bad.tmpl"), []byte("a\nb={{ x \n"), 0o644)
	os.WriteFile(filepath.Join(dir, "templates", "good.tmpl"), []byte("x={{ inventory_hostname }}\n{% for i in [1] %}{{ r.stdout | default(i) }}{% endfor %}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "templates", "typo.tmpl"), []byte("a\nx={{ inventroy_hostname }}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "files", "present"), []byte("x"), 0o644)
	path := filepath.Join(dir, "site.yml")
	os.WriteFile(path, []byte(`- hosts: all
  gather_facts: false
  tasks:
    - template: {src: missing.tmpl, dest: /tmp/a}
    - template:
        src: bad.tmpl
        dest: /tmp/b
    - template: {src: good.tmpl, dest: /tmp/c}
    - copy: {src: gone, dest: /tmp/d}
    - copy: {src: adir, dest: /tmp/e}
    - copy: {src: present, dest: /tmp/f}
    - copy: {content: x, dest: /tmp/g}
    - template: {src: "{{ item }}", dest: /tmp/h}
      loop: [later.tmpl]
    - command: echo
      register: r
    - template: {src: "{{ r.stdout }}", dest: /tmp/i}
    - template: {src: typo.tmpl, dest: /tmp/j}
`), 0o644)
	pb, err := playbook.Load(path, f.opts.Modules)
	if err != nil {
		t.Fatal(err)
	}
	err = Prepare([]*playbook.Playbook{pb}, f.opts)
	var errs pos.List
	if !errors.As(err, &errs) || len(errs) != 5 {
		t.Fatalf("want 5 errors, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`site.yml:4:23: module template: src: source "missing.tmpl" not found`,
		`site.yml:6:14: module template: src: ` + filepath.Join(dir, "templates", "bad.tmpl") + `:2:`,
		`: template syntax: `,
		`site.yml:9:19: module copy: src: source "gone" not found`,
		`site.yml:10:19: module copy: src: ` + filepath.Join(dir, "files", "adir") + ` is a directory`,
		`site.yml:18:23: module template: src: ` + filepath.Join(dir, "templates", "typo.tmpl") + `:2: undefined variable "inventroy_hostname"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if len(f.dials) != 0 {
		t.Fatalf("prepare connected: %v", f.dials)
	}
}
