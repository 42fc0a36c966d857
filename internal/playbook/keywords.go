package playbook

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/jinja"
	"lvslab/internal/module"
	"lvslab/internal/pos"
)

// TaskExt holds a task's keywords of loops, delegation, connection,
// environment, check mode and async, beside Task's own.
type TaskExt struct {
	// LoopWith is the lookup of a with_<lookup> loop (items, dict, ...),
	// which makes the items from Loop's terms; empty for loop.
	LoopWith     string
	LoopLabel    string  // loop_control.label, a template
	LoopPause    float64 // loop_control.pause, seconds between items
	IndexVar     string  // loop_control.index_var
	LoopExtended bool    // loop_control.extended: ansible_loop
	// Include is set on a dynamic include_tasks or include_role (include.go).
	Include *Include

	DelegateTo        string // a template naming a host
	DelegateFacts     bool
	RemoteUser        string
	Environment       []*yaml.Node // play's, then the include's, then the task's
	CheckMode         *bool
	DiffMode          *bool
	IgnoreUnreachable bool
	AnyErrorsFatal    *bool
	BecomeMethod      string
	Async             int // seconds; 0: not async
	Poll              int // seconds between status checks; 0: fire and forget
	Throttle          int
	Meta              string // the meta task's action (flush_handlers ...); Module is "meta"
}

// PlayExt holds a play's keywords of batches, strategy, connection and
// prompts, beside Play's own.
type PlayExt struct {
	Serial            []SerialStep // batch sizes, the last repeated
	SerialPos         pos.Pos
	Strategy          string // linear (default) or free
	Order             string // inventory (default), reverse_inventory, sorted, reverse_sorted, shuffle
	RemoteUser        string
	Environment       *yaml.Node
	CheckMode         *bool
	DiffMode          *bool
	VarsPrompt        []VarPrompt
	IgnoreUnreachable bool
	BecomeMethod      string
}

// SerialStep is one batch size of serial: a number of hosts, or a
// percentage of the play's hosts.
type SerialStep struct {
	N       float64
	Percent bool
}

// VarPrompt is one vars_prompt entry. lvslab never prompts: the value
// comes from -e, else its default, else the play is bad input.
type VarPrompt struct {
	pos.Pos
	Name    string
	Prompt  string
	Default any
	HasDef  bool
	Private bool
}

// metaActions are the meta tasks lvslab runs.
var metaActions = map[string]bool{"flush_handlers": true, "end_play": true, "end_host": true, "end_batch": true,
	"refresh_inventory": true, "noop": true, "clear_facts": true, "clear_host_errors": true, "reset_connection": true}

// extKeywords are the task keywords extKeyword reads.
var extKeywords = []string{"delegate_to", "delegate_facts", "local_action", "remote_user", "environment",
	"check_mode", "diff", "ignore_unreachable", "any_errors_fatal", "become_method", "async", "poll", "throttle",
	"meta", "connection"}

// extKeyword reads the task keywords of TaskExt (and with_<lookup>), and
// reports false when k is none of them.
func (p *parser) extKeyword(file string, k, v *yaml.Node, t *Task, tk *taskKeys) bool {
	if p.templatedKeyword(file, k, v, &t.Templated) {
		return true
	}
	if name, ok := strings.CutPrefix(k.Value, "with_"); ok {
		if t.Loop != nil {
			p.errf(file, k, "a task has one loop: %s and an earlier loop keyword", k.Value)
		}
		if !jinja.IsLookup(name) {
			p.errf(file, k, "%s: lvslab has no lookup %q", k.Value, name)
		}
		t.Loop, t.LoopWith = v, name
		p.templates(file, v)
		return true
	}
	key := k.Value
	if module.Canonical(key) == "meta" {
		key = "meta" // ansible.builtin.meta, as roles write it
	}
	switch key {
	case "delegate_to":
		t.DelegateTo = p.str(file, v)
		p.templates(file, v)
	case "delegate_facts":
		t.DelegateFacts = p.boolean(file, v)
	case "local_action":
		p.localAction(file, k, v, t, tk)
	case "remote_user":
		t.RemoteUser = p.str(file, v)
	case "environment":
		if v.Kind != yaml.MappingNode && v.Kind != yaml.ScalarNode {
			p.errf(file, v, "environment must be a mapping, got %s", pos.Describe(v))
			break
		}
		p.templates(file, v)
		t.Environment = append(t.Environment, v)
	case "check_mode":
		t.CheckMode = p.boolPtr(file, v)
	case "diff":
		t.DiffMode = p.boolPtr(file, v)
	case "ignore_unreachable":
		t.IgnoreUnreachable = p.boolean(file, v)
	case "any_errors_fatal":
		t.AnyErrorsFatal = p.boolPtr(file, v)
	case "become_method":
		t.BecomeMethod = p.becomeMethod(file, v)
	case "async":
		t.Async = p.integer(file, v)
	case "poll":
		t.Poll, tk.pollSet = p.integer(file, v), true
	case "throttle":
		t.Throttle = p.integer(file, v)
	case "connection":
		if s := p.str(file, v); s != "local" && s != "ssh" && s != "smart" {
			p.errf(file, v, "connection %q: lvslab connects with ssh or local", s)
		} else if s == "local" {
			t.DelegateTo = "localhost"
		}
	case "meta":
		a := p.str(file, v)
		if !metaActions[a] {
			p.errf(file, v, "meta: unknown action %q", a)
		}
		if tk.module != nil {
			p.errf(file, k, "task has two modules: %q and %q", tk.module.Value, k.Value)
		}
		t.Module, t.Meta, tk.module = "meta", a, k
	default:
		return false
	}
	return true
}

func (p *parser) becomeMethod(file string, v *yaml.Node) string {
	m := p.str(file, v)
	if m != "sudo" && m != "su" {
		p.errf(file, v, "become_method %q: lvslab becomes with sudo and su", m)
	}
	return m
}

// localAction reads local_action: a module and its arguments (free-form
// words or a mapping with module:) run on the controller.
func (p *parser) localAction(file string, k, v *yaml.Node, t *Task, tk *taskKeys) {
	t.DelegateTo = "localhost"
	switch v.Kind {
	case yaml.ScalarNode:
		name, rest, _ := strings.Cut(strings.TrimSpace(v.Value), " ")
		mk := &yaml.Node{Kind: yaml.ScalarNode, Value: name, Line: v.Line, Column: v.Column}
		args := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimSpace(rest), Line: v.Line, Column: v.Column}
		if rest == "" {
			args = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: v.Line, Column: v.Column}
		}
		p.module(file, mk, args, t, tk)
	case yaml.MappingNode:
		var mk *yaml.Node
		args := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Value == "module" {
				mk = &yaml.Node{Kind: yaml.ScalarNode, Value: v.Content[i+1].Value, Line: v.Content[i+1].Line, Column: v.Content[i+1].Column}
				continue
			}
			args.Content = append(args.Content, v.Content[i], v.Content[i+1])
		}
		if mk == nil {
			p.errf(file, v, "local_action: no module given")
			return
		}
		p.module(file, mk, args, t, tk)
	default:
		p.errf(file, v, "local_action: expected a module and its arguments, got %s", pos.Describe(v))
	}
}

// loopControl reads loop_control; an unknown key is an error at it.
func (p *parser) loopControl(file string, n *yaml.Node, t *Task) {
	if n.Kind != yaml.MappingNode {
		p.errf(file, n, "loop_control is a mapping")
		return
	}
	p.duplicateKeys(file, n)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "loop_var":
			t.LoopVar = p.str(file, v)
		case "index_var":
			t.IndexVar = p.str(file, v)
		case "label":
			t.LoopLabel = p.str(file, v)
			p.templates(file, v)
		case "pause":
			f, err := strconv.ParseFloat(v.Value, 64)
			if v.Kind != yaml.ScalarNode || err != nil || f < 0 {
				p.errf(file, v, "loop_control.pause: expected a number of seconds, got %s", pos.Describe(v))
			}
			t.LoopPause = f
		case "extended":
			t.LoopExtended = p.boolean(file, v)
		case "extended_allitems":
			p.boolean(file, v)
		default:
			p.errf(file, k, "unknown loop_control key %q (loop_var, index_var, label, pause, extended, extended_allitems)", k.Value)
		}
	}
}

// asyncDefaults gives async tasks Ansible's poll of 10 seconds, and
// refuses async where lvslab cannot run it: the runner runs the command
// of a command or shell task as a job on the host, polled every poll
// seconds, or left running with poll 0 (async_status reads it).
func (p *parser) asyncDefaults(file string, n *yaml.Node, t *Task, tk *taskKeys) {
	if t.Async == 0 {
		return
	}
	if !tk.pollSet {
		t.Poll = 10
	}
	if t.Poll < 0 || t.Async < 0 {
		p.errf(file, n, "async and poll are seconds, not negative")
	}
	switch t.Module {
	case "command", "shell", "raw", "script":
	default:
		p.errf(file, n, "async: lvslab runs command and shell tasks in the background, not %s", t.Module)
	}
}

// mergeExt applies what an include_tasks line (or a block) says of
// TaskExt to a task it includes.
func mergeExt(t, from *TaskExt) {
	if t.DelegateTo == "" {
		t.DelegateTo, t.DelegateFacts = from.DelegateTo, from.DelegateFacts
	}
	if t.RemoteUser == "" {
		t.RemoteUser = from.RemoteUser
	}
	t.Environment = append(append([]*yaml.Node(nil), from.Environment...), t.Environment...)
	if t.CheckMode == nil {
		t.CheckMode = from.CheckMode
	}
	if t.DiffMode == nil {
		t.DiffMode = from.DiffMode
	}
	t.IgnoreUnreachable = t.IgnoreUnreachable || from.IgnoreUnreachable
	if t.AnyErrorsFatal == nil {
		t.AnyErrorsFatal = from.AnyErrorsFatal
	}
	if t.BecomeMethod == "" {
		t.BecomeMethod = from.BecomeMethod
	}
}

// playKey reads the play keywords of PlayExt, and reports false when k is
// none of them.
func (p *parser) playKey(file string, k, v *yaml.Node, play *Play) bool {
	switch k.Value {
	case "serial":
		play.Serial, play.SerialPos = p.serial(file, v), pos.At(file, v)
	case "strategy":
		play.Strategy = p.str(file, v)
		if play.Strategy != "linear" && play.Strategy != "free" {
			p.errf(file, v, "strategy %q: lvslab has linear and free", play.Strategy)
		}
	case "order":
		play.Order = p.str(file, v)
		switch play.Order {
		case "inventory", "reverse_inventory", "sorted", "reverse_sorted", "shuffle":
		default:
			p.errf(file, v, "order %q: one of inventory, reverse_inventory, sorted, reverse_sorted, shuffle", play.Order)
		}
	case "remote_user":
		if !p.templatedKeyword(file, k, v, &play.Templated) {
			play.RemoteUser = p.str(file, v)
		}
	case "environment":
		p.templates(file, v)
		play.Environment = v
	case "check_mode", "diff":
		if !p.templatedKeyword(file, k, v, &play.Templated) {
			b := p.boolPtr(file, v)
			if k.Value == "diff" {
				play.DiffMode = b
			} else {
				play.CheckMode = b
			}
		}
	case "ignore_unreachable":
		play.IgnoreUnreachable = p.boolean(file, v)
	case "become_method":
		play.BecomeMethod = p.becomeMethod(file, v)
	case "vars_prompt":
		play.VarsPrompt = p.varsPrompt(file, v)
	default:
		return false
	}
	return true
}

// serial reads a batch size or a list of them: numbers and percentages.
func (p *parser) serial(file string, v *yaml.Node) []SerialStep {
	nodes := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		nodes = v.Content
		if len(nodes) == 0 {
			p.errf(file, v, "serial: an empty list")
		}
	}
	var out []SerialStep
	for _, n := range nodes {
		s := strings.TrimSpace(n.Value)
		pct := strings.HasSuffix(s, "%")
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
		if n.Kind != yaml.ScalarNode || err != nil || f < 0 || (pct && f > 100) {
			p.errf(file, n, "serial: expected a number of hosts or a percentage, got %s", pos.Describe(n))
			continue
		}
		out = append(out, SerialStep{N: f, Percent: pct})
	}
	return out
}

func (p *parser) varsPrompt(file string, v *yaml.Node) []VarPrompt {
	if v.Kind != yaml.SequenceNode {
		p.errf(file, v, "vars_prompt must be a list, got %s", pos.Describe(v))
		return nil
	}
	var out []VarPrompt
	for _, n := range v.Content {
		if n.Kind != yaml.MappingNode {
			p.errf(file, n, "a vars_prompt entry is a mapping, got %s", pos.Describe(n))
			continue
		}
		p.duplicateKeys(file, n)
		vp := VarPrompt{Pos: pos.At(file, n), Private: true}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, x := n.Content[i], n.Content[i+1]
			switch k.Value {
			case "name":
				vp.Name = p.str(file, x)
			case "prompt":
				vp.Prompt = p.str(file, x)
			case "default":
				vp.HasDef = true
				if err := x.Decode(&vp.Default); err != nil {
					p.errf(file, x, "%v", err)
				}
			case "private":
				vp.Private = p.boolean(file, x)
			case "confirm", "encrypt", "salt_size", "salt", "unsafe":
			default:
				p.errf(file, k, "unknown vars_prompt key %q", k.Value)
			}
		}
		if vp.Name == "" {
			p.errf(file, n, "a vars_prompt entry has no name")
		}
		out = append(out, vp)
	}
	return out
}

// inheritPlay gives the play's tasks and handlers what the play says for
// them all: remote_user, environment, check_mode, diff, become_method,
// ignore_unreachable, inside blocks too.
func inheritPlay(play *Play) {
	from := TaskExt{RemoteUser: play.RemoteUser, CheckMode: play.CheckMode, DiffMode: play.DiffMode,
		IgnoreUnreachable: play.IgnoreUnreachable, BecomeMethod: play.BecomeMethod}
	if play.Environment != nil {
		from.Environment = []*yaml.Node{play.Environment}
	}
	var walk func([]*Task)
	walk = func(ts []*Task) {
		for _, t := range ts {
			mergeExt(&t.TaskExt, &from)
			inheritTemplated(t, play.Templated)
			walk(t.Block)
			walk(t.Rescue)
			walk(t.Always)
			if t.Include != nil {
				walk(t.Include.Subtasks())
			}
		}
	}
	walk(play.Tasks)
	walk(play.Handlers)
}
