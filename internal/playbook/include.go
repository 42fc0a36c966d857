package playbook

import (
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/module"
	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// Include is what a dynamic include_tasks or include_role runs when it is
// reached, as Ansible's: per host, its own when evaluated once, its loop
// running the included tasks once per item, their file named by the
// host's variables. The files are read when the playbook is read, so that
// lint checks them (every file a templated name can render to, beside the
// including file); the include's own keywords (when, tags, become ...)
// are not its tasks', which take its vars and apply's keywords.
type Include struct {
	Kind string // include_tasks or include_role
	Name string // the file as written, or the role's name
	// Expr is the expression a templated file name renders to; Files are
	// the files it can name, Rel as the name renders to them.
	Expr  string
	Files []IncludeFile
	// Tasks are the tasks of a plain file name, or of the role.
	Tasks []*Task
	File  string // the plain name's file, for the included line
	Role  *Role  // include_role's role
}

// IncludeFile is one file an include_tasks names.
type IncludeFile struct {
	Rel, Path string
	Tasks     []*Task
}

// IsInclude reports whether t is a dynamic include_tasks or include_role.
func (t *Task) IsInclude() bool { return t.Include != nil }

// Subtasks are every task an include may run: its file's (or role's), or
// those of every file its templated name can render to.
func (in *Include) Subtasks() []*Task {
	out := append([]*Task(nil), in.Tasks...)
	for _, f := range in.Files {
		out = append(out, f.Tasks...)
	}
	return out
}

// childInherit is what the tasks of a dynamic include inherit: what the
// blocks around it say (inherit), its vars, and apply's keywords.
func childInherit(inherit *Task, at pos.Pos, dir string, vars map[string]any, apply *Task) *Task {
	c := &Task{Pos: at, Dir: dir}
	if inherit != nil {
		cp := *inherit
		c = &cp
	}
	c.Vars = mergeMaps(c.Vars, vars)
	if apply != nil {
		a := *apply
		mergeInherit(&a, c)
		c = &a
	}
	return c
}

// includeTasksArgs reads include_tasks' value: a file name, or a mapping
// with file and apply.
func (p *parser) includeTasksArgs(file string, v *yaml.Node, dynamic bool) (string, *Task) {
	if v.Kind != yaml.MappingNode {
		return p.str(file, v), nil
	}
	p.duplicateKeys(file, v)
	var name string
	var apply *Task
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, a := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "file", "_raw_params":
			name = p.str(file, a)
		case "apply":
			if !dynamic {
				p.errf(file, k, "apply is a keyword of include_tasks, not import_tasks")
				continue
			}
			apply = p.applyKeywords(file, a)
		default:
			p.errf(file, k, "unknown include_tasks argument %q (file, apply)", k.Value)
		}
	}
	if name == "" {
		p.errf(file, v, "include_tasks needs file")
	}
	return name, apply
}

// applyKeywords reads apply: the block keywords an include gives its tasks.
func (p *parser) applyKeywords(file string, a *yaml.Node) *Task {
	if a.Kind != yaml.MappingNode {
		p.errf(file, a, "apply is a mapping of keywords, got %s", pos.Describe(a))
		return nil
	}
	apply := &Task{Pos: pos.At(file, a), Dir: filepath.Dir(file)}
	var tk taskKeys
	for j := 0; j+1 < len(a.Content); j += 2 {
		if !blockKeywords[a.Content[j].Value] || a.Content[j].Value == "name" {
			p.errf(file, a.Content[j], "%q is not a keyword apply takes", a.Content[j].Value)
			continue
		}
		p.keyword(file, a.Content[j], a.Content[j+1], apply, &tk)
	}
	return apply
}

// includeTasks makes the task inc an include_tasks of name: its tasks are
// read now (every candidate of a templated name), and run when it is
// reached.
func (p *parser) includeTasks(file string, inc *Task, name string, from pos.Pos, apply, inherit *Task) []*Task {
	mergeInherit(inc, inherit) // the include is a task of the blocks around it
	child := childInherit(inherit, inc.Pos, inc.Dir, inc.Vars, apply)
	in := &Include{Kind: "include_tasks", Name: name}
	inc.Include, inc.Module = in, "include_tasks"
	if !tmpl.Has(name) {
		in.File = p.resolve(filepath.Dir(file), name)
		in.Tasks = p.taskFile(in.File, from, child)
		return []*Task{inc}
	}
	expr, base, cands := p.includeCandidates(file, name, from)
	if expr == "" {
		return nil
	}
	in.Expr = expr
	for _, c := range cands {
		rel := c
		if !filepath.IsAbs(name) {
			rel, _ = filepath.Rel(base, c)
		}
		in.Files = append(in.Files, IncludeFile{Rel: rel, Path: c, Tasks: p.taskFile(c, from, child)})
	}
	return []*Task{inc}
}

// importLoop refuses a loop on import_tasks and import_role, as Ansible.
func (p *parser) importLoop(file string, n *yaml.Node, kind string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value == "loop" || strings.HasPrefix(k.Value, "with_") {
			p.errf(file, k, "you cannot use loops on '%s' statements; use '%s' instead", kind,
				strings.Replace(kind, "import_", "include_", 1))
		}
	}
}

// includeKind is the kind of include key k names, or "".
func includeKind(k string) string {
	switch c := module.Canonical(k); c {
	case "include_tasks", "import_tasks":
		return c
	}
	return ""
}
