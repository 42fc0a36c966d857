package module

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
		return Result{Msg: debugShow(Censored(d.Msg))}, nil
	}
	if env.Eval == nil {
		return Result{}, fmt.Errorf("debug: no expression evaluator")
	}
	v, err := env.Eval(d.Var)
	if err != nil {
		return Result{}, fmt.Errorf("debug var %q: %w", d.Var, err)
	}
	v = Censored(v)
	return Result{Msg: d.Var + ": " + debugShow(v), Data: map[string]any{"value": v}}, nil
}

// NoLogKey marks the registered result of a no_log task (the runner sets
// it, with Ansible's name for the flag): printed, the result is its
// censored form (Censored); its fields stay what they are, for conditions
// and templates (when: r.rc == 0).
const NoLogKey = "_ansible_no_log"

// NoLogMsg is what Ansible prints instead of a no_log task's result.
const NoLogMsg = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

// Censored returns v with every registered result of a no_log task in it
// (a map with NoLogKey true, at any depth of maps and lists) replaced by
// the censored form Ansible prints for such a task's own result:
// {"censored": NoLogMsg} with its changed, attempts and retries. Ansible
// 2.14 censors only the task's own output and prints a registered no_log
// result in full when debug shows it (debug: var=r); lvslab censors it
// wherever it is printed. v is not changed: what changes is copied.
func Censored(v any) any {
	c, _ := censor(v)
	return c
}

// censor is Censored, and whether anything was censored. A string that
// holds NoLogKey is such a result rendered into text ("x {{ r }}" gives
// "x {'_ansible_no_log': True, 'stdout': ...}"): it is censored whole.
func censor(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if strings.Contains(x, NoLogKey) {
			return NoLogMsg, true
		}
	case map[string]any:
		if hidden, _ := x[NoLogKey].(bool); hidden {
			out := map[string]any{"censored": NoLogMsg}
			for _, k := range []string{"attempts", "changed", "retries"} {
				if e, ok := x[k]; ok {
					out[k] = e
				}
			}
			return out, true
		}
		var out map[string]any
		for k, e := range x {
			if c, ok := censor(e); ok {
				if out == nil {
					out = make(map[string]any, len(x))
					for k2, e2 := range x {
						out[k2] = e2
					}
				}
				out[k] = c
			}
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, e := range x {
			if c, ok := censor(e); ok {
				if out == nil {
					out = append([]any(nil), x...)
				}
				out[i] = c
			}
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
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
