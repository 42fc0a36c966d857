package playbook

import (
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/module"
	"lvslab/internal/pos"
)

// blockKeywords are the keys a block takes besides block, rescue and
// always; its tasks inherit them.
var blockKeywords = map[string]bool{"name": true, "when": true, "tags": true, "become": true, "become_user": true,
	"ignore_errors": true, "no_log": true, "vars": true}

// notBlockKeys are task keywords a block does not take (Ansible's Block
// has no such attribute); the others (delegate_to, environment, run_once
// ...) its tasks inherit.
var notBlockKeys = map[string]bool{"loop": true, "loop_control": true, "register": true, "notify": true,
	"listen": true, "until": true, "retries": true, "delay": true, "changed_when": true, "failed_when": true,
	"args": true, "include_tasks": true, "import_tasks": true, "async": true, "poll": true, "local_action": true}

// structural returns the key of n that makes it no plain task: block,
// include_role or import_role (short or FQCN), or nil.
func structural(n *yaml.Node) (string, *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch c := module.Canonical(k.Value); c {
		case "block", "include_role", "import_role":
			return c, k
		}
	}
	return "", nil
}

// block reads a block: its sections as task lists whose tasks inherit the
// block's keywords (its when joins theirs, its vars are under theirs).
func (p *parser) block(file string, n *yaml.Node, inherit *Task) []*Task {
	b := &Task{Pos: pos.At(file, n), Dir: filepath.Dir(file)}
	var tk taskKeys
	var sections [3]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Value == "block":
			sections[0] = v
		case k.Value == "rescue":
			sections[1] = v
		case k.Value == "always":
			sections[2] = v
		case notBlockKeys[k.Value] || strings.HasPrefix(k.Value, "with_") || !p.keyword(file, k, v, b, &tk):
			p.errf(file, k, "%q is not a valid key of a block", k.Value)
		}
	}
	mergeInherit(b, inherit)
	list := func(s *yaml.Node) []*Task {
		out := []*Task{}
		if s != nil {
			out = append(out, p.taskList(file, s, b)...)
		}
		return out
	}
	b.Block, b.Rescue, b.Always = list(sections[0]), list(sections[1]), list(sections[2])
	return []*Task{b}
}

// includeRole reads include_role or import_role (kind). import_role's
// role is read now and its tasks take its place, with its keywords (when,
// tags, become) and its vars as the role's parameters. include_role is a
// task of its own, run when reached (Include): its keywords and loop are
// its own, its vars the role's parameters, apply's keywords its tasks'.
func (p *parser) includeRole(file string, n *yaml.Node, kind string, inherit *Task) []*Task {
	inc := &Task{Pos: pos.At(file, n), Dir: filepath.Dir(file)}
	ref := &roleRef{at: inc.Pos, from: map[string]string{}}
	var tk taskKeys
	var apply *Task
	if kind == "import_role" {
		p.importLoop(file, n, kind)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if module.Canonical(k.Value) == kind {
			apply = p.includeRoleArgs(file, kind, v, ref)
			continue
		}
		if kind == "import_role" && (k.Value == "loop" || strings.HasPrefix(k.Value, "with_") || k.Value == "loop_control") {
			continue // refused by importLoop
		}
		if !p.keyword(file, k, v, inc, &tk) {
			p.errf(file, k, "%q is not a valid key of %s", k.Value, kind)
		}
	}
	if ref.name == "" {
		p.errs.Errorf(inc.Pos, "%s needs name", kind)
		return nil
	}
	ref.params, inc.Vars = inc.Vars, nil
	var parent *Role
	if inherit != nil {
		parent = inherit.Role
	}
	if kind == "include_role" {
		mergeInherit(inc, inherit) // the include is a task of the blocks around it
		child := childInherit(inherit, inc.Pos, inc.Dir, nil, apply)
		child.Role = nil
		r := p.loadRole(ref, parent)
		if r == nil {
			return nil
		}
		inc.Module = "include_role"
		inc.Include = &Include{Kind: kind, Name: r.Name, Role: r, Tasks: p.expand(r, child, ref.from["tasks_from"], false)}
		return []*Task{inc}
	}
	mergeInherit(inc, inherit)
	inc.Role = nil
	r := p.loadRole(ref, parent)
	if r == nil {
		return nil
	}
	return p.expand(r, inc, ref.from["tasks_from"], false)
}

// includeRoleArgs reads the arguments of include_role / import_role into
// ref, and returns apply's keywords (include_role) as a task, or nil.
func (p *parser) includeRoleArgs(file, kind string, v *yaml.Node, ref *roleRef) *Task {
	if v.Kind == yaml.ScalarNode {
		kv, err := module.KVNode(kind, v)
		if err != nil {
			p.errs = append(p.errs, moduleKeyError(pos.At(file, v), kind, err))
			return nil
		}
		v = kv
	}
	if v.Kind != yaml.MappingNode {
		p.errf(file, v, "%s takes a mapping, got %s", kind, pos.Describe(v))
		return nil
	}
	p.duplicateKeys(file, v)
	var apply *Task
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, a := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "name":
			ref.name, ref.at = p.str(file, a), pos.At(file, a)
		case "tasks_from", "vars_from", "defaults_from":
			ref.from[k.Value] = p.str(file, a)
		case "allow_duplicates":
			b := p.boolean(file, a)
			ref.dups = &b
		case "public", "rolespec_validate":
			p.boolean(file, a)
		case "apply":
			if kind != "include_role" {
				p.errf(file, a, "apply is a keyword of include_role, not import_role")
				continue
			}
			apply = p.applyKeywords(file, a)
		default:
			p.errf(file, k, "unknown %s argument %q", kind, k.Value)
		}
	}
	return apply
}

// plays reads one entry of a playbook: a play, or import_playbook, whose
// plays take its place (their roles searched beside the imported file).
func (p *parser) plays(file string, n *yaml.Node) []*Play {
	var key, val *yaml.Node
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if module.Canonical(n.Content[i].Value) == "import_playbook" {
				key, val = n.Content[i], n.Content[i+1]
			}
		}
	}
	if key == nil {
		if play := p.play(file, n); play != nil {
			return []*Play{play}
		}
		return nil
	}
	p.duplicateKeys(file, n)
	var vars map[string]any
	var tags []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k == key:
		case k.Value == "name":
			p.str(file, v)
		case k.Value == "vars":
			vars = p.vars(file, v)
		case k.Value == "tags":
			tags = p.strs(file, v)
		default:
			p.errf(file, k, "%q is not a valid key of import_playbook", k.Value)
		}
	}
	path := p.resolve(filepath.Dir(file), p.str(file, val))
	for _, s := range p.stack {
		if s == path {
			p.errs.Errorf(pos.At(file, val), "import_playbook cycle: %s", strings.Join(append(p.stack, path), " -> "))
			return nil
		}
	}
	doc, err := p.readYAML(path, pos.At(file, val))
	if err != nil {
		p.errs = append(p.errs, err.(pos.List)...)
		return nil
	}
	if doc == nil {
		return nil
	}
	if doc.Kind != yaml.SequenceNode {
		p.errf(path, doc, "a playbook is a list of plays, got %s", pos.Describe(doc))
		return nil
	}
	p.stack = append(p.stack, path)
	root := p.rootDir
	p.rootDir = filepath.Dir(path)
	defer func() { p.stack, p.rootDir = p.stack[:len(p.stack)-1], root }()
	var out []*Play
	for _, c := range doc.Content {
		for _, play := range p.plays(path, c) {
			if len(vars) > 0 {
				play.Vars = mergeMaps(vars, play.Vars)
			}
			if len(tags) > 0 {
				play.Tags = appendUnique(play.Tags, tags...)
				Walk(append(append([]*Task(nil), play.Tasks...), play.Handlers...), func(t *Task) {
					t.Tags = appendUnique(t.Tags, tags...)
				})
			}
			out = append(out, play)
		}
	}
	return out
}

// runnerModules are modules the runner carries out itself, not the module
// registry: include_vars sets host variables.
var runnerModules = map[string]bool{"include_vars": true}
