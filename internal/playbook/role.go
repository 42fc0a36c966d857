package playbook

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// Role is one instance of a role in Ansible's layout (tasks/, handlers/,
// defaults/, vars/, meta/, templates/, files/): the role with the
// parameters it was given. Its tasks carry it (Task.Role).
type Role struct {
	Name string
	Path string // the role's directory
	// Defaults are defaults/main.yml (or defaults_from), unrendered.
	Defaults map[string]any
	// Vars are vars/main.yml (or vars_from), then the vars: keyword of
	// the invocation ({role: x, vars: {...}}), unrendered.
	Vars map[string]any
	// Params are the role's parameters ({role: x, port: 80}) and the vars
	// of include_role and import_role, unrendered.
	Params map[string]any
	// Deps are meta/main.yml's dependencies, loaded with their parameters.
	Deps            []*Role
	Parent          *Role // the role whose dependency this is
	AllowDuplicates bool
	inherit         *Task // what the dependency entry says (when, tags ...)
}

// Scope is the role variables a task sees, each layer at its place in
// Ansible's precedence and unrendered (they are rendered per host).
type Scope struct {
	Defaults map[string]any // role defaults: below every other variable
	Vars     map[string]any // role vars: above play vars and vars_files
	Params   map[string]any // role and include parameters: above set_fact
	Role     *Role          // for role_name and role_path, nil outside roles
}

// LoadOptions configure Load beyond the playbook's own path.
type LoadOptions struct {
	// RolesPath are the directories searched for roles after roles/ beside
	// the playbook and before the playbook's own directory (ansible.cfg's
	// roles_path). Nil means Ansible's default, ~/.ansible/roles,
	// /usr/share/ansible/roles and /etc/ansible/roles.
	RolesPath []string
}

// defaultRolesPath is ansible-core 2.14's DEFAULT_ROLES_PATH.
func defaultRolesPath() []string {
	var out []string
	if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".ansible/roles"))
	}
	return append(out, "/usr/share/ansible/roles", "/etc/ansible/roles")
}

// roleRef is a role as a play, a dependency or include_role names it.
type roleRef struct {
	name    string
	at      pos.Pos
	inherit *Task          // when, tags, become ... of the invocation
	params  map[string]any // {role: x, p: v}
	vars    map[string]any // {role: x, vars: {...}}
	from    map[string]string
	dups    *bool // include_role's allow_duplicates
}

// roleEntryKeys are the keys of a roles: or dependencies entry that are
// keywords; every other key is a role parameter.
var roleEntryKeys = map[string]bool{"role": true, "name": true, "vars": true, "when": true, "tags": true,
	"become": true, "become_user": true, "ignore_errors": true, "no_log": true}

// roleEntry reads one entry of roles: or of meta dependencies: a name, or
// a mapping with role (or name), keywords and parameters.
func (p *parser) roleEntry(file string, n *yaml.Node) *roleRef {
	ref := &roleRef{at: pos.At(file, n), inherit: &Task{Pos: pos.At(file, n), Dir: filepath.Dir(file)}}
	switch n.Kind {
	case yaml.ScalarNode:
		ref.name = n.Value
	case yaml.MappingNode:
		if p.duplicateKeys(file, n) {
			return nil
		}
		var tk taskKeys
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch {
			case k.Value == "role" || k.Value == "name" && ref.name == "":
				ref.name = p.str(file, v)
				ref.at = pos.At(file, v)
			case k.Value == "vars":
				ref.vars = p.vars(file, v)
			case roleEntryKeys[k.Value]:
				p.keyword(file, k, v, ref.inherit, &tk)
			default:
				var val any
				if err := v.Decode(&val); err != nil {
					p.errf(file, v, "role parameter %s: %w", k.Value, err)
				}
				if ref.params == nil {
					ref.params = map[string]any{}
				}
				ref.params[k.Value] = val
			}
		}
	default:
		p.errf(file, n, "a role is a name or a mapping, got %s", pos.Describe(n))
		return nil
	}
	if ref.name == "" {
		p.errs.Errorf(ref.at, "role entry has no role name")
		return nil
	}
	return ref
}

// findRole returns the directory of the role name, searched as Ansible
// does: roles/ beside the playbook, the roles path, the including role's
// own roles directory and the playbook's directory; a name with a slash is
// a path (relative to the playbook).
func (p *parser) findRole(ref *roleRef, parent *Role) (string, bool) {
	if tmpl.Has(ref.name) {
		p.errs.Errorf(ref.at, "role name %q: a templated role name is not supported", ref.name)
		return "", false
	}
	var tried []string
	if strings.Contains(ref.name, "/") || filepath.IsAbs(ref.name) {
		dir := ref.name
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(p.rootDir, dir)
		}
		tried = append(tried, dir)
	} else {
		if strings.Count(ref.name, ".") >= 2 {
			p.errs.Errorf(ref.at, "role %q: roles of collections are not supported", ref.name)
			return "", false
		}
		bases := []string{filepath.Join(p.rootDir, "roles")}
		rp := p.opts.RolesPath
		if rp == nil {
			rp = defaultRolesPath()
		}
		bases = append(bases, rp...)
		if parent != nil {
			bases = append(bases, filepath.Dir(parent.Path))
		}
		bases = append(bases, p.rootDir)
		for _, b := range bases {
			tried = append(tried, filepath.Join(b, ref.name))
		}
	}
	for _, dir := range tried {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			abs, err := filepath.Abs(dir)
			if err != nil {
				abs = dir
			}
			return abs, true
		}
	}
	p.errs.Errorf(ref.at, "the role %q was not found in %s", ref.name, strings.Join(tried, ":"))
	return "", false
}

// roleFile returns ROLE/sub/name with Ansible's extensions (.yml, .yaml,
// none), the first that exists, or "".
func roleFile(dir, sub, name string) string {
	for _, ext := range []string{".yml", ".yaml", ""} {
		p := filepath.Join(dir, sub, name+ext)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// varsOf reads a role's vars or defaults file; a named one (vars_from)
// must exist.
func (p *parser) varsOf(ref *roleRef, dir, sub, name string, named bool) map[string]any {
	f := roleFile(dir, sub, name)
	if f == "" {
		if named {
			p.errs.Errorf(ref.at, "role %s: %s file %q not found in %s", ref.name, sub, name, filepath.Join(dir, sub))
		}
		return nil
	}
	m, err := LoadVarsFile(f)
	if err != nil {
		p.errs = append(p.errs, err.(pos.List)...)
	}
	return m
}

// loadRole finds and reads the role ref names (not its tasks): its
// defaults, vars and meta, and, recursively, its dependencies.
func (p *parser) loadRole(ref *roleRef, parent *Role) *Role {
	for r := parent; r != nil; r = r.Parent {
		if r.Name == ref.name {
			p.errs.Errorf(ref.at, "role dependency cycle: role %q depends on itself", ref.name)
			return nil
		}
	}
	dir, ok := p.findRole(ref, parent)
	if !ok {
		return nil
	}
	name := filepath.Base(dir)
	if !strings.Contains(ref.name, "/") {
		name = ref.name
	}
	r := &Role{Name: name, Path: dir, Params: ref.params, Parent: parent}
	from := func(k string) (string, bool) {
		if v := ref.from[k]; v != "" {
			return strings.TrimSuffix(strings.TrimSuffix(v, ".yml"), ".yaml"), true
		}
		return "main", false
	}
	df, named := from("defaults_from")
	r.Defaults = p.varsOf(ref, dir, "defaults", df, named)
	vf, named := from("vars_from")
	r.Vars = p.varsOf(ref, dir, "vars", vf, named)
	if len(ref.vars) > 0 {
		r.Vars = mergeMaps(r.Vars, ref.vars)
	}
	p.meta(r, ref)
	if ref.dups != nil {
		r.AllowDuplicates = *ref.dups
	}
	return r
}

// meta reads ROLE/meta/main.yml: allow_duplicates and dependencies.
func (p *parser) meta(r *Role, ref *roleRef) {
	f := roleFile(r.Path, "meta", "main")
	if f == "" {
		return
	}
	doc, err := p.readYAML(f, ref.at)
	if err != nil {
		p.errs = append(p.errs, err.(pos.List)...)
		return
	}
	if doc == nil {
		return
	}
	if doc.Kind != yaml.MappingNode {
		p.errf(f, doc, "role meta is a mapping, got %s", pos.Describe(doc))
		return
	}
	p.duplicateKeys(f, doc)
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		switch k.Value {
		case "allow_duplicates":
			r.AllowDuplicates = p.boolean(f, v)
		case "dependencies":
			if v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.SequenceNode {
				p.errf(f, v, "dependencies must be a list, got %s", pos.Describe(v))
				continue
			}
			for _, dn := range v.Content {
				dref := p.roleEntry(f, dn)
				if dref == nil {
					continue
				}
				if d := p.loadRole(dref, r); d != nil {
					d.inherit = dref.inherit
					r.Deps = append(r.Deps, d)
				}
			}
		case "galaxy_info", "argument_specs", "collections":
		default:
			p.errf(f, k, "unknown role meta key %q", k.Value)
		}
	}
}

// roleState is what the parser keeps about the roles of the play it reads.
type roleState struct {
	ran      map[string]bool // instances expanded, by roleKey
	handlers map[string]bool // role directories whose handlers were added
	out      []*Task         // handlers of the play's roles
}

// roleKey identifies a role instance for deduplication: its directory and
// its parameters, as Ansible's role cache does.
func roleKey(r *Role, inh *Task) string {
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(r.Path)
	for _, k := range keys {
		fmt.Fprintf(&b, "\x00%s=%v", k, r.Params[k])
	}
	if inh != nil {
		for _, w := range inh.When {
			b.WriteString("\x00when=" + w.Src)
		}
		b.WriteString("\x00tags=" + strings.Join(inh.Tags, ","))
	}
	return b.String()
}

// expand returns the tasks of role r, its dependencies' first, with what
// inherit says (when, tags ...) applied. Instances of roles: and of
// dependencies already expanded in this play are left out unless the role
// allows duplicates; handlers are added to the play once per role.
func (p *parser) expand(r *Role, inherit *Task, tasksFrom string, dedup bool) []*Task {
	inh := &Task{}
	if inherit != nil {
		c := *inherit
		inh = &c
	}
	if dedup && !r.AllowDuplicates {
		key := roleKey(r, inherit)
		if p.rs.ran[key] {
			return nil
		}
		p.rs.ran[key] = true
	}
	var out []*Task
	for _, d := range r.Deps {
		dinh := *inh
		dinh.Role = nil
		mergeInherit(&dinh, nil)
		if d.inherit != nil {
			di := *d.inherit
			mergeInherit(&di, &dinh)
			dinh = di
		}
		out = append(out, p.expand(d, &dinh, "", true)...)
	}
	inh.Role = r
	name, named := "main", false
	if tasksFrom != "" {
		name, named = strings.TrimSuffix(strings.TrimSuffix(tasksFrom, ".yml"), ".yaml"), true
	}
	if f := roleFile(r.Path, "tasks", name); f != "" {
		out = append(out, p.taskFile(f, inh.Pos, inh)...)
	} else if named {
		p.errs.Errorf(inh.Pos, "role %s: tasks file %q not found in %s", r.Name, tasksFrom, filepath.Join(r.Path, "tasks"))
	}
	if !p.rs.handlers[r.Path] {
		p.rs.handlers[r.Path] = true
		if f := roleFile(r.Path, "handlers", "main"); f != "" {
			hinh := &Task{Pos: inh.Pos, Role: r}
			for _, h := range p.taskFile(f, inh.Pos, hinh) {
				if h.Name != "" {
					h.Listen = appendUnique(h.Listen, r.Name+" : "+h.Name)
				}
				p.rs.out = append(p.rs.out, h)
			}
		}
	}
	return out
}

// roles reads a play's roles: list, returning their tasks in order.
func (p *parser) roles(file string, play *Play, n *yaml.Node) []*Task {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errf(file, n, "roles must be a list, got %s", pos.Describe(n))
		return nil
	}
	var out []*Task
	for _, e := range n.Content {
		ref := p.roleEntry(file, e)
		if ref == nil {
			continue
		}
		r := p.loadRole(ref, nil)
		if r == nil {
			continue
		}
		play.Roles = append(play.Roles, r)
		out = append(out, p.expand(r, ref.inherit, "", true)...)
	}
	return out
}

// Walk calls fn for every task of tasks, the tasks of blocks (block,
// rescue, always) and of dynamic includes (every file they may include)
// included, parents before children.
func Walk(tasks []*Task, fn func(*Task)) {
	for _, t := range tasks {
		fn(t)
		Walk(t.Block, fn)
		Walk(t.Rescue, fn)
		Walk(t.Always, fn)
		if t.Include != nil {
			Walk(t.Include.Subtasks(), fn)
		}
	}
}

// finishPlay gives every task of the play (blocks and handlers included)
// the play's tags and the role variables it sees (Scope), as Ansible's
// variable manager layers them: the defaults of every role of the play and
// of the task's role (its dependencies', its parents', its own), the vars
// likewise, the parameters of the task's role and its parents.
func (p *parser) finishPlay(play *Play) {
	play.Handlers = append(play.Handlers, p.rs.out...)
	var playDefaults, playVars map[string]any
	for _, r := range play.Roles {
		playDefaults = mergeMaps(playDefaults, r.allDefaults())
		playVars = mergeMaps(playVars, r.allVars())
	}
	scopes := map[*Role]*Scope{}
	scopeOf := func(r *Role) *Scope {
		if s, ok := scopes[r]; ok {
			return s
		}
		s := &Scope{Defaults: playDefaults, Vars: playVars, Role: r}
		if r != nil {
			var chain []*Role // outermost first
			for q := r.Parent; q != nil; q = q.Parent {
				chain = append([]*Role{q}, chain...)
			}
			d := mergeMaps(nil, playDefaults)
			for _, dep := range r.Deps {
				d = mergeMaps(d, dep.allDefaults())
			}
			v := mergeMaps(nil, playVars)
			params := map[string]any{}
			for _, q := range chain {
				d = mergeMaps(d, q.Defaults)
				v = mergeMaps(v, q.Vars)
				params = mergeMaps(params, q.Params)
			}
			for _, dep := range r.Deps {
				v = mergeMaps(v, dep.allVars())
			}
			s.Defaults = mergeMaps(d, r.Defaults)
			s.Vars = mergeMaps(v, r.Vars)
			s.Params = mergeMaps(params, r.Params)
		}
		scopes[r] = s
		return s
	}
	all := append(append([]*Task(nil), play.Tasks...), play.Handlers...)
	Walk(all, func(t *Task) {
		t.Tags = appendUnique(t.Tags, play.Tags...)
		if t.Role != nil || len(play.Roles) > 0 {
			t.Scope = scopeOf(t.Role)
		}
	})
}

// allDefaults are a role's defaults over its dependencies'.
func (r *Role) allDefaults() map[string]any {
	var out map[string]any
	for _, d := range r.Deps {
		out = mergeMaps(out, d.allDefaults())
	}
	return mergeMaps(out, r.Defaults)
}

// allVars are a role's vars over its dependencies'.
func (r *Role) allVars() map[string]any {
	var out map[string]any
	for _, d := range r.Deps {
		out = mergeMaps(out, d.allVars())
	}
	return mergeMaps(out, r.Vars)
}

// mergeMaps returns a copy of a with b's keys over it (nil when both are
// empty).
func mergeMaps(a, b map[string]any) map[string]any {
	if len(a)+len(b) == 0 {
		return a
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
