package playbook

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/pos"
	"lvslab/internal/vault"
)

// Modules tells the parser which module names exist.
type Modules interface {
	Has(name string) bool
}

// KeyChecker is optionally implemented by Modules to check a module's
// argument keys (unknown keys are errors) before any rendering.
type KeyChecker interface {
	CheckKeys(module string, args *yaml.Node) error
}

type parser struct {
	mods    Modules
	errs    pos.List
	stack   []string // include chain, to refuse cycles
	rootDir string   // directory of the playbook
	opts    LoadOptions
	rs      roleState // the roles of the play being read (role.go)
}

// Load reads and parses a playbook, splicing include_tasks files. Every
// problem found is returned at once as a pos.List.
func Load(path string, mods Modules) (*Playbook, error) {
	return LoadWith(path, mods, LoadOptions{})
}

// LoadWith is Load with options (the roles path).
func LoadWith(path string, mods Modules, opts LoadOptions) (*Playbook, error) {
	p := &parser{mods: mods, rootDir: filepath.Dir(path), opts: opts, stack: []string{path}}
	doc, err := p.readYAML(path, pos.Pos{File: path, Line: 1, Col: 1})
	if err != nil {
		return nil, err
	}
	pb := &Playbook{Path: path}
	if doc != nil {
		if doc.Kind != yaml.SequenceNode {
			p.errf(path, doc, "a playbook is a list of plays, got %s", pos.Describe(doc))
		} else {
			for _, n := range doc.Content {
				pb.Plays = append(pb.Plays, p.plays(path, n)...)
			}
		}
	}
	return pb, p.errs.OrNil()
}

// LoadTasks reads a task file on its own (for lint and tests).
func LoadTasks(path string, mods Modules) ([]*Task, error) {
	p := &parser{mods: mods, rootDir: filepath.Dir(path)}
	tasks := p.taskFile(path, pos.Pos{File: path, Line: 1, Col: 1}, nil)
	return tasks, p.errs.OrNil()
}

// readYAML reads a YAML file; a vaulted one is decrypted (vault.ReadFile)
// and its strings never printed.
func (p *parser) readYAML(path string, from pos.Pos) (*yaml.Node, error) {
	data, vaulted, err := vault.ReadFile(path)
	if err != nil {
		return nil, pos.List{&pos.Error{Pos: from, Err: err}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, pos.List{pos.FromYAML(path, err)}
	}
	if vaulted {
		vault.ProtectNode(&doc)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

func (p *parser) errf(file string, n *yaml.Node, format string, args ...any) {
	p.errs.Errorf(pos.At(file, n), format, args...)
}

func (p *parser) play(file string, n *yaml.Node) *Play {
	if n.Kind != yaml.MappingNode {
		p.errf(file, n, "a play is a mapping, got %s", pos.Describe(n))
		return nil
	}
	p.duplicateKeys(file, n)
	play := &Play{Pos: pos.At(file, n), Dir: filepath.Dir(file)}
	p.rs = roleState{ran: map[string]bool{}, handlers: map[string]bool{}}
	var pre, roles, main, post []*Task
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			play.Name = p.str(file, v)
		case "hosts":
			play.Hosts = p.str(file, v)
		case "vars":
			play.Vars = p.vars(file, v)
		case "vars_files":
			for _, f := range p.strs(file, v) {
				play.VarsFiles = append(play.VarsFiles, p.resolve(filepath.Dir(file), f))
			}
		case "become":
			if !p.templatedKeyword(file, k, v, &play.Templated) {
				play.Become = p.boolPtr(file, v)
			}
		case "become_user":
			play.BecomeUser = p.str(file, v)
		case "gather_facts":
			play.GatherFacts = p.boolPtr(file, v)
		case "any_errors_fatal":
			play.AnyErrorsFatal = p.boolean(file, v)
		case "max_fail_percentage":
			f, err := strconv.ParseFloat(strings.TrimSuffix(v.Value, "%"), 64)
			if err != nil || f < 0 || f > 100 {
				p.errf(file, v, "max_fail_percentage must be a number from 0 to 100")
			}
			play.MaxFailPercentage = &f
		case "tags":
			play.Tags = p.strs(file, v)
		case "pre_tasks":
			pre = p.taskList(file, v, nil)
		case "roles":
			roles = p.roles(file, play, v)
		case "tasks":
			main = p.taskList(file, v, nil)
		case "post_tasks":
			post = p.taskList(file, v, nil)
		case "handlers":
			play.Handlers = p.taskList(file, v, nil)
		default:
			if !p.playKey(file, k, v, play) {
				p.errf(file, k, "unknown play key %q", k.Value)
			}
		}
	}
	if play.Hosts == "" {
		p.errf(file, n, "play %q has no hosts", play.Name)
	}
	play.Tasks = append(append(append(pre, roles...), main...), post...)
	p.finishPlay(play) // play tags, role variables, role handlers
	inheritPlay(play)
	return play
}

// resolve finds a relative path beside the including file, then beside the
// playbook, then in the playbook's parent (the project root).
func (p *parser) resolve(dir, rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	for _, base := range []string{dir, p.rootDir, filepath.Dir(p.rootDir)} {
		cand := filepath.Join(base, rel)
		if _, err := os.Stat(cand); err == nil {
			return cand
		}
	}
	return filepath.Join(dir, rel)
}

func (p *parser) taskFile(path string, from pos.Pos, inherit *Task) []*Task {
	for _, s := range p.stack {
		if s == path {
			p.errs.Errorf(from, "include_tasks cycle: %s", strings.Join(append(p.stack, path), " -> "))
			return nil
		}
	}
	doc, err := p.readYAML(path, from)
	if err != nil {
		p.errs = append(p.errs, err.(pos.List)...)
		return nil
	}
	if doc == nil {
		return nil
	}
	p.stack = append(p.stack, path)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	return p.taskList(path, doc, inherit)
}

func (p *parser) taskList(file string, n *yaml.Node, inherit *Task) []*Task {
	if n.Kind != yaml.SequenceNode {
		if n.Tag == "!!null" {
			return nil
		}
		p.errf(file, n, "tasks must be a list, got %s", pos.Describe(n))
		return nil
	}
	var out []*Task
	for _, tn := range n.Content {
		out = append(out, p.task(file, tn, inherit)...)
	}
	return out
}

// duplicateKeys reports every key of the mapping n that an earlier key of
// n already has, at the later key, as yaml.v3 refuses them when it decodes
// a mapping into a struct, and reports whether there was one. The parser
// walks plays and tasks as nodes, where the last key would silently win.
func (p *parser) duplicateKeys(file string, n *yaml.Node) bool {
	first := map[string]*yaml.Node{}
	dup := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if f, ok := first[k.Value]; ok {
			p.errf(file, k, "duplicate key %q (first at line %d)", k.Value, f.Line)
			dup = true
			continue
		}
		first[k.Value] = k
	}
	return dup
}

func appendUnique(dst []string, src ...string) []string {
	for _, s := range src {
		found := false
		for _, d := range dst {
			if d == s {
				found = true
				break
			}
		}
		if !found {
			dst = append(dst, s)
		}
	}
	return dst
}
