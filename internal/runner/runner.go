// Package runner runs parsed playbooks against inventory hosts with
// Ansible's linear strategy: each task runs on every targeted host (in
// parallel, up to Forks) before the next one starts; or, in a play with
// strategy: free, each host runs its task list on its own (free.go).
package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"lvslab/internal/facts"
	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/report"
	"lvslab/internal/tmpl"
)

// Inventory is what the runner needs from an inventory.
type Inventory interface {
	// Match resolves a host pattern to host names, in inventory order.
	Match(pattern string) ([]string, error)
	// HostVars returns a fresh copy of a host's merged variables.
	HostVars(name string) map[string]any
	// Hosts returns every host, in inventory order.
	Hosts() []string
}

// Options configure a run.
type Options struct {
	Inventory   Inventory
	Modules     *module.Registry
	Reporter    report.Reporter
	Connect     Connector
	Check       bool
	Diff        bool
	Tags        []string
	SkipTags    []string
	Limit       string
	Forks       int // default 10
	ExtraVars   map[string]any
	StartAtTask string
	// Version is lvslab's version, for ansible_version.string.
	Version string
	// Become is the escalation of every task whose host sets no
	// ansible_become, ansible_become_user or ansible_become_method
	// (each on its own), below the play's and task's keywords: ansible.cfg's
	// [privilege_escalation] become, become_user and become_method.
	Become host.Become
	// Secret, when set, is given the values of play, task and set_fact
	// variables whose names say they are secrets (report.SecretName), as
	// they are rendered, so that the reporter can hide them.
	Secret func(values ...string)
}

// ErrHostsFailed is returned when at least one host failed or was unreachable.
var ErrHostsFailed = errors.New("some hosts failed")

// Runner runs playbooks. One Runner keeps one connection per host for all
// the playbooks it runs; Close releases them.
type Runner struct {
	opts      Options
	pool      *pool
	mu        sync.Mutex
	hosts     map[string]*hostState
	order     []string                    // hosts in the order they were first targeted
	started   bool                        // --start-at-task reached
	stopAll   bool                        // any_errors_fatal or max_fail_percentage ended the run
	omit      string                      // the omit placeholder of this run
	magic     map[string]any              // runMagic, made once
	playNames map[*playbook.Play][]string // playHosts, once per play
	// batch is the serial batch under way (serial.go).
	batch []string

	dials     sync.WaitGroup // preconnect's dials in flight
	dialSlots chan struct{}  // at most Forks of them at a time
}

// New returns a Runner.
func New(opts Options) *Runner {
	if opts.Forks <= 0 {
		opts.Forks = 10
	}
	r := &Runner{opts: opts, pool: newPool(opts.Connect), hosts: map[string]*hostState{},
		started: opts.StartAtTask == "", dialSlots: make(chan struct{}, opts.Forks),
		omit: newOmit(), playNames: map[*playbook.Play][]string{}}
	r.magic = r.runMagic()
	return r
}

// Close closes every connection the run opened, once the dials under way
// have ended.
func (r *Runner) Close() {
	r.dials.Wait()
	r.pool.closeAll()
}

// Stats returns the recap counters, one per host that was targeted.
func (r *Runner) Stats() []report.Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]report.Stats, 0, len(r.order))
	for _, name := range r.order {
		s := r.hosts[name].stats
		s.Host = name
		out = append(out, s)
	}
	return out
}

// Run runs the playbooks in order. It returns ctx.Err() when interrupted,
// ErrHostsFailed when a host failed or was unreachable, nil otherwise. The
// caller prints the recap from Stats.
func (r *Runner) Run(ctx context.Context, pbs []*playbook.Playbook) error {
	for _, pb := range pbs {
		r.opts.Reporter.Playbook(pb.Path)
		for i, play := range pb.Plays {
			r.preconnect(ctx, play, pb.Plays[i+1:])
			r.resetEnded() // meta.go
			// serial.go: batches, order and vars_prompt.
			if err := r.runPlayBatches(ctx, play); err != nil {
				return err
			}
			if r.stopAll {
				return ErrHostsFailed
			}
		}
	}
	for _, s := range r.Stats() {
		if s.Failed > 0 || s.Unreachable > 0 {
			return ErrHostsFailed
		}
	}
	return nil
}

// preconnect dials, in the background and at most Forks at a time, the
// hosts that the plays after the current one target and that have no
// connection yet: their handshakes and first sessions then overlap with the
// current play instead of adding to the next one's. A failed dial is
// reported, as before, when the host's first task needs the connection;
// hosts never reached are never reported.
func (r *Runner) preconnect(ctx context.Context, current *playbook.Play, later []*playbook.Play) {
	now, _ := r.targets(current.Hosts)
	skip := map[string]bool{}
	for _, n := range now {
		skip[n] = true // the current play dials its own hosts
	}
	for _, play := range later {
		names, err := r.targets(play.Hosts)
		if err != nil {
			continue
		}
		for _, n := range names {
			if skip[n] {
				continue
			}
			skip[n] = true
			r.mu.Lock()
			hs, known := r.hosts[n]
			r.mu.Unlock()
			if known && !hs.active() {
				continue
			}
			inv, err := resolveVars(n, r.opts.Inventory.HostVars(n))
			if err != nil {
				continue // reported when the host's play starts
			}
			// The entry is taken here, not in the goroutine: should the
			// host's own play dial first, fail and drop the connection
			// before the goroutine runs, the goroutine finds that entry
			// dialed instead of making a fresh one and dialing again.
			c, created := r.pool.entry(n)
			if !created {
				continue // connected or being connected
			}
			r.dials.Add(1)
			go func() {
				defer r.dials.Done()
				select {
				case r.dialSlots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-r.dialSlots }()
				_, _ = r.pool.dial(ctx, c, n, inv)
			}()
		}
	}
}

// targets resolves a play's hosts pattern, intersected with --limit.
func (r *Runner) targets(pattern string) ([]string, error) {
	hosts, err := r.opts.Inventory.Match(pattern)
	if err != nil {
		return nil, err
	}
	if r.opts.Limit == "" {
		return hosts, nil
	}
	limited, err := r.opts.Inventory.Match(r.opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("--limit: %w", err)
	}
	in := map[string]bool{}
	for _, h := range limited {
		in[h] = true
	}
	var out []string
	for _, h := range hosts {
		if in[h] {
			out = append(out, h)
		}
	}
	return out, nil
}

// state returns the host's run state, creating it on first use.
func (r *Runner) state(name string) (*hostState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if hs, ok := r.hosts[name]; ok {
		return hs, nil
	}
	inv, err := resolveVars(name, r.opts.Inventory.HostVars(name))
	if err != nil {
		return nil, err
	}
	hs := &hostState{name: name, inv: inv, dyn: map[string]any{}, hostMagic: hostMagic(name, inv)}
	r.hosts[name] = hs
	r.order = append(r.order, name)
	return hs, nil
}

// resolveVars returns a host's inventory variables with references to other
// variables rendered.
func resolveVars(host string, vars map[string]any) (map[string]any, error) {
	if err := tmpl.Resolve(host, vars); err != nil {
		return nil, err
	}
	return vars, nil
}

// hostvarsSnapshot returns every known host's variables, for templates that
// read other hosts (hostvars['rs01']): as Ansible's hostvars, its
// inventory variables, gathered facts (ansible_facts, ansible_*, facts),
// registered results and set_fact, and the magic variables of no play.
func (r *Runner) hostvarsSnapshot() map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]any, len(r.opts.Inventory.Hosts()))
	for _, name := range r.opts.Inventory.Hosts() {
		hs, ok := r.hosts[name]
		if !ok {
			v, err := resolveVars(name, r.opts.Inventory.HostVars(name))
			if err != nil {
				v = r.opts.Inventory.HostVars(name)
			}
			out[name] = merge(v, facts.Vars(nil), r.magic, hostMagic(name, v))
			continue
		}
		hs.mu.Lock()
		out[name] = merge(hs.inv, facts.Vars(hs.facts), hs.dyn, r.magic, hs.hostMagic)
		hs.mu.Unlock()
	}
	return out
}

// secrets passes the string values of vars with a secret's name to
// Options.Secret.
func (r *Runner) secrets(vars map[string]any) {
	if r.opts.Secret == nil {
		return
	}
	var out []string
	for k, v := range vars {
		if s, ok := v.(string); ok && s != "" && report.SecretName(k) {
			out = append(out, s)
		}
	}
	if len(out) > 0 {
		r.opts.Secret(out...)
	}
}

func describe(err error) string {
	msg := err.Error()
	return strings.TrimSpace(msg)
}
