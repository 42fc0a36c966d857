package runner

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/tmpl"
)

// localNames are the names delegate_to takes for the controller.
var localNames = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}

// delegateTarget renders t's delegate_to for a host and returns the
// inventory host it names ("" when the task is not delegated). localhost
// and 127.0.0.1 name the inventory's localhost, implicit or not, which runs
// on the controller.
func (r *Runner) delegateTarget(t *playbook.Task, vars map[string]any) (string, error) {
	if t.DelegateTo == "" {
		return "", nil
	}
	name, err := tmpl.Render(t.Pos.String()+" delegate_to", t.DelegateTo, vars)
	if err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	names, err := r.opts.Inventory.Match(name)
	if err == nil && len(names) == 1 {
		return names[0], nil
	}
	for _, h := range r.opts.Inventory.Hosts() {
		if h == name {
			return h, nil
		}
	}
	if localNames[name] {
		return name, nil
	}
	return "", fmt.Errorf("delegate_to: %q is no host of the inventory", name)
}

// connVarsOf returns the variables a host connects with; a host the
// inventory does not list (the implicit localhost of a test inventory)
// runs on the controller.
func (r *Runner) connVarsOf(name string) (map[string]any, error) {
	vars, err := resolveVars(name, r.opts.Inventory.HostVars(name))
	if err != nil {
		return nil, err
	}
	if localNames[name] {
		if _, ok := vars["ansible_connection"]; !ok {
			known := false
			for _, h := range r.opts.Inventory.Hosts() {
				known = known || h == name
			}
			if !known {
				vars["ansible_connection"] = "local"
			}
		}
	}
	return vars, nil
}

// taskExecutor returns the connection a task runs its module over: the
// host's own, or the delegated host's; with remote_user (play or task)
// and no ansible_user of the host, a connection as that user (the pool
// keeps one per host and user). The task's environment is exported for
// its commands.
func (r *Runner) taskExecutor(ctx context.Context, hs *hostState, t *playbook.Task, vars map[string]any) (host.Executor, string, error) {
	target, err := r.delegateTarget(t, vars)
	if err != nil {
		return nil, "", err
	}
	name, conn := hs.name, hs.inv
	if target != "" && target != hs.name {
		name = target
		if conn, err = r.connVarsOf(target); err != nil {
			return nil, "", err
		}
	}
	key := name
	if u := t.RemoteUser; u != "" && !hasAny(conn, "ansible_user", "ansible_ssh_user") && !hasAny(r.opts.ExtraVars, "ansible_user", "ansible_ssh_user") {
		conn = merge(conn)
		conn["ansible_user"] = u
		key = name + "\x00" + u
	}
	c, _ := r.pool.entry(key)
	exec, err := r.pool.dial(ctx, c, name, conn)
	if err != nil {
		return nil, target, err
	}
	env, err := taskEnvironment(t, vars)
	if err != nil {
		return nil, target, err
	}
	if len(env) > 0 {
		exec = envExec{Executor: exec, prefix: env}
	}
	return exec, target, nil
}

func hasAny(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// taskEnvironment renders the task's environment (play's, then the
// include's, then its own; later keys win) into "export K='v'; ".
func taskEnvironment(t *playbook.Task, vars map[string]any) (string, error) {
	env := map[string]string{}
	for _, n := range t.Environment {
		v, err := tmpl.RenderNode(t.File, n, vars)
		if err != nil {
			return "", err
		}
		var m map[string]any
		if err := v.Decode(&m); err != nil {
			var s string
			if v.Decode(&s) == nil && s == "" {
				continue
			}
			return "", fmt.Errorf("%s: environment must be a mapping: %w", t.Pos, err)
		}
		for k, x := range m {
			if !envName.MatchString(k) {
				return "", fmt.Errorf("%s: environment: %q is no variable name", t.Pos, k)
			}
			if x == nil {
				x = ""
			}
			env[k] = fmt.Sprint(x)
		}
	}
	if len(env) == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("export")
	for _, k := range keys {
		b.WriteString(" " + k + "=" + host.Quote(env[k]))
	}
	b.WriteString("; ")
	return b.String(), nil
}

// envExec runs every command with the task's environment exported.
type envExec struct {
	host.Executor
	prefix string
}

func (e envExec) Run(ctx context.Context, cmd string, opts host.RunOpts) (host.Result, error) {
	return e.Executor.Run(ctx, e.prefix+cmd, opts)
}

// checkMode is the task's check_mode over --check.
func checkMode(run bool, t *playbook.Task) bool {
	if t.CheckMode != nil {
		return *t.CheckMode
	}
	return run
}

// diffMode is the task's diff over --diff.
func diffMode(run bool, t *playbook.Task) bool {
	if t.DiffMode != nil {
		return *t.DiffMode
	}
	return run
}

// delegateFacts moves the facts a delegated task with delegate_facts set
// to the host it was delegated to.
func (r *Runner) delegateFacts(t *playbook.Task, target string, mr *module.Result) {
	if !t.DelegateFacts || target == "" || len(mr.Facts) == 0 {
		return
	}
	ds, err := r.state(target)
	if err != nil {
		return
	}
	ds.mu.Lock()
	for k, v := range mr.Facts {
		ds.dyn[k] = v
	}
	ds.mu.Unlock()
	mr.Facts = nil
}

// delegation checks a task's delegate_to for a host before the run: a
// host it names must be in the inventory (or be localhost).
func (v *validator) delegation(t *playbook.Task, hs *hostState) {
	if t.DelegateTo == "" {
		return
	}
	vars, err := v.r.taskVars(hs, t, nil)
	if err != nil {
		return // reported by task
	}
	if _, err := v.r.delegateTarget(t, vars); err != nil && !v.isDynamic(err) {
		v.add(t.Pos, err)
	}
}

// anyErrorsFatal ends the run when a task with any_errors_fatal failed on
// one of its hosts.
func (r *Runner) anyErrorsFatal(t *playbook.Task, hosts []*hostState) {
	if t.AnyErrorsFatal == nil || !*t.AnyErrorsFatal {
		return
	}
	for _, hs := range hosts {
		if !hs.active() && !hs.ended {
			r.opts.Reporter.Warn("any_errors_fatal: a host failed, ending the run")
			r.stopAll = true
			return
		}
	}
}
