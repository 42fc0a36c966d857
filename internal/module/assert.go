package module

import (
	"context"
	"fmt"

	"lvslab/internal/host"
	"lvslab/internal/tmpl"
)

// Assert evaluates each expression of that (env.Eval, the same language as
// when:) and fails with the first one that is not true (Jinja2's truth), naming it (or with
// fail_msg). It never touches the host. An expression that cannot be
// evaluated (an undefined variable, say) is an error.
type Assert struct {
	That       StrList `yaml:"that"`
	FailMsg    string  `yaml:"fail_msg"`
	Msg        string  `yaml:"msg"` // alias of fail_msg
	SuccessMsg string  `yaml:"success_msg"`
	Quiet      bool    `yaml:"quiet"`
}

// assertWant is what an assert task checks: its arguments with msg read
// as fail_msg.
type assertWant struct{ Assert }

// want checks that there is something to assert.
func (m *Assert) want() (assertWant, error) {
	var p problems
	if len(m.That) == 0 {
		p.add("that is required")
	}
	w := assertWant{*m}
	w.FailMsg = orDefault(m.FailMsg, m.Msg)
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Assert) Validate() error { _, err := m.want(); return err }

// Apply evaluates the expressions.
func (m *Assert) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	a, err := m.want()
	if err != nil {
		return Result{}, err
	}
	if env.Eval == nil && env.Cond == nil {
		return Result{}, fmt.Errorf("assert: no expression evaluator")
	}
	for _, expr := range a.That {
		ok, err := env.cond(expr)
		if err != nil {
			return Result{}, fmt.Errorf("assert %q: %w", expr, err)
		}
		if !ok {
			res := Result{Failed: true, Data: map[string]any{"assertion": expr, "evaluated_to": false}}
			res.Msg = fmt.Sprintf("assertion failed: %s", expr)
			if a.FailMsg != "" {
				res.Msg = a.FailMsg
			}
			return res, nil
		}
	}
	res := Result{Msg: "all assertions passed"}
	if a.SuccessMsg != "" {
		res.Msg = a.SuccessMsg
	}
	if a.Quiet {
		res.Msg = ""
	}
	return res, nil
}

// cond evaluates a condition with env.Cond, or with env.Eval and Jinja2's
// truth where the environment has no Cond.
func (env *Env) cond(expr string) (bool, error) {
	if env.Cond != nil {
		return env.Cond(expr)
	}
	v, err := env.Eval(expr)
	return tmpl.Truth(v), err
}
