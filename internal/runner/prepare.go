package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// Prepare validates everything a run needs before it connects anywhere: host
// patterns, vars files, expressions, template syntax, and each task's
// arguments rendered for every targeted host and decoded into its module.
// Variables that only exist at run time (registered results, set_fact,
// facts, loop items) are not required to exist. Every problem is reported,
// as a pos.List.
func Prepare(pbs []*playbook.Playbook, opts Options) error {
	r := New(opts)
	v := &validator{r: r, seen: map[string]bool{}, dynamic: dynamicNames(pbs)}
	for _, pb := range pbs {
		for _, play := range pb.Plays {
			v.play(play)
		}
	}
	if opts.StartAtTask != "" && !hasTask(pbs, opts.StartAtTask) {
		// As ansible-playbook, which fails rather than run nothing.
		v.errs = append(v.errs, fmt.Errorf("--start-at-task: no task is named %q (as in Ansible, it can only follow static includes: import_tasks, import_role)", opts.StartAtTask))
	}
	return v.errs.OrNil()
}

// hasTask reports whether a play's task (where --start-at-task looks) is
// named name; as Ansible's, it does not look into dynamic includes.
func hasTask(pbs []*playbook.Playbook, name string) bool {
	var found func([]*playbook.Task) bool
	found = func(ts []*playbook.Task) bool {
		for _, t := range ts {
			if t.Name == name && !t.IsBlock() || found(t.Block) || found(t.Rescue) || found(t.Always) {
				return true
			}
		}
		return false
	}
	for _, pb := range pbs {
		for _, play := range pb.Plays {
			if found(play.Tasks) {
				return true
			}
		}
	}
	return false
}

type validator struct {
	r       *Runner
	errs    pos.List
	seen    map[string]bool
	dynamic map[string]bool
}

// add records err at at, unless it has a place already (a template's own
// file:line:col).
func (v *validator) add(at pos.Pos, err error) {
	e := pos.Place(at, err)
	if key := e.Error(); !v.seen[key] {
		v.seen[key] = true
		v.errs = append(v.errs, e)
	}
}

// dynamicNames are the variables that come into being during a run.
func dynamicNames(pbs []*playbook.Playbook) map[string]bool {
	d := map[string]bool{"item": true, "facts": true, "ansible_facts": true, "hostvars": true, "result": true,
		"ansible_check_mode": true, "ansible_loop_index": true, "ansible_failed_task": true, "ansible_failed_result": true}
	add := func(tasks []*playbook.Task) {
		playbook.Walk(tasks, func(t *playbook.Task) {
			includedNames(t, d) // rolelint.go
			if t.Register != "" {
				d[t.Register] = true
			}
			if t.LoopVar != "" {
				d[t.LoopVar] = true
			}
			loopNames(d, t) // loops.go
			if t.Module == "set_fact" && t.Args != nil && t.Args.Kind == yaml.MappingNode {
				for i := 0; i < len(t.Args.Content); i += 2 {
					d[t.Args.Content[i].Value] = true
				}
			}
		})
	}
	for _, pb := range pbs {
		for _, p := range pb.Plays {
			add(p.Tasks)
			add(p.Handlers)
		}
	}
	return d
}

func (v *validator) play(play *playbook.Play) {
	v.prompts(play) // serial.go
	hosts, err := v.r.targets(play.Hosts)
	if err != nil {
		v.add(play.Pos, fmt.Errorf("hosts: %w", err))
		return
	}
	tasks := append(append([]*playbook.Task(nil), play.Tasks...), play.Handlers...)
	for _, name := range hosts {
		hs, err := v.r.state(name)
		if err != nil {
			v.add(play.Pos, err)
			continue
		}
		if err := v.r.loadPlayVars(hs, play, v.isDynamic); err != nil {
			var open *fs.PathError
			if errors.As(err, &open) {
				// A vars file that cannot be read: blame the play naming
				// it, not line 1 of a file that is not there.
				err = fmt.Errorf("vars_files: %w", open)
			}
			v.add(play.Pos, err)
			continue
		}
		v.walk(play, tasks, hs)
	}
}

// walk checks tasks for one host: the tasks of blocks, and of includes
// those the include may run there (include.go).
func (v *validator) walk(play *playbook.Play, tasks []*playbook.Task, hs *hostState) {
	for _, t := range tasks {
		switch {
		case t.IsInclude():
			v.walk(play, v.include(t, hs), hs)
		case t.IsBlock():
			v.walk(play, t.Block, hs)
			v.walk(play, t.Rescue, hs)
			v.walk(play, t.Always, hs)
		default:
			v.task(play, t, hs)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func walkScalars(n *yaml.Node, fn func(*yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		if tmpl.Has(n.Value) {
			fn(n)
		}
		return
	}
	for _, c := range n.Content {
		walkScalars(c, fn)
	}
}

// task renders a task for one host and decodes it into its module.
func (v *validator) task(play *playbook.Play, t *playbook.Task, hs *hostState) {
	if t.Meta != "" {
		return
	}
	v.delegation(t, hs) // delegate.go
	vars, err := v.r.taskVars(hs, t, nil)
	if err != nil {
		if !v.isDynamic(err) {
			v.add(t.Pos, err)
		}
		return
	}
	delete(vars, "facts")
	delete(vars, "hostvars")
	if _, err := resolveKeywords(t, vars); err != nil && !v.isDynamic(err) {
		v.add(t.Pos, forHost(err, hs.name)) // keywords.go
	}
	if t.Module == "include_vars" {
		v.includeVars(t) // rolelint.go
		return
	}
	v.exprNames(t.When, vars, hs, nil)
	if t.Loop == nil && v.staticallyFalse(t, vars) {
		return // skipped on this host: its arguments need not hold here
	}
	after := append(append([]playbook.Expr(nil), t.ChangedWhen...), t.FailedWhen...)
	if t.Until != nil {
		after = append(after, *t.Until)
	}
	v.exprNames(after, vars, hs, resultNames)
	if t.Loop != nil {
		if _, err := loopItems(t, vars); err != nil && !v.isDynamic(err) {
			v.add(t.Pos, err)
		}
		if t.Loop.Kind == yaml.ScalarNode || mentionsLoop(t) {
			return // arguments depend on the items
		}
	}
	args, err := tmpl.RenderNode(t.File, t.Args, vars)
	if err != nil {
		if !v.isDynamic(err) {
			v.add(t.Pos, forHost(err, hs.name))
		}
		return
	}
	if mentionsAny(t.Args, v.dynamic) {
		return // rendered with run-time values missing; decoding would be guesswork
	}
	m, err := v.r.opts.Modules.New(t.Module, dropOmitted(args, v.r.omit))
	if err != nil {
		at, err := pos.Relative(t.Pos, err)
		v.add(at, fmt.Errorf("module %s: %w", t.Module, err))
		return
	}
	if l, ok := m.(module.Linter); ok {
		// A template file is rendered as the task's strings are: an
		// undefined variable is found now, at its line, unless it exists
		// only at run time.
		render := func(name, text string) error {
			_, err := tmpl.Render(name, text, vars)
			if v.isDynamic(err) {
				return nil
			}
			return err
		}
		if err := l.Lint(t.Dir, render); err != nil {
			v.add(argPos(t, "src"), fmt.Errorf("module %s: src: %w", t.Module, err))
		}
	}
}

// forHost names the host at the end of err's message, keeping err's place
// (when it has one) in front.
func forHost(err error, host string) error {
	if pe, ok := err.(*pos.Error); ok {
		return &pos.Error{Pos: pe.Pos, Err: fmt.Errorf("%w (host %s)", pe.Err, host)}
	}
	return fmt.Errorf("%w (host %s)", err, host)
}

// argPos is the position of the value of a task's argument key, or the
// task's when it has no such key.
func argPos(t *playbook.Task, key string) pos.Pos {
	if t.Args != nil && t.Args.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(t.Args.Content); i += 2 {
			if t.Args.Content[i].Value == key {
				return pos.At(t.File, t.Args.Content[i+1])
			}
		}
	}
	return t.Pos
}

// staticallyFalse reports whether a task's when is known to be false before
// the run (it reads no run-time variable and evaluates to false).
func (v *validator) staticallyFalse(t *playbook.Task, vars map[string]any) bool {
	// The conditions are and-ed: one that reads no run-time name and is
	// false skips the task, whatever the others (`x is defined` beside
	// `ansible_facts.os_family == "Debian"`).
	for _, w := range t.When {
		names, err := tmpl.Names(w.Src)
		if err != nil {
			return false
		}
		if slices.ContainsFunc(names, func(n string) bool { return v.dynamic[n] }) {
			continue
		}
		if ok, err := tmpl.EvalBool(w.Pos.String(), w.Src, vars); err == nil && !ok {
			return true
		}
	}
	return false
}

// resultNames are the fields of a task's own result, readable by
// changed_when, failed_when and until.
var resultNames = map[string]bool{"rc": true, "stdout": true, "stderr": true, "stdout_lines": true,
	"changed": true, "failed": true, "skipped": true, "msg": true}

// exprNames reports variables that expressions read but the host lacks.
func (v *validator) exprNames(exprs []playbook.Expr, vars map[string]any, hs *hostState, extra map[string]bool) {
	for _, e := range exprs {
		names, err := tmpl.Names(e.Src)
		if err != nil {
			continue // reported by syntax
		}
		for _, n := range names {
			if _, ok := vars[n]; !ok && !v.isDynamicName(n) && !extra[n] {
				v.add(e.Pos, fmt.Errorf("undefined variable %q in expression %q (host %s)", n, e.Src, hs.name))
			}
		}
	}
}

func mentionsLoop(t *playbook.Task) bool {
	lv := t.LoopVar
	if lv == "" {
		lv = "item"
	}
	return mentionsAny(t.Args, map[string]bool{lv: true})
}

// mentionsAny reports whether any template in n refers to one of names.
func mentionsAny(n *yaml.Node, names map[string]bool) bool {
	found := false
	walkScalars(n, func(s *yaml.Node) {
		for name := range names {
			if strings.Contains(s.Value, "."+name) || strings.Contains(s.Value, "$."+name) {
				found = true
			}
		}
	})
	return found
}

// isDynamic reports whether err is an undefined variable that only exists at
// run time.
func (v *validator) isDynamic(err error) bool {
	var u *tmpl.UndefinedError
	if !errors.As(err, &u) {
		return false
	}
	return v.isDynamicName(u.Root())
}

// isDynamicName reports whether a variable exists only at run time: a
// registered result, a loop variable, a fact (ansible_* before gathering).
func (v *validator) isDynamicName(name string) bool {
	return v.dynamic[name] || strings.HasPrefix(name, "ansible_")
}
