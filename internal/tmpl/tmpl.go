// Package tmpl renders Go text/template strings (with sprig's functions and
// missingkey=error) and evaluates expr-lang expressions, both over one host's
// variables.
package tmpl

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"

	"lvslab/internal/pos"
)

// UndefinedError reports a variable a template or expression used but the
// host does not have.
type UndefinedError struct {
	Name string // the variable
	// Template is the template's or expression's name; "" where a
	// *pos.Error around this one gives the place (ValueAt, RenderNode).
	Template string
	Err      error
}

func (e *UndefinedError) Error() string {
	if e.Template == "" {
		return fmt.Sprintf("undefined variable %q", e.Name)
	}
	return fmt.Sprintf("%s: undefined variable %q", e.Template, e.Name)
}

// Unwrap returns the underlying error.
func (e *UndefinedError) Unwrap() error { return e.Err }

var funcs = func() template.FuncMap {
	m := sprig.TxtFuncMap()
	m["toYaml"] = toYAML
	m["shquote"] = shquote
	return m
}()

// shquote quotes a value as one word for a POSIX shell: `shell: "mysql
// -p{{ .pw | shquote }}"` is safe whatever the password holds.
func shquote(v any) string {
	return "'" + strings.ReplaceAll(fmt.Sprint(v), "'", `'"'"'`) + "'"
}

// cache holds parsed templates by their text; parsing dominates the cost of
// rendering the short strings of task arguments.
var cache sync.Map // text -> *template.Template

// Has reports whether s contains template markup.
func Has(s string) bool { return strings.Contains(s, "{{") }

// Parse parses text as a template named name and reports syntax errors.
func Parse(name, text string) error {
	_, err := parse(name, text)
	return err
}

func parse(name, text string) (*template.Template, error) {
	if t, ok := cache.Load(text); ok {
		return t.(*template.Template), nil
	}
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, cleanErr(err))
	}
	cache.Store(text, t)
	return t, nil
}

var missingKey = regexp.MustCompile(`at <\$?[A-Za-z0-9_]*(\.[^>]*)>: map has no entry for key "([^"]*)"`)

// Render executes text as a template over vars. An undefined variable is an
// *UndefinedError naming the variable and name.
func Render(name, text string, vars map[string]any) (string, error) {
	if !Has(text) {
		return text, nil
	}
	t, err := parse(name, text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, vars); err != nil {
		if t.Name() != name {
			// The cache holds the text under the name it was first parsed
			// with; the message must name this one.
			if own, perr := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text); perr == nil {
				if oerr := own.Execute(io.Discard, vars); oerr != nil {
					err = oerr
				}
			}
		}
		if m := missingKey.FindStringSubmatch(err.Error()); m != nil {
			return "", &UndefinedError{Name: strings.TrimPrefix(m[1], "."), Template: name, Err: err}
		}
		return "", fmt.Errorf("template %s: %w", name, cleanErr(err))
	}
	return b.String(), nil
}

var single = regexp.MustCompile(`^\{\{-?\s*(.*?)\s*-?\}\}$`)

// Value renders text; when text is exactly one action (`{{ .sites }}`) the
// action's value is returned with its type (a list stays a list, a number a
// number) instead of its string form.
func Value(name, text string, vars map[string]any) (any, error) {
	s := strings.TrimSpace(text)
	m := single.FindStringSubmatch(s)
	if m == nil || strings.Contains(m[1], "{{") || strings.Contains(m[1], "}}") || strings.HasPrefix(m[1], "/*") {
		return Render(name, text, vars)
	}
	out, err := Render(name, "{{ toJson ("+m[1]+") }}", vars)
	if err != nil {
		var u *UndefinedError
		if asUndefined(err, &u) {
			u.Template = name
			return nil, u
		}
		// Fall back to the plain rendering for the real message.
		return Render(name, text, vars)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return Render(name, text, vars)
	}
	if s != text {
		// Whitespace around the action ("{{ .x }}\n") is part of a string:
		// only a list or a mapping drops it.
		switch v.(type) {
		case []any, map[string]any:
		default:
			return Render(name, text, vars)
		}
	}
	return normalizeJSON(v), nil
}

// ValueAt is Value for text at a place in a file, named by that place. An
// undefined variable is a *pos.Error at at around the *UndefinedError.
func ValueAt(at pos.Pos, text string, vars map[string]any) (any, error) {
	v, err := Value(at.String(), text, vars)
	var u *UndefinedError
	if asUndefined(err, &u) {
		u.Template = ""
		return nil, &pos.Error{Pos: at, Err: u}
	}
	return v, err
}

// normalizeJSON turns JSON numbers that are integers into int.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) && x < 1<<53 && x > -(1<<53) {
			return int(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = normalizeJSON(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalizeJSON(x[k])
		}
		return x
	}
	return v
}

func asUndefined(err error, target **UndefinedError) bool {
	u, ok := err.(*UndefinedError)
	if ok {
		*target = u
	}
	return ok
}

// cleanErr is err without text/template's "template: " prefix before its
// message; it still unwraps to err (a template.ExecError, say).
func cleanErr(err error) error {
	return &cleanedErr{msg: strings.TrimPrefix(err.Error(), "template: "), err: err}
}

type cleanedErr struct {
	msg string
	err error
}

func (e *cleanedErr) Error() string { return e.msg }
func (e *cleanedErr) Unwrap() error { return e.err }
