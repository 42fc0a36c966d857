package lvs

import (
	"context"
	"fmt"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/module"
)

// ModuleHTTPCheck returns an HTTPCheck that runs the http_check module of
// reg on exec (the client host named name), or from the controller when exec
// is nil.
func ModuleHTTPCheck(reg *module.Registry, exec host.Executor, name string) HTTPCheck {
	return func(ctx context.Context, args map[string]any) (HTTPAnswers, error) {
		a := make(map[string]any, len(args)+1)
		for k, v := range args {
			a[k] = v
		}
		if exec == nil {
			a["from"] = "controller"
		}
		var node yaml.Node
		if err := node.Encode(a); err != nil {
			return HTTPAnswers{}, fmt.Errorf("http_check arguments: %w", err)
		}
		m, err := reg.New("http_check", &node)
		if err != nil {
			return HTTPAnswers{}, fmt.Errorf("http_check: %w", err)
		}
		res, err := m.Apply(ctx, exec, &module.Env{Host: name, Vars: map[string]any{}})
		if err != nil {
			return HTTPAnswers{}, fmt.Errorf("http_check on %s: %w", name, err)
		}
		return answersOf(res), nil
	}
}

// answersOf reads the data the http_check module registers.
func answersOf(res module.Result) HTTPAnswers {
	a := HTTPAnswers{Msg: res.Msg, Answers: map[string]int{}, CertSets: map[string]int{}}
	if m, ok := res.Data["answers"].(map[string]int); ok {
		a.Answers = m
	}
	if m, ok := res.Data["cert_sets"].(map[string]int); ok {
		a.CertSets = m
	}
	if f, ok := res.Data["failures"].([]string); ok {
		a.Failures = f
	}
	if n, ok := res.Data["requests"].(int); ok {
		a.Requests = n
	}
	if res.Failed && len(a.Failures) == 0 {
		a.Failures = []string{res.Msg}
	}
	return a
}
