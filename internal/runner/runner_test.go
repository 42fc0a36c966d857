package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/report"
)

// memInventory is a flat inventory for runner tests.
type memInventory struct {
	hosts  []string
	groups map[string][]string
	vars   map[string]map[string]any
}

func (m *memInventory) Hosts() []string { return m.hosts }
func (m *memInventory) HostVars(name string) map[string]any {
	out := map[string]any{"inventory_hostname": name}
	for k, v := range m.vars[name] {
		out[k] = v
	}
	return out
}
func (m *memInventory) Match(p string) ([]string, error) {
	if p == "all" {
		return m.hosts, nil
	}
	if g, ok := m.groups[p]; ok {
		return g, nil
	}
	for _, h := range m.hosts {
		if h == p {
			return []string{h}, nil
		}
	}
	return nil, nil
}

// shellMod runs its argument as a command on the host.
type shellMod struct{ Cmd string }

func (s *shellMod) UnmarshalYAML(n *yaml.Node) error { return n.Decode(&s.Cmd) }
func (s *shellMod) Apply(ctx context.Context, h host.Executor, env *module.Env) (module.Result, error) {
	if env.Check {
		return module.Result{Skipped: true, Msg: "skipped in check mode"}, nil
	}
	res, err := h.Run(ctx, s.Cmd, host.RunOpts{})
	if err != nil {
		return module.Result{}, err
	}
	return module.Result{Changed: true, Failed: res.ExitCode != 0,
		Data: map[string]any{"stdout": res.Stdout, "rc": res.ExitCode}}, nil
}

// factMod sets facts from its mapping.
type factMod map[string]any

func (f *factMod) Apply(context.Context, host.Executor, *module.Env) (module.Result, error) {
	return module.Result{Facts: *f}, nil
}

type recorder struct {
	mu      sync.Mutex
	results []report.Result
	tasks   []string
	warns   []string
}

func (r *recorder) Playbook(string) {}
func (r *recorder) Play(string)     {}
func (r *recorder) Task(name string, handler bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tasks = append(r.tasks, name)
}
func (r *recorder) Result(res report.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
}
func (r *recorder) Running(string, string, time.Duration) {}
func (r *recorder) Warn(m string)                         { r.warns = append(r.warns, m) }
func (r *recorder) Recap([]report.Stats)                  {}

func (r *recorder) status(host, task string) []report.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []report.Status
	for _, res := range r.results {
		if res.Host == host && res.Task == task {
			out = append(out, res.Status)
		}
	}
	return out
}

type fixture struct {
	fakes map[string]*hosttest.Fake
	rec   *recorder
	inv   *memInventory
	opts  Options
	dials map[string]int
	mu    sync.Mutex
}

func newFixture(t *testing.T, hosts ...string) *fixture {
	f := &fixture{fakes: map[string]*hosttest.Fake{}, rec: &recorder{}, dials: map[string]int{},
		inv: &memInventory{hosts: hosts, groups: map[string][]string{"web": hosts}, vars: map[string]map[string]any{}}}
	for _, h := range hosts {
		f.fakes[h] = hosttest.New()
		f.inv.vars[h] = map[string]any{"port": 80}
	}
	reg := module.NewRegistry()
	reg.Register("shell", func() module.Module { return &shellMod{} })
	reg.Register("set_fact", func() module.Module { return &factMod{} })
	f.opts = Options{Inventory: f.inv, Modules: reg, Reporter: f.rec, Forks: 4,
		Connect: func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
			f.mu.Lock()
			f.dials[name]++
			f.mu.Unlock()
			if name == "down" {
				return nil, &host.UnreachableError{Host: name, Err: errors.New("connection refused")}
			}
			return f.fakes[name], nil
		}}
	return f
}

func (f *fixture) run(t *testing.T, yml string) (*Runner, error) {
	t.Helper()
	pb := f.load(t, yml)
	r := New(f.opts)
	defer r.Close()
	return r, r.Run(context.Background(), []*playbook.Playbook{pb})
}

// load parses and prepares a playbook for the fixture's options.
func (f *fixture) load(t *testing.T, yml string) *playbook.Playbook {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "play.yml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := playbook.Load(path, f.opts.Modules)
	if err != nil {
		t.Fatal(err)
	}
	if err := Prepare([]*playbook.Playbook{pb}, f.opts); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return pb
}

func stats(r *Runner, host string) report.Stats {
	for _, s := range r.Stats() {
		if s.Host == host {
			return s
		}
	}
	return report.Stats{}
}

func TestLinearRunRegistersAndTemplates(t *testing.T) {
	f := newFixture(t, "a", "b")
	f.fakes["a"].On("^hostname$", host.Result{Stdout: "alpha"})
	r, err := f.run(t, `
- hosts: web
  gather_facts: false
  tasks:
    - name: who
      shell: hostname
      register: who
    - name: echo
      shell: "echo {{ who.stdout }}:{{ port }}"
      when: who.stdout == "alpha"
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.fakes["a"].Commands(); len(got) != 2 || got[1] != "echo alpha:80" {
		t.Fatalf("a ran %q", got)
	}
	if got := f.rec.status("b", "echo"); len(got) != 1 || got[0] != report.Skipped {
		t.Fatalf("b echo: %v", got)
	}
	if s := stats(r, "a"); s.OK != 2 || s.Changed != 2 {
		t.Fatalf("stats a %+v", s)
	}
	if f.dials["a"] != 1 || f.dials["b"] != 1 {
		t.Fatalf("dials %v, want one per host", f.dials)
	}
}

func TestFailedHostLeavesPlayOthersContinue(t *testing.T) {
	f := newFixture(t, "a", "b")
	f.fakes["a"].On("^false$", host.Result{ExitCode: 1})
	r, err := f.run(t, `
- hosts: web
  gather_facts: false
  tasks:
    - shell: "false"
    - shell: "true"
`)
	if !errors.Is(err, ErrHostsFailed) {
		t.Fatalf("err = %v", err)
	}
	if got := f.fakes["a"].Commands(); len(got) != 1 {
		t.Fatalf("a ran %q after failing", got)
	}
	if got := f.fakes["b"].Commands(); len(got) != 2 {
		t.Fatalf("b ran %q", got)
	}
	if s := stats(r, "a"); s.Failed != 1 || s.OK != 0 {
		t.Fatalf("a %+v", s)
	}
}

func TestUnreachableIsApartFromFailed(t *testing.T) {
	f := newFixture(t, "a", "down")
	r, err := f.run(t, `
- hosts: all
  gather_facts: false
  tasks:
    - shell: "true"
    - shell: "true"
`)
	if !errors.Is(err, ErrHostsFailed) {
		t.Fatalf("err = %v", err)
	}
	if s := stats(r, "down"); s.Unreachable != 1 || s.Failed != 0 {
		t.Fatalf("down %+v", s)
	}
	if s := stats(r, "a"); s.OK != 2 {
		t.Fatalf("a %+v", s)
	}
}

func TestIgnoreErrorsChangedWhenFailedWhen(t *testing.T) {
	f := newFixture(t, "a")
	f.fakes["a"].On("^check$", host.Result{ExitCode: 3, Stdout: "absent"})
	r, err := f.run(t, `
- hosts: all
  gather_facts: false
  tasks:
    - name: probe
      shell: check
      register: probe
      changed_when: false
      failed_when: rc != 3
    - name: boom
      shell: check
      ignore_errors: true
    - name: after
      shell: "true"
      changed_when: probe.stdout == "absent"
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.rec.status("a", "probe"); got[0] != report.OK {
		t.Fatalf("probe %v", got)
	}
	// As ansible-core 2.14 counts them: an ignored failure is ok and ignored,
	// and changed when its result is (a shell's is).
	if s := stats(r, "a"); s.Ignored != 1 || s.Failed != 0 || s.Changed != 2 || s.OK != 3 {
		t.Fatalf("stats %+v", s)
	}
}

func TestLoopSetFactAndHandlers(t *testing.T) {
	f := newFixture(t, "a", "b")
	r, err := f.run(t, `
- hosts: all
  gather_facts: false
  vars:
    sites: [x, y]
  tasks:
    - set_fact:
        greeting: "hi {{ inventory_hostname }}"
    - name: per site
      shell: "touch {{ item }} {{ greeting }}"
      loop: "{{ sites }}"
      notify: reload
      when: inventory_hostname == "a" or item == "y"
  handlers:
    - name: reload
      shell: reload
    - name: unused
      shell: never
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"touch x hi a", "touch y hi a", "reload"}
	if got := f.fakes["a"].Commands(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("a ran %q", got)
	}
	if got := f.fakes["b"].Commands(); strings.Join(got, "|") != "touch y hi b|reload" {
		t.Fatalf("b ran %q", got)
	}
	if s := stats(r, "a"); s.Changed != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestUntilRetries(t *testing.T) {
	f := newFixture(t, "a")
	n := 0
	f.fakes["a"].OnFunc("^poll$", func(string) (host.Result, error) {
		n++
		if n < 3 {
			return host.Result{Stdout: "wait"}, nil
		}
		return host.Result{Stdout: "ready"}, nil
	})
	_, err := f.run(t, `
- hosts: all
  gather_facts: false
  tasks:
    - shell: poll
      register: p
      until: p.stdout == "ready"
      retries: 5
      delay: 0
`)
	if err != nil || n != 3 {
		t.Fatalf("err %v after %d polls", err, n)
	}
}

func TestAnyErrorsFatalStopsEveryone(t *testing.T) {
	f := newFixture(t, "a", "b")
	f.fakes["a"].On("^false$", host.Result{ExitCode: 1})
	_, err := f.run(t, `
- hosts: all
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - shell: "false"
    - shell: second
`)
	if !errors.Is(err, ErrHostsFailed) {
		t.Fatal(err)
	}
	for _, c := range f.fakes["b"].Commands() {
		if c == "second" {
			t.Fatal("b went on after any_errors_fatal")
		}
	}
}

func TestMaxFailPercentage(t *testing.T) {
	f := newFixture(t, "a", "b", "c", "d")
	f.fakes["a"].On("^false$", host.Result{ExitCode: 1})
	_, _ = f.run(t, `
- hosts: all
  gather_facts: false
  max_fail_percentage: 30
  tasks:
    - shell: "false"
    - shell: second
`)
	if got := f.fakes["b"].Commands(); len(got) != 2 {
		t.Fatalf("25%% failed is under 30%%: b ran %q", got)
	}
	f = newFixture(t, "a", "b", "c")
	f.fakes["a"].On("^false$", host.Result{ExitCode: 1})
	_, _ = f.run(t, `
- hosts: all
  gather_facts: false
  max_fail_percentage: 30
  tasks:
    - shell: "false"
    - shell: second
`)
	if got := f.fakes["b"].Commands(); len(got) != 1 {
		t.Fatalf("33%% failed is over 30%%: b ran %q", got)
	}
}

func TestTagsAndCheckMode(t *testing.T) {
	f := newFixture(t, "a")
	f.opts.Tags = []string{"web"}
	f.opts.Check = true
	r, err := f.run(t, `
- hosts: all
  gather_facts: false
  tasks:
    - shell: untagged
    - shell: tagged
      tags: [web]
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.fakes["a"].Commands(); len(got) != 0 {
		t.Fatalf("check mode ran %q", got)
	}
	if s := stats(r, "a"); s.Skipped != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPrepareReportsEveryProblem(t *testing.T) {
	f := newFixture(t, "a")
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yml")
	os.WriteFile(path, []byte(`
- hosts: all
  tasks:
    - shell: "echo {{ nope }}"
    - shell: "echo {{ later.stdout }}"
    - shell: x
      when: undefined_thing == 1
    - shell: y
      register: later
`), 0o644)
	pb, err := playbook.Load(path, f.opts.Modules)
	if err != nil {
		t.Fatal(err)
	}
	err = Prepare([]*playbook.Playbook{pb}, f.opts)
	var errs pos.List
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{`bad.yml:4:14: undefined variable "nope"`, `bad.yml:7:13: undefined variable "undefined_thing"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if f.dials["a"] != 0 {
		t.Fatal("prepare connected")
	}
}

func TestHostvarsReadsOtherHosts(t *testing.T) {
	f := newFixture(t, "a", "b")
	f.inv.vars["b"]["port"] = 8080
	_, err := f.run(t, `
- hosts: web
  gather_facts: false
  tasks:
    - shell: "peer {{ hostvars['b'].port }}"
      when: inventory_hostname == "a"
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.fakes["a"].Commands(); len(got) != 1 || got[0] != "peer 8080" {
		t.Fatalf("a ran %q", got)
	}
}

func TestEngineSemantics(t *testing.T) {
	// only_on_a exists on a only; b skips the task, so b need not have it.
	f := newFixture(t, "a", "b")
	f.inv.vars["a"]["only_on_a"] = "ran-on-a"
	_, err := f.run(t, `
- hosts: web
  gather_facts: false
  vars:
    z_late: "{{ a_early }}-z"
    a_early: "{{ port }}"
  tasks:
    - name: "collect on {{ inventory_hostname }}"
      set_fact:
        seen: "{{ item }}"
      loop: [one, two]
    - name: maybe
      shell: maybe
      register: maybe
      when: inventory_hostname == "nobody"
    - name: uses
      shell: "got {{ seen }} {{ z_late }} {{ maybe.skipped }} {{ derived }}"
      vars:
        derived: "{{ seen }}+"
    - name: only where it holds
      shell: "{{ only_on_a }}"
      when: inventory_hostname == "a"
    - name: range over hostvars
      shell: "{% for h in groups_web %}{{ hostvars[h].port }} {% endfor %}"
      vars:
        groups_web: [a, b]
`)
	if err != nil {
		t.Fatal(err)
	}
	want := "got two 80-z True two+|ran-on-a|80 80 "
	if got := strings.Join(f.fakes["a"].Commands(), "|"); got != want {
		t.Fatalf("a ran %q, want %q", got, want)
	}
	if !strings.Contains(strings.Join(f.rec.tasks, "|"), "collect on a") {
		t.Fatalf("task names not rendered: %q", f.rec.tasks)
	}
}

func TestStartAtTaskAndSkipTags(t *testing.T) {
	f := newFixture(t, "a")
	f.opts.StartAtTask = "second"
	f.opts.SkipTags = []string{"slow"}
	_, err := f.run(t, `
- hosts: all
  gather_facts: false
  tasks:
    - {name: first, shell: one}
    - {name: second, shell: two}
    - {name: third, shell: three, tags: [slow]}
    - {name: fourth, shell: four}
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.fakes["a"].Commands(), "|"); got != "two|four" {
		t.Fatalf("ran %q", got)
	}
}

// TestPreconnectLaterPlays: the hosts of later plays are dialed while an
// earlier play runs; a dial that failed is reported in the host's own play,
// and a host whose play never runs is neither dialed twice nor in the recap.
func TestPreconnectLaterPlays(t *testing.T) {
	f := newFixture(t, "a", "b", "down", "never")
	f.inv.groups["first"] = []string{"a"}
	f.inv.groups["second"] = []string{"b", "down"}
	f.inv.groups["third"] = []string{"never"}
	dialed := make(chan struct{})
	connect := f.opts.Connect
	f.opts.Connect = func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
		if name == "b" {
			defer close(dialed)
		}
		return connect(ctx, name, vars)
	}
	// Play 1's task returns only once b is connected: b was dialed during it.
	f.fakes["a"].OnFunc("^wait-for-b$", func(string) (host.Result, error) {
		select {
		case <-dialed:
			return host.Result{}, nil
		case <-time.After(10 * time.Second):
			return host.Result{ExitCode: 1, Stderr: "b was not dialed during play 1"}, nil
		}
	})
	f.fakes["b"].On("^fail$", host.Result{ExitCode: 1})
	r, err := f.run(t, `
- hosts: first
  gather_facts: false
  tasks:
    - name: one
      shell: wait-for-b
- hosts: second
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: two
      shell: fail
- hosts: third
  gather_facts: false
  tasks:
    - name: three
      shell: "true"
`)
	if !errors.Is(err, ErrHostsFailed) {
		t.Fatalf("run: %v", err)
	}
	if got := f.rec.status("a", "one"); len(got) != 1 || got[0] != report.Changed {
		t.Errorf("a one: %v (b must be dialed while play 1 runs)", got)
	}
	if got := f.rec.status("down", "two"); len(got) != 1 || got[0] != report.Unreachable {
		t.Errorf("down two: %v, want unreachable in its own play", got)
	}
	if f.dials["a"] != 1 || f.dials["b"] != 1 || f.dials["down"] != 1 {
		t.Errorf("dials %v, want one per host", f.dials)
	}
	for _, s := range r.Stats() {
		if s.Host == "never" {
			t.Errorf("never's play did not run (any_errors_fatal), yet it is in the recap: %+v", s)
		}
	}
}

// TestPreconnectLateDialNotRepeated: an early dial that only gets its turn
// after the host's own play has dialed it, found it unreachable and dropped
// the connection does not dial again (the race behind the flaky
// TestPreconnectLaterPlays, made certain by holding every dial slot).
func TestPreconnectLateDialNotRepeated(t *testing.T) {
	f := newFixture(t, "a", "down")
	f.inv.groups["first"] = []string{"a"}
	f.inv.groups["second"] = []string{"down"}
	pb := f.load(t, `
- hosts: first
  gather_facts: false
  tasks:
    - name: one
      shell: "true"
- hosts: second
  gather_facts: false
  tasks:
    - name: two
      shell: "true"
`)
	r := New(f.opts)
	for range cap(r.dialSlots) {
		r.dialSlots <- struct{}{} // the early dials wait until the run is over
	}
	err := r.Run(context.Background(), []*playbook.Playbook{pb})
	dropped := func() bool { // the unreachable connection is dropped in the background
		r.pool.mu.Lock()
		defer r.pool.mu.Unlock()
		_, ok := r.pool.conns["down"]
		return !ok
	}
	for deadline := time.Now().Add(10 * time.Second); !dropped(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("down's connection was never dropped")
		}
	}
	for range cap(r.dialSlots) {
		<-r.dialSlots
	}
	r.Close() // waits for the early dials, now let through
	if !errors.Is(err, ErrHostsFailed) {
		t.Fatalf("run: %v", err)
	}
	if got := f.rec.status("down", "two"); len(got) != 1 || got[0] != report.Unreachable {
		t.Errorf("down two: %v, want unreachable in its own play", got)
	}
	if f.dials["a"] != 1 || f.dials["down"] != 1 {
		t.Errorf("dials %v, want one per host", f.dials)
	}
}

// TestBecomeVariables: ansible_become as Ansible spells it escalates, as
// host.ConfigFromVars (and so lint) reads it; play and task keywords
// override it; a value that is no boolean fails the task.
func TestBecomeVariables(t *testing.T) {
	f := newFixture(t, "on", "Yes", "TRUE", "y", "off", "bad")
	for _, h := range []string{"on", "Yes", "TRUE", "y", "off"} {
		f.inv.vars[h]["ansible_become"] = h
	}
	f.inv.vars["bad"]["ansible_become"] = "maybe"
	f.inv.vars["y"]["ansible_become_user"] = "www-data"
	_, err := f.run(t, `
- hosts: web
  gather_facts: false
  tasks:
    - name: inventory
      shell: "true"
    - name: task keyword
      shell: "true"
      become: false
`)
	if !errors.Is(err, ErrHostsFailed) {
		t.Fatalf("run: %v", err)
	}
	for _, h := range []string{"on", "Yes", "TRUE", "y", "off"} {
		want := host.Become{Enabled: h != "off", User: "root"}
		if h == "y" {
			want.User = "www-data"
		}
		if got := f.fakes[h].Becomes[0]; got != want {
			t.Errorf("%s: became %+v, want %+v", h, got, want)
		}
		if got := f.fakes[h].Becomes[1]; got.Enabled {
			t.Errorf("%s: became %+v with become: false", h, got)
		}
	}
	if got := f.rec.status("bad", "inventory"); len(got) != 1 || got[0] != report.Failed {
		t.Errorf("ansible_become: maybe: %v, want failed", got)
	}
}
