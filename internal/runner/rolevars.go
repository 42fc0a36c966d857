package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// layers are a task's variables on a host by Ansible's precedence, lowest
// first: role defaults, inventory, play vars (and facts), role vars, block
// and task vars, include_vars, registered results and set_fact, role and
// include parameters. The role layers and the task vars are unrendered;
// vars renders them.
type layers struct {
	defaults, inv, play, roleVars, task, included, dyn, params map[string]any
}

// vars merges the layers and renders every value that won and is
// unrendered, each after the ones it uses, with the whole of vars in scope
// (as Ansible templates variables when they are used). A task var that
// does not render is an error at the task; a role variable that does not
// render fails only where it is used (a *tmpl.VarError in its place).
func (l *layers) vars(t *playbook.Task, owner string, top ...map[string]any) (map[string]any, error) {
	out := merge(append([]map[string]any{l.defaults, l.inv, l.play, l.roleVars, l.task, l.included, l.dyn, l.params}, top...)...)
	pending := map[string]any{}
	strict := map[string]bool{}
	won := func(m map[string]any, over ...map[string]any) {
		for k, v := range m {
			hidden := false
			for _, o := range over {
				if _, ok := o[k]; ok {
					hidden = true
					break
				}
			}
			if !hidden {
				pending[k] = v
				delete(out, k)
			}
		}
	}
	won(l.defaults, append([]map[string]any{l.inv, l.play, l.roleVars, l.task, l.included, l.dyn, l.params}, top...)...)
	won(l.roleVars, append([]map[string]any{l.task, l.included, l.dyn, l.params}, top...)...)
	won(l.task, append([]map[string]any{l.included, l.dyn, l.params}, top...)...)
	for k := range l.task {
		if _, ok := pending[k]; ok {
			strict[k] = true
		}
	}
	won(l.params, top...)
	for k := range l.params {
		strict[k] = false
	}
	pr := &pendingRenderer{scope: out, pending: pending, state: map[string]int{}, owner: owner}
	keys := make([]string, 0, len(pending))
	for k := range pending {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pr.resolve(k, 0)
		if ve, ok := out[k].(*tmpl.VarError); ok && strict[k] {
			return nil, &pos.Error{Pos: t.Pos, Err: ve.Err}
		}
	}
	if t.Scope != nil && t.Scope.Role != nil {
		out["role_name"] = t.Scope.Role.Name
		out["role_path"] = t.Scope.Role.Path
	}
	return out, nil
}

// pendingRenderer renders variables that use each other, as tmpl.Resolve
// does, over a scope that holds every other variable.
type pendingRenderer struct {
	scope, pending map[string]any
	state          map[string]int // 1 rendering, 2 done
	owner          string
}

func (pr *pendingRenderer) resolve(k string, depth int) {
	if pr.state[k] != 0 {
		return
	}
	pr.state[k] = 1
	fail := func(err error) {
		pr.scope[k] = &tmpl.VarError{Name: k, Owner: pr.owner, Err: err}
		pr.state[k] = 2
	}
	if depth > tmpl.MaxDepth {
		fail(fmt.Errorf("variables refer to variables more than %d deep", tmpl.MaxDepth))
		return
	}
	// Render first the pending variables the value may name: one it reads
	// through default() would not fail, and would take the default.
	for _, dep := range identifiers(pr.pending[k]) {
		if _, ok := pr.pending[dep]; ok && dep != k {
			pr.resolve(dep, depth+1)
		}
	}
	for range len(pr.pending) + 1 {
		v, err := tmpl.RenderValue("vars."+k, pr.pending[k], pr.scope)
		var u *tmpl.UndefinedError
		if errors.As(err, &u) {
			if dep := u.Root(); dep != k && pr.state[dep] == 0 {
				if _, ok := pr.pending[dep]; ok {
					pr.resolve(dep, depth+1)
					continue
				}
			}
		}
		if err != nil {
			fail(err)
			return
		}
		pr.scope[k] = v
		pr.state[k] = 2
		return
	}
	fail(fmt.Errorf("variables refer to each other"))
}

var identRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// identifiers returns the words of the templates in v (a string, or
// lists and maps of them): every variable they may read, and more.
func identifiers(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		if tmpl.Has(x) {
			out = identRE.FindAllString(x, -1)
		}
	case []any:
		for _, e := range x {
			out = append(out, identifiers(e)...)
		}
	case map[string]any:
		for _, e := range x {
			out = append(out, identifiers(e)...)
		}
	}
	return out
}

// scopeLayers returns the role layers of a task's scope (nil maps outside
// roles).
func scopeLayers(t *playbook.Task) (defaults, vars, params map[string]any) {
	if t.Scope == nil {
		return nil, nil, nil
	}
	return t.Scope.Defaults, t.Scope.Vars, t.Scope.Params
}

// includeVars is the include_vars module, which the runner carries out: it
// reads a YAML file (file, or the free-form name) or every .yml/.yaml/.json
// file of dir, and sets their variables on the host at include_vars'
// precedence (above task vars, below set_fact), under name when given.
func (r *Runner) includeVars(t *playbook.Task, hs *hostState, args *yaml.Node) (module.Result, error) {
	var file, dir, name string
	switch {
	case args == nil:
	case args.Kind == yaml.ScalarNode:
		file = args.Value
	case args.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(args.Content); i += 2 {
			k, v := args.Content[i].Value, args.Content[i+1]
			switch k {
			case "file", "_raw_params":
				file = v.Value
			case "dir":
				dir = v.Value
			case "name":
				name = v.Value
			case "depth", "files_matching", "ignore_files", "extensions", "ignore_unknown_extensions", "hash_behaviour":
			default:
				return module.Result{}, fmt.Errorf("include_vars: unknown argument %q", k)
			}
		}
	}
	var files []string
	switch {
	case file != "" && dir != "":
		return module.Result{}, errors.New("include_vars: file and dir are mutually exclusive")
	case file != "":
		p, err := findVarsFile(t, file)
		if err != nil {
			return module.Result{}, err
		}
		files = []string{p}
	case dir != "":
		p, err := findVarsFile(t, dir)
		if err != nil {
			return module.Result{}, err
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return module.Result{}, fmt.Errorf("include_vars: %w", err)
		}
		for _, e := range entries { // sorted by name, as Ansible's
			ext := filepath.Ext(e.Name())
			if !e.IsDir() && (ext == ".yml" || ext == ".yaml" || ext == ".json") {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	default:
		return module.Result{}, errors.New("include_vars: file or dir is required")
	}
	got := map[string]any{}
	for _, f := range files {
		m, err := playbook.LoadVarsFile(f)
		if err != nil {
			return module.Result{}, err
		}
		for k, v := range m {
			got[k] = v
		}
	}
	if name != "" {
		got = map[string]any{name: got}
	}
	r.secrets(got)
	hs.mu.Lock()
	if hs.included == nil {
		hs.included = map[string]any{}
	}
	for k, v := range got {
		hs.included[k] = v
	}
	hs.mu.Unlock()
	shown := make([]any, len(files))
	for i, f := range files {
		shown[i] = f
	}
	return module.Result{Data: map[string]any{"ansible_facts": got, "ansible_included_var_files": shown}}, nil
}

// findVarsFile finds an include_vars path as Ansible does: in the role's
// vars/ (for a role's task), beside the task's file, in vars/ beside it,
// then beside the playbook.
func findVarsFile(t *playbook.Task, rel string) (string, error) {
	if filepath.IsAbs(rel) {
		return rel, nil
	}
	var tried []string
	if t.Role != nil {
		tried = append(tried, filepath.Join(t.Role.Path, "vars", rel), filepath.Join(t.Role.Path, rel))
	}
	tried = append(tried, filepath.Join(t.Dir, "vars", rel), filepath.Join(t.Dir, rel))
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("include_vars: %q not found (tried %s)", rel, strings.Join(tried, ", "))
}
