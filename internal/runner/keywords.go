package runner

import (
	"lvslab/internal/playbook"
	"lvslab/internal/tmpl"
)

// resolveKeywords returns t with its templated keywords (become: "{{ x }}")
// rendered with vars, a host's or a loop item's, and typed as Ansible's
// (playbook.Task.Resolve).
func resolveKeywords(t *playbook.Task, vars map[string]any) (*playbook.Task, error) {
	return t.Resolve(func(e playbook.Templated) (any, error) { return tmpl.ValueAt(e.Pos, e.Src, vars) })
}

// forFirstHost returns t with its templated keywords as the first host's
// variables make them, for what the strategy decides once for every host
// (run_once, any_errors_fatal), as Ansible's linear strategy templates
// them; t itself when they cannot be rendered there (each host's run
// reports why).
func (r *Runner) forFirstHost(t *playbook.Task, hosts []*hostState) *playbook.Task {
	if len(t.Templated) == 0 || len(hosts) == 0 {
		return t
	}
	vars, err := r.taskVars(hosts[0], t, nil)
	if err != nil {
		return t
	}
	rt, err := resolveKeywords(t, vars)
	if err != nil {
		return t
	}
	return rt
}
