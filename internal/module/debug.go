package module

import (
	"context"
	"encoding/json"
	"fmt"

	"lvslab/internal/host"
)

// Debug reports a message (msg, any value; the default is "Hello world!")
// or the value of an expression (var, evaluated with env.Eval) as the task's
// message. It is never changed and never touches the host.
type Debug struct {
	Msg any    `yaml:"msg"`
	Var string `yaml:"var"`
}

// debugWant is what a debug task reports (its arguments need no defaults).
type debugWant struct{ Debug }

// want checks that msg and var are not both given.
func (m *Debug) want() (debugWant, error) {
	var p problems
	if m.Msg != nil && m.Var != "" {
		p.add("give msg or var, not both")
	}
	return debugWant{*m}, p.err()
}

// Validate reports every problem of the arguments.
func (m *Debug) Validate() error { _, err := m.want(); return err }

// Apply reports.
func (m *Debug) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	d, err := m.want()
	if err != nil {
		return Result{}, err
	}
	if d.Var == "" {
		if d.Msg == nil {
			return Result{Msg: "Hello world!"}, nil
		}
		return Result{Msg: debugShow(d.Msg)}, nil
	}
	if env.Eval == nil {
		return Result{}, fmt.Errorf("debug: no expression evaluator")
	}
	v, err := env.Eval(d.Var)
	if err != nil {
		return Result{}, fmt.Errorf("debug var %q: %w", d.Var, err)
	}
	return Result{Msg: d.Var + ": " + debugShow(v), Data: map[string]any{"value": v}}, nil
}

// debugShow prints a value: strings as they are, anything else as JSON.
func debugShow(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
