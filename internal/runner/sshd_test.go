package runner

import (
	"os"
	"path/filepath"
	"testing"

	"lvslab/internal/host/sshtest"
	"lvslab/internal/report"
)

// sshdFixture runs the converge playbook on real sshd hosts.
type sshdFixture struct {
	servers map[string]*sshtest.Server
	inv     *memInventory
	roots   map[string]string
}

func newSSHDFixture(t *testing.T, names ...string) *sshdFixture {
	sshtest.Require(t)
	f := &sshdFixture{servers: map[string]*sshtest.Server{}, roots: map[string]string{},
		inv: &memInventory{hosts: names, groups: map[string][]string{}, vars: map[string]map[string]any{}}}
	for _, n := range names {
		s := sshtest.Start(t, sshtest.Options{})
		f.servers[n] = s
		root := t.TempDir()
		f.roots[n] = root
		v := s.Vars()
		v["root"] = root
		v["port"] = 8080
		f.inv.vars[n] = v
	}
	return f
}

func (f *sshdFixture) run(t *testing.T, check bool) (*recorder, []report.Stats) {
	t.Helper()
	return f.runFile(t, "testdata/converge/site.yml", check)
}

// runFile runs the playbook at path on the fixture's hosts, after Prepare.
func (f *sshdFixture) runFile(t *testing.T, path string, check bool) (*recorder, []report.Stats) {
	t.Helper()
	rec, stats, err := f.runPath(t, path, func(o *Options) { o.Check = check })
	if err != nil {
		for _, res := range rec.results {
			if res.Status == report.Failed || res.Status == report.Unreachable {
				t.Logf("%s %s: %s %v", res.Host, res.Task, res.Err, res.Result.Data)
			}
		}
		t.Fatalf("run: %v", err)
	}
	return rec, stats
}

func TestConvergeOnRealSSHD(t *testing.T) {
	f := newSSHDFixture(t, "rs01", "rs02")

	// Check mode on fresh hosts changes nothing.
	_, st := f.runCheck(t)
	for _, s := range st {
		if s.Failed+s.Unreachable != 0 {
			t.Fatalf("check run %+v", s)
		}
	}
	for _, root := range f.roots {
		if entries, _ := os.ReadDir(root); len(entries) != 0 {
			t.Fatalf("check mode wrote %v", entries)
		}
	}

	_, first := f.run(t, false)
	for _, s := range first {
		if s.Changed == 0 || s.Failed != 0 {
			t.Fatalf("first run %+v", s)
		}
	}
	root := f.roots["rs01"]
	conf, _ := os.ReadFile(filepath.Join(root, "etc/app.conf"))
	if want := "# rs01\nname=rs01\nline=alpha\nline=beta\nport=1\n"; string(conf) != want {
		t.Fatalf("app.conf = %q, want %q", conf, want)
	}
	if fi, err := os.Stat(filepath.Join(root, "etc/motd")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("motd: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(root, "handler-ran")); err != nil {
		t.Fatal("handler did not run")
	}
	os.Remove(filepath.Join(root, "handler-ran"))

	before := map[string]int{}
	for n, s := range f.servers {
		before[n] = s.Connections()
	}
	_, second := f.run(t, false)
	for _, s := range second {
		if s.Changed != 0 || s.Failed != 0 {
			t.Fatalf("second run not converged: %+v", s)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "handler-ran")); err == nil {
		t.Fatal("handler ran without a change")
	}
	for n, s := range f.servers {
		if got := s.Connections() - before[n]; got != 1 {
			t.Fatalf("%s: %d SSH connections in one run, want 1", n, got)
		}
	}
	if extra, _ := os.ReadFile(filepath.Join(root, "etc/extra.conf")); string(extra) != "port=8080\n" {
		t.Fatalf("lineinfile wrote %q", extra)
	}
}

func (f *sshdFixture) runCheck(t *testing.T) (*recorder, []report.Stats) { return f.run(t, true) }
