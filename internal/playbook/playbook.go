// Package playbook parses Ansible-shaped playbooks and task files strictly,
// reporting every problem with its file:line:col.
package playbook

import (
	"gopkg.in/yaml.v3"

	"lvslab/internal/pos"
)

// Playbook is one playbook file.
type Playbook struct {
	Path  string
	Plays []*Play
}

// Play is one play of a playbook.
type Play struct {
	pos.Pos
	Name              string
	Hosts             string
	Vars              map[string]any
	VarsFiles         []string // resolved paths
	Become            *bool
	BecomeUser        string
	GatherFacts       *bool
	AnyErrorsFatal    bool
	MaxFailPercentage *float64
	Tags              []string
	Tasks             []*Task
	Handlers          []*Task
	Dir               string // directory of the playbook file
	// PlayExt: serial, strategy, order, connection, prompts (keywords.go).
	PlayExt
	// Templated are the play's keywords given as templates (become), which
	// its tasks inherit (templated.go).
	Templated map[string]Templated
	// Roles are the play's roles: section, as loaded (role.go); their
	// tasks are in Tasks, between pre_tasks and tasks.
	Roles []*Role
}

// Expr is an expression with its place, for error messages.
type Expr struct {
	pos.Pos
	Src string
}

// Task is one task (or handler) after include_tasks has been spliced in.
type Task struct {
	pos.Pos
	Name         string
	Module       string
	Args         *yaml.Node // as written; rendered per host at run time
	Vars         map[string]any
	When         []Expr
	Loop         *yaml.Node
	LoopVar      string
	Register     string
	Notify       []string
	Listen       []string
	Tags         []string
	Become       *bool
	BecomeUser   string
	IgnoreErrors bool
	NoLog        bool
	RunOnce      bool
	Retries      int
	Delay        int
	Until        *Expr
	ChangedWhen  []Expr
	FailedWhen   []Expr
	Dir          string // directory of the file the task is written in
	// TaskExt: loops, delegation, connection, async (keywords.go).
	TaskExt
	// Block, Rescue and Always are the sections of a block (block.go); a
	// block has no module, its tasks carry what it says (when, vars ...).
	Block, Rescue, Always []*Task
	// Templated are the keywords given as templates, by keyword, rendered
	// when the task runs (templated.go).
	Templated map[string]Templated
	// Role is the role the task comes from, nil outside roles; Scope the
	// role variables it sees (role.go).
	Role  *Role
	Scope *Scope
}

// IsBlock reports whether t is a block.
func (t *Task) IsBlock() bool { return t.Block != nil }

// DisplayName is the task's name, or its module when unnamed (an unnamed
// include_role: "include_role : ROLE", as Ansible names it).
func (t *Task) DisplayName() string {
	if t.Name != "" {
		return t.Name
	}
	if t.Include != nil && t.Include.Kind == "include_role" {
		return "include_role : " + t.Include.Name
	}
	return t.Module
}

// HasTag reports whether the task should run under the --tags and --skip-tags
// selection, with Ansible's meaning of the special tags always and never.
func (t *Task) HasTag(only, skip []string) bool {
	has := func(tag string) bool {
		for _, x := range t.Tags {
			if x == tag {
				return true
			}
		}
		return false
	}
	for _, s := range skip {
		if has(s) || (s == "all" && !has("always")) {
			return false
		}
	}
	if len(only) == 0 {
		return !has("never")
	}
	for _, o := range only {
		switch {
		case o == "all" && !has("never"):
			return true
		case o == "tagged" && len(t.Tags) > 0 && !has("never"):
			return true
		case o == "untagged" && len(t.Tags) == 0:
			return true
		case has(o):
			return true
		}
	}
	return has("always")
}
