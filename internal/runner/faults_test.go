package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/report"
)

// fleet is 50 inventory hosts on real sshd servers: every name has its own
// connection, several names share a server. The first hosts are healthy,
// then come hosts a task fails on, then hosts whose port is closed.
type fleet struct {
	servers []*sshtest.Server
	inv     *memInventory
	roots   map[string]string
	healthy []string
	failing []string
	down    []string
}

func newFleet(t *testing.T, servers, healthy, failing, down int) *fleet {
	t.Helper()
	sshtest.Require(t)
	f := &fleet{inv: &memInventory{groups: map[string][]string{}, vars: map[string]map[string]any{}}, roots: map[string]string{}}
	for range servers {
		f.servers = append(f.servers, sshtest.Start(t, sshtest.Options{}))
	}
	add := func(name string, v map[string]any) {
		f.inv.hosts = append(f.inv.hosts, name)
		f.roots[name] = t.TempDir()
		v["root"] = f.roots[name]
		f.inv.vars[name] = v
	}
	for i := range healthy + failing {
		name := fmt.Sprintf("ok%02d", i)
		if i >= healthy {
			name = fmt.Sprintf("bad%02d", i-healthy)
			f.failing = append(f.failing, name)
		} else {
			f.healthy = append(f.healthy, name)
		}
		add(name, f.servers[i%servers].Vars())
	}
	for i := range down {
		name := fmt.Sprintf("down%02d", i)
		f.down = append(f.down, name)
		v := f.servers[0].Vars()
		v["ansible_port"] = sshtest.FreePort(t)
		add(name, v)
	}
	f.inv.groups["failing"] = f.failing
	return f
}

func (f *fleet) logins() int {
	n := 0
	for _, s := range f.servers {
		n += s.Connections()
	}
	return n
}

// run runs yml on the fleet with real connections.
func (f *fleet) run(t *testing.T, yml string, forks int) (*recorder, *Runner, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "play.yml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := module.Default()
	pb, err := playbook.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	opts := Options{Inventory: f.inv, Modules: reg, Reporter: rec, Forks: forks,
		Connect: func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
			cfg, err := host.ConfigFromVars(name, vars, host.Defaults{})
			if err != nil {
				return nil, err
			}
			cfg.Timeout = 5 * time.Second
			h, err := host.Dial(ctx, cfg)
			if err != nil {
				return nil, err
			}
			return h, nil
		}}
	if err := Prepare([]*playbook.Playbook{pb}, opts); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	r := New(opts)
	err = r.Run(context.Background(), []*playbook.Playbook{pb})
	r.Close()
	return rec, r, err
}

func wantStats(t *testing.T, r *Runner, names []string, want report.Stats) {
	t.Helper()
	for _, n := range names {
		got := stats(r, n)
		want.Host = n
		if got != want {
			t.Errorf("%s: %+v, want %+v", n, got, want)
		}
	}
}

const fleetPlay = `- hosts: all
  gather_facts: %s
  %s
  tasks:
    - name: probe
      command: "true"
      changed_when: false
    - name: fail some
      shell: "exit {{ (inventory_hostname in failing_hosts) | ternary(3, 0) }}"
      changed_when: false
    - name: write
      copy: {dest: "{{ root }}/f", content: "{{ inventory_hostname }}\n"}
`

// TestFiftyHosts runs a play over 50 hosts (40 healthy, 5 failing, 5
// unreachable) with 20 forks under -race: the healthy hosts complete, the
// recap is exact, each name logs in once and the files are right.
func TestFiftyHosts(t *testing.T) {
	f := newFleet(t, 5, 40, 5, 5)
	for _, n := range f.inv.hosts {
		f.inv.vars[n]["failing_hosts"] = f.failing
	}
	_, r, err := f.run(t, fmt.Sprintf(fleetPlay, "true", ""), 20)
	if !errors.Is(err, ErrHostsFailed) {
		t.Fatalf("run: %v", err)
	}
	if len(r.Stats()) != 50 {
		t.Fatalf("%d hosts in the recap", len(r.Stats()))
	}
	wantStats(t, r, f.healthy, report.Stats{OK: 4, Changed: 1})
	wantStats(t, r, f.failing, report.Stats{OK: 2, Failed: 1})
	wantStats(t, r, f.down, report.Stats{Unreachable: 1})
	for _, n := range f.healthy {
		if b, err := os.ReadFile(filepath.Join(f.roots[n], "f")); err != nil || string(b) != n+"\n" {
			t.Errorf("%s: %q %v", n, b, err)
		}
	}
	for _, n := range append(f.failing, f.down...) {
		if _, err := os.Stat(filepath.Join(f.roots[n], "f")); err == nil {
			t.Errorf("%s was written after it failed", n)
		}
	}
	if n := f.logins(); n != 45 {
		t.Errorf("%d logins, want one per reachable host (45)", n)
	}
}

// TestFailLimitsOnFiftyHosts: max_fail_percentage counts failed and
// unreachable hosts (10 of 50 is 20%) and ends the run after the task that
// crosses it; any_errors_fatal ends it after the first task with a failure,
// which is gathering facts when a host is unreachable. Handlers do not run
// after either.
func TestFailLimitsOnFiftyHosts(t *testing.T) {
	f := newFleet(t, 5, 40, 5, 5)
	for _, n := range f.inv.hosts {
		f.inv.vars[n]["failing_hosts"] = f.failing
	}
	for _, tc := range []struct {
		name, facts, limit string
		wrote              bool // the last task ran on the healthy hosts
		healthy            report.Stats
	}{
		{"20% is under 25%", "false", "max_fail_percentage: 25", true, report.Stats{OK: 3, Changed: 1}},
		{"20% is over 15%", "false", "max_fail_percentage: 15", false, report.Stats{OK: 2}},
		{"10% unreachable is under 15%", "true", "max_fail_percentage: 15", false, report.Stats{OK: 3}},
		{"any_errors_fatal, unreachable in the first task", "false", "any_errors_fatal: true", false, report.Stats{OK: 1}},
		{"any_errors_fatal, unreachable in gathering facts", "true", "any_errors_fatal: true", false, report.Stats{OK: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, root := range f.roots {
				os.Remove(filepath.Join(root, "f"))
			}
			rec, r, err := f.run(t, fmt.Sprintf(fleetPlay, tc.facts, tc.limit), 10)
			if !errors.Is(err, ErrHostsFailed) {
				t.Fatalf("run: %v", err)
			}
			wantStats(t, r, f.healthy, tc.healthy)
			wantStats(t, r, f.down, report.Stats{Unreachable: 1})
			_, err = os.Stat(filepath.Join(f.roots[f.healthy[0]], "f"))
			if wrote := err == nil; wrote != tc.wrote {
				t.Errorf("the last task ran: %v, want %v (tasks %v)", wrote, tc.wrote, rec.tasks)
			}
			if strings.Contains(tc.limit, "max_fail") && !tc.wrote || strings.Contains(tc.limit, "any_errors") {
				if len(rec.warns) == 0 {
					t.Error("no warning says why the run ended")
				}
			}
		})
	}
}
