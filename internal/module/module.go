package module

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
)

// Module converges one host, or in check mode says what it would change.
// Apply never prints; what it has to say goes into Result.
// Apply returns an error when the module could not do its work (the task
// fails; errors.Is(err, host.ErrUnreachable) marks the host unreachable).
// A module whose outcome is a failure but which still has data to register
// (a command that exited non-zero) returns Result.Failed instead.
type Module interface {
	Apply(ctx context.Context, h host.Executor, env *Env) (Result, error)
}

// Validator is implemented by modules whose decoded arguments need checks
// beyond their types. Validate reports every problem at once and changes
// nothing: Apply works the defaults out again itself, so that a module
// built as a Go value works without Validate (and fails Apply with the
// same errors).
type Validator interface {
	Validate() error
}

// Linter is implemented by modules that read files on the controller (copy
// and template src): Lint checks, before any connection, that the file is
// there and, for a template, that it parses (with parse). baseDir is the
// directory of the task's file, as Env.BaseDir.
type Linter interface {
	Lint(baseDir string, parse func(name, text string) error) error
}

// Env is what a module knows about the task and the host besides its arguments.
type Env struct {
	Check   bool           // change nothing, report what would change
	Diff    bool           // fill Result.Diff for files
	Host    string         // inventory name
	Facts   map[string]any // gathered facts (may be empty when gather_facts is false)
	Vars    map[string]any // every variable of the host, for templates
	BaseDir string         // directory of the playbook, for relative src paths
	// Render renders text (a Go template named name) with the host's variables.
	Render func(name, text string) (string, error)
	// Eval evaluates an expression over the host's variables.
	Eval func(expr string) (any, error)
	// Cond evaluates a condition (assert's that) as when does: Jinja2's
	// truth, and a bare variable's string read as the condition.
	Cond func(expr string) (bool, error)
}

// FileDiff is the before and after of one file, for --diff.
type FileDiff struct {
	Path   string
	Before string
	After  string
}

// Result is what a module reports.
type Result struct {
	Changed bool
	Failed  bool
	// Skipped says the module did nothing on purpose (a command in check mode,
	// creates/removes already satisfied).
	Skipped bool
	Msg     string
	Diff    []FileDiff
	// Data holds the values a task registers besides changed, failed and msg
	// (stdout, stderr, rc, ...).
	Data map[string]any
	// Facts are variables set on the host for later tasks (set_fact).
	Facts map[string]any
	// NoLog asks the reporter to hide everything but the status (set by the runner).
	NoLog bool
}

// Registered returns the value a task's register: stores.
func (r Result) Registered() map[string]any {
	m := make(map[string]any, len(r.Data)+3)
	for k, v := range r.Data {
		m[k] = v
	}
	m["changed"] = r.Changed
	m["failed"] = r.Failed
	m["skipped"] = r.Skipped
	m["msg"] = r.Msg
	for _, k := range []string{"rc", "stdout", "stderr"} {
		if _, ok := m[k]; !ok {
			if k == "rc" {
				m[k] = 0
			} else {
				m[k] = ""
			}
		}
	}
	return m
}

// Factory returns a new, zero module, ready to be decoded into.
type Factory func() Module

// Registry maps module names to factories. Modules are registered explicitly
// from cmd, not in init.
type Registry struct {
	factories map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{factories: map[string]Factory{}} }

// Register adds a module under name; registering a name twice panics.
func (r *Registry) Register(name string, f Factory) {
	if _, dup := r.factories[name]; dup {
		panic("module registered twice: " + name)
	}
	r.factories[name] = f
}

// Has reports whether name is a registered module.
func (r *Registry) Has(name string) bool { _, ok := r.factories[name]; return ok }

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.factories))
	for n := range r.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New decodes args (a rendered YAML node, or nil) into a new module named
// name and validates it. Unknown keys are errors naming line and column.
func (r *Registry) New(name string, args *yaml.Node) (Module, error) {
	f, ok := r.factories[name]
	if !ok {
		return nil, fmt.Errorf("unknown module %q", name)
	}
	m := f()
	if args != nil && !(args.Kind == yaml.ScalarNode && args.Tag == "!!null") {
		if err := Decode(args, m); err != nil {
			return nil, err
		}
	}
	if v, ok := m.(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// CheckKeys reports argument keys that module name does not know, with their
// line and column, without rendering or decoding the values.
func (r *Registry) CheckKeys(name string, args *yaml.Node) error {
	f, ok := r.factories[name]
	if !ok {
		return fmt.Errorf("unknown module %q", name)
	}
	return checkKnown(args, reflect.TypeOf(f()))
}

// Default registers every module of this package.
func Default() *Registry {
	r := NewRegistry()
	for name, f := range builtins() {
		r.Register(name, f)
	}
	return r
}
