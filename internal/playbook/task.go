package playbook

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/ansible"
	"lvslab/internal/module"
	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
	"lvslab/internal/vault"
)

// taskKeys is what a task's keys say beyond the Task itself.
type taskKeys struct {
	include     string     // the file of include_tasks or import_tasks
	includeKind string     // which of them
	includeNode *yaml.Node // its value
	apply       *Task      // include_tasks' apply
	module      *yaml.Node // the module's key
	args        *yaml.Node // the args keyword's mapping
	free, kv    *yaml.Node // the module's free-form arguments, and as a mapping
	unknown     bool       // a key was reported as no module
	pollSet     bool
	delaySet    bool
}

func (p *parser) task(file string, n *yaml.Node, inherit *Task) []*Task {
	if n.Kind != yaml.MappingNode {
		p.errf(file, n, "a task is a mapping, got %s", pos.Describe(n))
		return nil
	}
	p.duplicateKeys(file, n)
	switch kind, _ := structural(n); kind {
	case "block":
		return p.block(file, n, inherit)
	case "include_role", "import_role":
		return p.includeRole(file, n, kind, inherit)
	}
	t := &Task{Pos: pos.At(file, n), Dir: filepath.Dir(file)}
	var tk taskKeys
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !p.keyword(file, k, v, t, &tk) {
			p.module(file, k, v, t, &tk)
		}
	}
	p.moduleArgs(file, t, &tk)
	p.asyncDefaults(file, n, t, &tk)
	if t.Until != nil && t.Retries == 0 {
		t.Retries = 3
	}
	if t.Until != nil && !tk.delaySet {
		t.Delay = 5
	}
	if tk.include != "" {
		if tk.module != nil {
			p.errf(file, tk.module, "%s cannot be combined with module %q", tk.includeKind, tk.module.Value)
		}
		from := pos.At(file, tk.includeNode)
		if tk.includeKind == "include_tasks" {
			return p.includeTasks(file, t, tk.include, from, tk.apply, inherit)
		}
		p.importLoop(file, n, tk.includeKind)
		inc := *t
		mergeInherit(&inc, inherit)
		if strings.Contains(tk.include, "{{") || strings.Contains(tk.include, "{%") {
			return p.dynamicInclude(file, &inc, tk.include, from)
		}
		return p.taskFile(p.resolve(filepath.Dir(file), tk.include), from, &inc)
	}
	if tk.module == nil {
		if !tk.unknown {
			p.errf(file, n, "task %q has no module", t.Name)
		}
		return nil
	}
	mergeInherit(t, inherit)
	return []*Task{t}
}

// keyword reads the task keyword k into t (or tk), and reports false when
// k is no keyword.
func (p *parser) keyword(file string, k, v *yaml.Node, t *Task, tk *taskKeys) bool {
	if p.templatedKeyword(file, k, v, &t.Templated) {
		tk.delaySet = tk.delaySet || k.Value == "delay"
		return true
	}
	switch k.Value {
	case "name":
		t.Name = p.str(file, v)
	case "when":
		t.When = p.exprs(file, v)
	case "loop":
		t.Loop = v
		p.templates(file, v)
	case "loop_control":
		p.loopControl(file, v, t)
	case "register":
		t.Register = p.str(file, v)
	case "notify":
		t.Notify = p.strs(file, v)
	case "listen":
		t.Listen = p.strs(file, v)
	case "tags":
		t.Tags = p.strs(file, v)
	case "become":
		t.Become = p.boolPtr(file, v)
	case "become_user":
		t.BecomeUser = p.str(file, v)
	case "ignore_errors":
		t.IgnoreErrors = p.boolean(file, v)
	case "no_log":
		t.NoLog = p.boolean(file, v)
	case "run_once":
		t.RunOnce = p.boolean(file, v)
	case "retries":
		t.Retries = p.integer(file, v)
	case "delay":
		t.Delay, tk.delaySet = p.integer(file, v), true
	case "until":
		if es := p.exprs(file, v); len(es) == 1 {
			t.Until = &es[0]
		} else {
			p.errf(file, v, "until takes one expression")
		}
	case "changed_when":
		t.ChangedWhen = p.exprs(file, v)
	case "failed_when":
		t.FailedWhen = p.exprs(file, v)
	case "vars":
		t.Vars = p.vars(file, v)
	case "include_tasks", "import_tasks", "ansible.builtin.include_tasks", "ansible.builtin.import_tasks":
		tk.includeKind, tk.includeNode = includeKind(k.Value), v
		tk.include, tk.apply = p.includeTasksArgs(file, v, tk.includeKind == "include_tasks")
	case "args":
		if v.Kind != yaml.MappingNode {
			p.errf(file, v, "args must be a mapping, got %s", pos.Describe(v))
			break
		}
		p.duplicateKeys(file, v)
		tk.args = v
	default:
		return p.extKeyword(file, k, v, t, tk)
	}
	return true
}

// module takes k, which is no task keyword, as the task's module with
// arguments v: it must be a known module (a short name or an FQCN,
// module.Canonical), the task's only one; free-form arguments (k=v words)
// become the mapping they mean.
func (p *parser) module(file string, k, v *yaml.Node, t *Task, tk *taskKeys) {
	name := module.Canonical(k.Value)
	switch {
	case p.mods != nil && !p.mods.Has(name) && !runnerModules[name]:
		p.errs = append(p.errs, p.unknownModule(file, k))
		tk.unknown = true
	case tk.module != nil:
		p.errf(file, k, "task has two modules: %q and %q", tk.module.Value, k.Value)
	default:
		tk.module = k
		t.Module, t.Args = name, v
		if v.Kind == yaml.ScalarNode && v.Tag != "!!null" && !runnerModules[name] {
			kv, err := module.KVNode(name, v)
			if err != nil {
				p.errs = append(p.errs, moduleKeyError(pos.At(file, v), k.Value, err))
			}
			t.Args, tk.free, tk.kv = nil, v, kv
		}
	}
}

// freeForm returns the arguments of a module written free-form, v, read
// as the mapping kv: key=value words are the mapping they mean; the free
// form of command and shell stays the scalar it is, their command, unless
// it holds options (chdir=...) or the task has args, which make it a
// mapping with the command as cmd.
func freeForm(v, kv *yaml.Node, t *Task, tk *taskKeys) *yaml.Node {
	if module.TakesRawParams(t.Module) && tk.args == nil && len(kv.Content) == 2 && kv.Content[0].Value == "cmd" {
		return v
	}
	return kv
}

// moduleArgs reads the module's free-form arguments, merges the args
// keyword under them (a key given in both is the module's, as in Ansible),
// then checks the keys and the templates.
func (p *parser) moduleArgs(file string, t *Task, tk *taskKeys) {
	if tk.module == nil {
		return
	}
	if tk.free != nil {
		if tk.kv == nil {
			return // not read
		}
		t.Args = freeForm(tk.free, tk.kv, t, tk)
	}
	if tk.args != nil {
		t.Args = mergeArgs(tk.args, t.Args)
	}
	if kc, ok := p.mods.(KeyChecker); ok && t.Args != nil && !runnerModules[t.Module] {
		if err := kc.CheckKeys(t.Module, t.Args); err != nil {
			p.errs = append(p.errs, moduleKeyError(pos.At(file, t.Args), tk.module.Value, err))
		}
	}
	p.templates(file, t.Args)
}

// mergeArgs returns the mapping of the args keyword with the module's own
// arguments (a mapping, or none) over it.
func mergeArgs(under, over *yaml.Node) *yaml.Node {
	if over == nil || over.Kind == yaml.ScalarNode && over.Tag == "!!null" {
		return under
	}
	if over.Kind != yaml.MappingNode {
		return over // the module reports what it is
	}
	m := *over
	m.Content = nil
	own := map[string]bool{}
	for i := 0; i+1 < len(over.Content); i += 2 {
		own[over.Content[i].Value] = true
	}
	for i := 0; i+1 < len(under.Content); i += 2 {
		if !own[under.Content[i].Value] {
			m.Content = append(m.Content, under.Content[i], under.Content[i+1])
		}
	}
	m.Content = append(m.Content, over.Content...)
	return &m
}

// unknownModule is the error for a module key k that names no module
// lvslab has: the module and its place, and the names it may have meant.
func (p *parser) unknownModule(file string, k *yaml.Node) error {
	var known []string
	if n, ok := p.mods.(interface{ Names() []string }); ok {
		known = n.Names()
	}
	known = append(append(known, taskKeywords...), extKeywords...)
	msg := fmt.Sprintf("unknown module or task key %q: lvslab does not support a module of that name", k.Value)
	if close := module.CloseNames(k.Value, known); len(close) > 0 {
		msg += " (close: " + strings.Join(close, ", ") + ")"
	}
	return pos.Errorf(pos.At(file, k), "%s", msg)
}

// taskKeywords are the keys keyword reads, for the names an unknown key
// may have meant.
var taskKeywords = []string{"name", "when", "loop", "with_items", "loop_control", "register", "notify", "listen", "tags",
	"become", "become_user", "ignore_errors", "no_log", "run_once", "retries", "delay", "until", "changed_when",
	"failed_when", "vars", "include_tasks", "import_tasks", "args"}

// mergeInherit applies what an include_tasks line says to a task it includes.
func mergeInherit(t, from *Task) {
	if from == nil {
		return
	}
	t.When = append(append([]Expr(nil), from.When...), t.When...)
	t.Tags = appendUnique(t.Tags, from.Tags...)
	if t.Become == nil {
		t.Become = from.Become
	}
	if t.BecomeUser == "" {
		t.BecomeUser = from.BecomeUser
	}
	if len(from.Vars) > 0 {
		vars := make(map[string]any, len(from.Vars)+len(t.Vars))
		for k, v := range from.Vars {
			vars[k] = v
		}
		for k, v := range t.Vars {
			vars[k] = v
		}
		t.Vars = vars
	}
	if t.Role == nil {
		t.Role = from.Role
	}
	t.IgnoreErrors = t.IgnoreErrors || from.IgnoreErrors
	t.NoLog = t.NoLog || from.NoLog
	inheritTemplated(t, from.Templated)
	mergeExt(&t.TaskExt, &from.TaskExt)
}

func (p *parser) str(file string, n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		p.errf(file, n, "expected a string, got %s", pos.Describe(n))
		return ""
	}
	return n.Value
}

func (p *parser) strs(file string, n *yaml.Node) []string {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return nil
		}
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.errf(file, n, "expected a string or a list of strings, got %s", pos.Describe(n))
		return nil
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, p.str(file, c))
	}
	return out
}

func (p *parser) exprs(file string, n *yaml.Node) []Expr {
	var nodes []*yaml.Node
	if n.Kind == yaml.SequenceNode {
		nodes = n.Content
	} else {
		nodes = []*yaml.Node{n}
	}
	var out []Expr
	for _, c := range nodes {
		if c.Kind != yaml.ScalarNode {
			p.errf(file, c, "expected an expression, got %s", pos.Describe(c))
			continue
		}
		e := Expr{Pos: pos.At(file, c), Src: c.Value}
		if err := tmpl.CompileExpr(c.Value); err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			p.errs.Errorf(e.Pos, "expression %q: %s", c.Value, msg)
		}
		out = append(out, e)
	}
	return out
}

func (p *parser) boolean(file string, n *yaml.Node) bool {
	b := p.boolPtr(file, n)
	return b != nil && *b
}

// boolPtr reads a keyword's boolean with Ansible's spellings
// (ansible.ParseBool); an empty or non-scalar value is an error.
func (p *parser) boolPtr(file string, n *yaml.Node) *bool {
	if n.Kind == yaml.ScalarNode && n.Value != "" {
		if b, ok := ansible.ParseBool(n.Value); ok {
			return &b
		}
	}
	p.errf(file, n, "expected a boolean, got %s", pos.Describe(n))
	return nil
}

func (p *parser) integer(file string, n *yaml.Node) int {
	i, err := strconv.Atoi(n.Value)
	if err != nil || i < 0 {
		p.errf(file, n, "expected a non-negative integer, got %s", pos.Describe(n))
	}
	return i
}

func (p *parser) vars(file string, n *yaml.Node) map[string]any {
	if n.Kind != yaml.MappingNode {
		if n.Tag != "!!null" {
			p.errf(file, n, "vars must be a mapping, got %s", pos.Describe(n))
		}
		return nil
	}
	if p.duplicateKeys(file, n) {
		return nil
	}
	var m map[string]any
	if err := vault.Decode(file, n, &m); err != nil { // !vault values stay encrypted until used
		p.errf(file, n, "%w", err)
	}
	return m
}

// LoadVarsFile reads a vars_files / -e @file YAML mapping.
func LoadVarsFile(path string) (map[string]any, error) {
	p := &parser{}
	doc, err := p.readYAML(path, pos.Pos{File: path, Line: 1, Col: 1})
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return map[string]any{}, nil
	}
	m := p.vars(path, doc)
	return m, p.errs.OrNil()
}

// templates checks the syntax of every template string under n.
func (p *parser) templates(file string, n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		if tmpl.Has(n.Value) {
			if err := tmpl.Parse("", n.Value); err != nil {
				p.errs = append(p.errs, &pos.Error{Pos: pos.At(file, n), Err: err})
			}
		}
		return
	}
	for _, c := range n.Content {
		p.templates(file, c)
	}
}

// moduleKeyError places a module's error about its arguments (args at
// at): at the key it names, when it names one (a *pos.Error without a file,
// relative to the arguments, as module.KeyError), else at the arguments.
func moduleKeyError(at pos.Pos, module string, err error) error {
	at, err = pos.Relative(at, err)
	return pos.Errorf(at, "module %s: %w", module, err)
}
