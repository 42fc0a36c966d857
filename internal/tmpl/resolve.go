package tmpl

import (
	"errors"
	"fmt"
	"sort"

	"lvslab/internal/vault"
)

// MaxDepth bounds how deep variables may refer to variables that refer to
// variables.
const MaxDepth = 64

// VarError is the value of a variable whose template failed to render. It
// stays in the variables in place of the value: a template that uses the
// variable fails with it (a *VarUseError); one that does not is unaffected,
// as in Ansible, where variables are templated when used.
type VarError struct {
	Name  string // the variable
	Owner string // whose variable: a host's name
	Err   error
}

func (e *VarError) Error() string {
	return fmt.Sprintf("variable %q of %s: %v", e.Name, e.Owner, e.Err)
}

// Unwrap returns why the variable did not render.
func (e *VarError) Unwrap() error { return e.Err }

// IsUndefined reports whether the variable did not render because it used
// an undefined one: `x is defined` is then false, as in Ansible.
func (e *VarError) IsUndefined() bool {
	var u *UndefinedError
	return errors.As(e.Err, &u)
}

// MarshalJSON shows a variable that did not render as Ansible's debug shows
// an undefined one.
func (e *VarError) MarshalJSON() ([]byte, error) {
	return []byte(`"VARIABLE IS NOT DEFINED!"`), nil
}

// VarUseError is a template that used a variable that did not render.
type VarUseError struct {
	Template string
	Var      *VarError
}

func (e *VarUseError) Error() string {
	if e.Template == "" {
		return e.Var.Error()
	}
	return e.Template + ": " + e.Var.Error()
}

// Unwrap returns the variable's error.
func (e *VarUseError) Unwrap() error { return e.Var }

// Resolve renders, in place, variables whose values are templates (rip:
// "{{ ansible_host }}"), each after the variables it uses, to MaxDepth, and
// decrypts its !vault values (a *vault.Value). A
// variable that does not render (undefined, refers to itself, too large)
// becomes a *VarError naming it and owner (its host): the error surfaces
// only where the variable is used.
func Resolve(owner string, vars map[string]any) error {
	// !vault values are decrypted first; one that does not decrypt fails
	// only where it is used.
	vault.Reveal(vars, func(k string, err error) any { return &VarError{Name: k, Owner: owner, Err: err} })
	r := &resolver{owner: owner, vars: vars, pending: map[string]any{}, state: map[string]int{}}
	for k, v := range vars {
		if hasTemplate(v) {
			r.pending[k] = v
			delete(vars, k)
		}
	}
	keys := make([]string, 0, len(r.pending))
	for k := range r.pending {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.resolve(k, 0)
	}
	return nil
}

type resolver struct {
	owner   string
	vars    map[string]any
	pending map[string]any // templated values not yet rendered
	state   map[string]int // 1 rendering, 2 done
}

func (r *resolver) resolve(k string, depth int) {
	if r.state[k] == 2 {
		return
	}
	fail := func(err error) {
		r.vars[k] = &VarError{Name: k, Owner: r.owner, Err: err}
		r.state[k] = 2
	}
	if depth > MaxDepth {
		fail(fmt.Errorf("variables refer to variables more than %d deep", MaxDepth))
		return
	}
	r.state[k] = 1
	for range len(r.pending) + 1 {
		v, err := RenderValue("", r.pending[k], r.vars)
		var u *UndefinedError
		if errors.As(err, &u) {
			dep := u.Root()
			if _, ok := r.pending[dep]; ok {
				switch r.state[dep] {
				case 0:
					r.resolve(dep, depth+1)
					continue
				case 1:
					fail(fmt.Errorf("refers to itself (through %q)", dep))
					return
				}
			}
		}
		if err != nil {
			fail(err)
			return
		}
		if n := size(v); n > MaxOutput {
			fail(fmt.Errorf("its value is larger than %d MiB", MaxOutput>>20))
			return
		}
		r.vars[k] = v
		r.state[k] = 2
		return
	}
	fail(fmt.Errorf("does not resolve"))
}

// hasTemplate reports whether a decoded value holds a template string.
func hasTemplate(v any) bool {
	switch x := v.(type) {
	case string:
		return Has(x)
	case []any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	}
	return false
}

// size approximates the bytes a decoded value holds.
func size(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []any:
		n := 0
		for _, e := range x {
			n += size(e) + 1
		}
		return n
	case map[string]any:
		n := 0
		for k, e := range x {
			n += len(k) + size(e) + 1
		}
		return n
	}
	return 8
}
