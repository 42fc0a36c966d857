package playbook

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
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
	errs    Errors
	stack   []string // include chain, to refuse cycles
	rootDir string   // directory of the playbook
}

// Load reads and parses a playbook, splicing include_tasks files. Every
// problem found is returned at once as Errors.
func Load(path string, mods Modules) (*Playbook, error) {
	p := &parser{mods: mods, rootDir: filepath.Dir(path)}
	doc, err := p.readYAML(path, Pos{File: path, Line: 1, Col: 1})
	if err != nil {
		return nil, err
	}
	pb := &Playbook{Path: path}
	if doc != nil {
		if doc.Kind != yaml.SequenceNode {
			p.errf(path, doc, "a playbook is a list of plays, got %s", kindName(doc))
		} else {
			for _, n := range doc.Content {
				if play := p.play(path, n); play != nil {
					pb.Plays = append(pb.Plays, play)
				}
			}
		}
	}
	return pb, p.errs.OrNil()
}

// LoadTasks reads a task file on its own (for lint and tests).
func LoadTasks(path string, mods Modules) ([]*Task, error) {
	p := &parser{mods: mods, rootDir: filepath.Dir(path)}
	tasks := p.taskFile(path, Pos{File: path, Line: 1, Col: 1}, nil)
	return tasks, p.errs.OrNil()
}

func (p *parser) readYAML(path string, from Pos) (*yaml.Node, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{&Error{Pos: from, Msg: err.Error()}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{yamlError(path, err)}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlError turns yaml.v3's "yaml: line N: msg" into a positioned Error.
func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, strings.TrimSpace(tail)
				if yamlParserError(msg) {
					line++
				}
			}
		}
	}
	return &Error{Pos: Pos{File: path, Line: line, Col: 1}, Msg: msg}
}

// yamlParserError reports whether msg is one of yaml.v3's parser (not
// scanner) errors, whose "line N" counts from 0.
func yamlParserError(msg string) bool {
	for _, p := range []string{"did not find expected ", "found duplicate %YAML directive",
		"found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func (p *parser) errf(file string, n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: pos(file, n), Msg: fmt.Sprintf(format, args...)})
}

func pos(file string, n *yaml.Node) Pos { return Pos{File: file, Line: n.Line, Col: n.Column} }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (p *parser) play(file string, n *yaml.Node) *Play {
	if n.Kind != yaml.MappingNode {
		p.errf(file, n, "a play is a mapping, got %s", kindName(n))
		return nil
	}
	play := &Play{Pos: pos(file, n), Dir: filepath.Dir(file)}
	var pre, main, post []*Task
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
			play.Become = p.boolPtr(file, v)
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
		case "tasks":
			main = p.taskList(file, v, nil)
		case "post_tasks":
			post = p.taskList(file, v, nil)
		case "handlers":
			play.Handlers = p.taskList(file, v, nil)
		default:
			p.errf(file, k, "unknown play key %q", k.Value)
		}
	}
	if play.Hosts == "" {
		p.errf(file, n, "play %q has no hosts", play.Name)
	}
	play.Tasks = append(append(pre, main...), post...)
	for _, t := range append(append([]*Task(nil), play.Tasks...), play.Handlers...) {
		t.Tags = appendUnique(t.Tags, play.Tags...)
	}
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

func (p *parser) taskFile(path string, from Pos, inherit *Task) []*Task {
	for _, s := range p.stack {
		if s == path {
			p.errs = append(p.errs, &Error{Pos: from, Msg: fmt.Sprintf("include_tasks cycle: %s", strings.Join(append(p.stack, path), " -> "))})
			return nil
		}
	}
	doc, err := p.readYAML(path, from)
	if err != nil {
		p.errs = append(p.errs, err.(Errors)...)
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
		p.errf(file, n, "tasks must be a list, got %s", kindName(n))
		return nil
	}
	var out []*Task
	for _, tn := range n.Content {
		out = append(out, p.task(file, tn, inherit)...)
	}
	return out
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
