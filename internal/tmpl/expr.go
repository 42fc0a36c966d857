package tmpl

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nikolalohinski/gonja/v2/nodes"

	"lvslab/internal/jinja"
)

// A condition (when, changed_when, failed_when, until, assert's that) is a
// Jinja2 expression without braces, as in Ansible; "{{ x }}" around it is
// read as x.
var braced = regexp.MustCompile(`^\s*\{\{(.*)\}\}\s*$`)

func exprTemplate(src string) string {
	if m := braced.FindStringSubmatch(src); m != nil && !strings.Contains(m[1], "{{") {
		src = m[1]
	}
	return "{{ " + src + " }}"
}

// oldExpr explains a condition in lvslab's former expr-lang form.
var (
	oldExpr  = regexp.MustCompile(`&&|\|\||\$env|(^|[^=!<>])!\s*[A-Za-z(]| contains `)
	literals = regexp.MustCompile(`'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"`)
)

// compileExpr compiles a condition; its error does not repeat src.
func compileExpr(src string) (*compiled, error) {
	if m := oldExpr.FindString(literals.ReplaceAllString(src, "''")); m != "" {
		return nil, fmt.Errorf("%q is not Jinja2: conditions are Jinja2 expressions, as in Ansible (and, or, not, 'x' in y, x is defined)", strings.TrimSpace(m))
	}
	c, err := compile("", exprTemplate(src))
	if err != nil {
		return nil, err
	}
	if c.single == nil {
		return nil, errors.New("not one expression")
	}
	return c, nil
}

// CompileExpr checks a condition's syntax; the error does not name the
// condition (its caller does).
func CompileExpr(src string) error {
	_, err := compileExpr(src)
	return err
}

// Eval evaluates the expression src over vars ("{{ x }}" around it is read
// as x).
func Eval(name, src string, vars map[string]any) (any, error) {
	c, err := compileExpr(src)
	if err != nil {
		return nil, prefix(name, fmt.Errorf("expression %q: %w", src, err))
	}
	v, err := c.eval(vars)
	if err != nil {
		return nil, explain(name, err)
	}
	return v, nil
}

var bareName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func prefix(name string, err error) error {
	if name == "" {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

// EvalBool evaluates the condition src (when, changed_when, failed_when,
// until, assert's that) and returns its truth as Jinja2's {% if %} reads
// it. A bare variable whose value is a string is that string read as the
// condition, as Ansible does (when: flag with flag: "false").
func EvalBool(name, src string, vars map[string]any) (bool, error) {
	if s, ok := vars[strings.TrimSpace(src)].(string); ok && bareName.MatchString(strings.TrimSpace(src)) && s != src {
		if _, err := compileExpr(s); err == nil {
			src = s
		}
	}
	v, err := Eval(name, src, vars)
	if err != nil {
		return false, err
	}
	return Truth(v), nil
}

// Truth is Jinja2's (Python's) truth of a value.
func Truth(v any) bool { return jinja.Truth(v) }

// Names returns the variables a condition reads, except those it only tests
// for being defined or gives a default (`x is defined`, `x | default(1)`).
func Names(src string) ([]string, error) {
	c, err := compileExpr(src)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range []nodes.Expression{c.single.Expression, c.single.Condition, c.single.Alternative} {
		if e == nil {
			continue
		}
		walkNames(e, func(n string) {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		})
	}
	return out, nil
}

// walkNames calls fn with the free variables of an expression.
func walkNames(e nodes.Node, fn func(string)) {
	switch n := e.(type) {
	case nil:
	case *nodes.Name:
		switch n.Name.Val {
		case "true", "false", "none", "True", "False", "None":
		default:
			if !strings.HasPrefix(n.Name.Val, "__lvslab") { // lvslab's own globals
				fn(n.Name.Val)
			}
		}
	case *nodes.GetAttribute:
		walkNames(n.Node, fn)
	case *nodes.GetItem:
		walkNames(n.Node, fn)
		walkNames(n.Arg, fn)
	case *nodes.GetSlice:
		for _, c := range []nodes.Node{n.Node, n.Start, n.End, n.Step} {
			walkNames(c, fn)
		}
	case *nodes.Call:
		walkNames(n.Func, fn)
		for _, a := range n.Args {
			walkNames(a, fn)
		}
		for _, a := range n.Kwargs {
			walkNames(a, fn)
		}
	case *nodes.FilteredExpression:
		for _, f := range n.Filters {
			if f.Name == "default" || f.Name == "d" {
				return // a default covers what it filters
			}
		}
		walkNames(n.Expression, fn)
		for _, f := range n.Filters {
			for _, a := range f.Args {
				walkNames(a, fn)
			}
			for _, a := range f.Kwargs {
				walkNames(a, fn)
			}
		}
	case *nodes.TestExpression:
		switch n.Test.Name {
		case "defined", "undefined":
			return
		}
		walkNames(n.Expression, fn)
		for _, a := range n.Test.Args {
			walkNames(a, fn)
		}
		for _, a := range n.Test.Kwargs {
			walkNames(a, fn)
		}
	case *nodes.Negation:
		walkNames(n.Term, fn)
	case *nodes.UnaryExpression:
		walkNames(n.Term, fn)
	case *nodes.BinaryExpression:
		walkNames(n.Left, fn)
		walkNames(n.Right, fn)
	case *nodes.List:
		for _, c := range n.Val {
			walkNames(c, fn)
		}
	case *nodes.Tuple:
		for _, c := range n.Val {
			walkNames(c, fn)
		}
	case *nodes.Dict:
		for _, p := range n.Pairs {
			walkNames(p.Key, fn)
			walkNames(p.Value, fn)
		}
	case *nodes.Pair:
		walkNames(n.Key, fn)
		walkNames(n.Value, fn)
	}
}
