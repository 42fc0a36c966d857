package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/report"
)

// TestExtraVarsConnect runs a task on a real sshd that the inventory's
// ansible_host does not reach (127.0.0.2: nothing listens there) and that
// -e ansible_host=127.0.0.1 does; an inventory ansible_ssh_host still wins
// over an extra ansible_host, as in Ansible.
func TestExtraVarsConnect(t *testing.T) {
	sshtest.Require(t)
	s := sshtest.Start(t, sshtest.Options{})
	pbPath := filepath.Join(t.TempDir(), "pb.yml")
	if err := os.WriteFile(pbPath, []byte("- hosts: all\n  gather_facts: false\n  tasks:\n    - command: \"true\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(inv, extra map[string]any) report.Status {
		t.Helper()
		mi := &memInventory{hosts: []string{"web"}, groups: map[string][]string{}, vars: map[string]map[string]any{"web": inv}}
		reg := module.Default()
		pb, err := playbook.Load(pbPath, reg)
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		connect := func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
			cfg, err := host.ConfigFromVars(name, vars, host.Defaults{})
			if err != nil {
				return nil, err
			}
			return host.Dial(ctx, cfg)
		}
		opts := Options{Inventory: mi, Modules: reg, Reporter: rec, ExtraVars: extra, Connect: WithExtraVars(connect, extra)}
		r := New(opts)
		_ = r.Run(context.Background(), []*playbook.Playbook{pb})
		r.Close()
		for _, res := range rec.results {
			if res.Host == "web" {
				return res.Status
			}
		}
		t.Fatal("no result")
		return ""
	}
	base := s.Vars()
	elsewhere := ConnVars(base, map[string]any{"ansible_host": "127.0.0.2"})
	if st := run(elsewhere, nil); st != report.Unreachable {
		t.Fatalf("inventory ansible_host 127.0.0.2: %s, want unreachable", st)
	}
	if st := run(elsewhere, map[string]any{"ansible_host": "127.0.0.1"}); st != report.Changed && st != report.OK {
		t.Errorf("-e ansible_host=127.0.0.1: %s, want it run", st)
	}
	sshHost := ConnVars(base, map[string]any{"ansible_ssh_host": "127.0.0.2"})
	if st := run(sshHost, map[string]any{"ansible_host": "127.0.0.1"}); st != report.Unreachable {
		t.Errorf("inventory ansible_ssh_host over -e ansible_host: %s, want unreachable", st)
	}
	if st := run(sshHost, map[string]any{"ansible_ssh_host": "127.0.0.1"}); st != report.Changed && st != report.OK {
		t.Errorf("-e ansible_ssh_host=127.0.0.1: %s, want it run", st)
	}
}
