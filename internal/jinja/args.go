package jinja

import (
	"fmt"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// args are a call's arguments bound to their names, as plain values.
type args struct {
	vals map[string]any
	rest []any // positional arguments past the named ones, when allowed
}

// has reports whether the argument was given.
func (a args) has(name string) bool { _, ok := a.vals[name]; return ok }

// get returns the argument or def when it was not given.
func (a args) get(name string, def any) any {
	if v, ok := a.vals[name]; ok {
		return v
	}
	return def
}

// str returns the argument as a string, or def.
func (a args) str(name, def string) string {
	if v, ok := a.vals[name]; ok && v != nil {
		return str(v)
	}
	return def
}

// bool returns the truth of the argument, or def.
func (a args) bool(name string, def bool) bool {
	if v, ok := a.vals[name]; ok {
		return truthy(v)
	}
	return def
}

// int returns the argument as an integer, or def.
func (a args) int(name string, def int) (int, error) {
	v, ok := a.vals[name]
	if !ok || v == nil {
		return def, nil
	}
	switch v := v.(type) {
	case int:
		return v, nil
	case float64:
		return int(v), nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case string:
		n, err := parseInt(v, 10)
		if err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("argument %s: %s is not an integer", name, repr(v))
}

// bind binds params to names: "x" is required, "x?" optional; a final
// "*" accepts more positional arguments and "**" any keyword.
func bind(params *exec.VarArgs, names ...string) (args, error) {
	a := args{vals: map[string]any{}}
	var fixed []string
	restOK, kwOK := false, false
	for _, n := range names {
		switch n {
		case "*":
			restOK = true
		case "**":
			kwOK = true
		default:
			fixed = append(fixed, n)
		}
	}
	for i, v := range params.Args {
		if i >= len(fixed) {
			if !restOK {
				return a, fmt.Errorf("takes at most %d positional arguments (%d given)", len(fixed), len(params.Args))
			}
			a.rest = append(a.rest, plain(v))
			continue
		}
		a.vals[strings.TrimSuffix(fixed[i], "?")] = plain(v)
	}
	for k, v := range params.KwArgs {
		known := false
		for _, n := range fixed {
			if strings.TrimSuffix(n, "?") == k {
				known = true
			}
		}
		if !known && !kwOK {
			return a, fmt.Errorf("got an unexpected keyword argument '%s'", k)
		}
		if _, dup := a.vals[k]; dup {
			return a, fmt.Errorf("got multiple values for argument '%s'", k)
		}
		a.vals[k] = plain(v)
	}
	for _, n := range fixed {
		if !strings.HasSuffix(n, "?") && !a.has(n) {
			return a, fmt.Errorf("missing required argument '%s'", n)
		}
	}
	return a, nil
}

// filter is a filter on plain values: the input and the bound arguments.
type filter struct {
	names []string // bind's argument names
	fn    func(in any, a args) (any, error)
}

// wrap makes a gonja filter of f: an undefined or failed input is passed
// on unchanged, arguments are bound, and errors name the filter.
func wrap(name string, f filter) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		a, err := bind(params, f.names...)
		if err != nil {
			return fail("%s: %v", name, err)
		}
		res, err := f.fn(plain(in), a)
		if err != nil {
			return fail("%s: %v", name, err)
		}
		return out(res)
	}
}
