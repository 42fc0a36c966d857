package module

import (
	"context"
	"fmt"

	"lvslab/internal/host"
)

// Assert evaluates each expression of that (env.Eval, the same language as
// when:) and fails with the first one that is not true, naming it (or with
// fail_msg). It never touches the host. An expression that cannot be
// evaluated (an undefined variable, say) is an error.
type Assert struct {
	That       StrList `yaml:"that"`
	FailMsg    string  `yaml:"fail_msg"`
	Msg        string  `yaml:"msg"` // alias of fail_msg
	SuccessMsg string  `yaml:"success_msg"`
	Quiet      bool    `yaml:"quiet"`
}

// Validate checks that there is something to assert.
func (a *Assert) Validate() error {
	if len(a.That) == 0 {
		return joinErrs("assert", []string{"that is required"})
	}
	if a.FailMsg == "" {
		a.FailMsg = a.Msg
	}
	return nil
}

// Apply evaluates the expressions.
func (a *Assert) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	if env.Eval == nil {
		return Result{}, fmt.Errorf("assert: no expression evaluator")
	}
	for _, expr := range a.That {
		v, err := env.Eval(expr)
		if err != nil {
			return Result{}, fmt.Errorf("assert %q: %w", expr, err)
		}
		if b, ok := v.(bool); !ok || !b {
			res := Result{Failed: true, Data: map[string]any{"assertion": expr, "evaluated_to": v}}
			switch {
			case a.FailMsg != "":
				res.Msg = a.FailMsg
			case ok:
				res.Msg = fmt.Sprintf("assertion failed: %s", expr)
			default:
				res.Msg = fmt.Sprintf("assertion failed: %s (is %v, a %T, not a bool)", expr, v, v)
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
