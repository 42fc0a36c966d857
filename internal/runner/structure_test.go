package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/report"
)

// runPlaybook writes text as a playbook and runs it on the fixture's hosts
// with the options mutate changes, returning the run's error instead of
// failing on it.
func (f *sshdFixture) runPlaybook(t *testing.T, text string, mutate func(*Options)) (*recorder, []report.Stats, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "play.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f.runPath(t, path, mutate)
}

// runPath runs the playbook at path on the fixture's hosts, after Prepare,
// with the options mutate changes.
func (f *sshdFixture) runPath(t *testing.T, path string, mutate func(*Options)) (*recorder, []report.Stats, error) {
	t.Helper()
	reg := module.Default()
	pb, err := playbook.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	opts := Options{Inventory: f.inv, Modules: reg, Reporter: rec,
		Connect: func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
			cfg, err := host.ConfigFromVars(name, vars, host.Defaults{})
			if err != nil {
				return nil, err
			}
			return host.Dial(ctx, cfg)
		}}
	if mutate != nil {
		mutate(&opts)
	}
	if err := Prepare([]*playbook.Playbook{pb}, opts); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	r := New(opts)
	err = r.Run(context.Background(), []*playbook.Playbook{pb})
	r.Close()
	return rec, r.Stats(), err
}

// registered returns what host registered under name at the end of the run.
func (rec *recorder) result(host, task string) (report.Result, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := len(rec.results) - 1; i >= 0; i-- {
		if r := rec.results[i]; r.Host == host && r.Task == task {
			return r, true
		}
	}
	return report.Result{}, false
}
