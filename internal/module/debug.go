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

// Validate checks that msg and var are not both given.
func (d *Debug) Validate() error {
	if d.Msg != nil && d.Var != "" {
		return joinErrs("debug", []string{"give msg or var, not both"})
	}
	return nil
}

// Apply reports.
func (d *Debug) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
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
