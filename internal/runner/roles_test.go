package runner

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRolesOnRealSSHD runs the role suite (testdata/roles: roles in
// Ansible's layout with defaults, vars, meta dependencies, handlers, .j2
// templates, blocks with rescue and always, include_vars, include_role and
// import_role) on real sshd hosts: it converges, a second run changes
// nothing, and the files it writes are those ansible-core 2.14 writes from
// the same roles (run with -c local into directories of their own).
func TestRolesOnRealSSHD(t *testing.T) {
	f := newSSHDFixture(t, "rs01", "rs02")
	const site = "testdata/roles/site.yml"
	rec, first := f.runFile(t, site, false)
	for _, s := range first {
		if s.Changed == 0 || s.Failed != 0 || s.Rescued != 2 {
			t.Fatalf("first run %+v", s)
		}
	}
	for _, want := range []string{"common : Install the motd", "webapp : Render the configuration", "webapp : Record what failed", "common : Stamp the host"} {
		if !contains(rec.tasks, want) {
			t.Errorf("no task %q in %q", want, rec.tasks)
		}
	}
	if n := count(rec.tasks, "common : Install the motd"); n != 1 {
		t.Errorf("common ran %d times, want once (deduplicated)", n)
	}
	_, second := f.runFile(t, site, false)
	for _, s := range second {
		if s.Changed != 0 || s.Failed != 0 || s.Rescued != 2 {
			t.Fatalf("second run not converged: %+v", s)
		}
	}
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Skip("ansible-playbook not installed: files not compared with Ansible's")
	}
	dir := t.TempDir()
	var inv strings.Builder
	ansible := map[string]string{}
	for _, h := range []string{"rs01", "rs02"} {
		ansible[h] = filepath.Join(dir, h)
		if err := os.Mkdir(ansible[h], 0o755); err != nil {
			t.Fatal(err)
		}
		inv.WriteString(h + " ansible_connection=local ansible_python_interpreter=/usr/bin/python3 root=" + ansible[h] + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "inv"), []byte(inv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ansible-playbook", "-i", filepath.Join(dir, "inv"), site)
	cmd.Env = append(os.Environ(), "ANSIBLE_CONFIG="+filepath.Join(dir, "none.cfg"), "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"), "ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, ".rtmp"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ansible-playbook: %v\n%s", err, out)
	}
	for h, root := range ansible {
		sameTree(t, root, f.roots[h])
	}
}

// sameTree fails unless the trees want and got hold the same files and
// directories, with the same permissions and bytes.
func sameTree(t *testing.T, want, got string) {
	t.Helper()
	list := func(root string) map[string]fs.FileInfo {
		out := map[string]fs.FileInfo{}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out[rel] = fi
			return nil
		})
		return out
	}
	w, g := list(want), list(got)
	for rel, wi := range w {
		gi, ok := g[rel]
		switch {
		case !ok:
			t.Errorf("%s: Ansible wrote it, lvslab did not", rel)
			continue
		case wi.Mode() != gi.Mode():
			t.Errorf("%s: mode %v, Ansible's %v", rel, gi.Mode(), wi.Mode())
		}
		if wi.Mode().IsRegular() {
			wb, _ := os.ReadFile(filepath.Join(want, rel))
			gb, _ := os.ReadFile(filepath.Join(got, rel))
			if !bytes.Equal(wb, gb) {
				t.Errorf("%s: lvslab wrote %q, Ansible %q", rel, gb, wb)
			}
		}
	}
	for rel := range g {
		if _, ok := w[rel]; !ok {
			t.Errorf("%s: lvslab wrote it, Ansible did not", rel)
		}
	}
}

func contains(l []string, s string) bool { return count(l, s) > 0 }

func count(l []string, s string) int {
	n := 0
	for _, x := range l {
		if x == s {
			n++
		}
	}
	return n
}
