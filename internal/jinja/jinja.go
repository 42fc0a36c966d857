// Package jinja is Ansible's layer over the gonja Jinja2 engine: Ansible's
// filters, tests and lookups, and the fixes to gonja that Ansible's
// semantics need (undefined is not None, `default` applies to undefined
// only, `version` takes its operator as Ansible passes it).
package jinja

import (
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/pkg/errors"
)

// Filters returns gonja's filters with Ansible's added or replacing them.
func Filters() *exec.FilterSet {
	fs := exec.NewFilterSet(map[string]exec.FilterFunction{})
	fs.Update(builtins.Filters)
	return fs
}

// Tests returns gonja's tests with Ansible's added or replacing them.
func Tests() *exec.TestSet {
	ts := exec.NewTestSet(map[string]exec.TestFunction{})
	ts.Update(builtins.Tests)
	return ts
}

// Globals returns the global functions (range, lookup, query …) and
// variables, gonja's and Ansible's.
func Globals() *exec.Context {
	return exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
}

// IsUndefined reports whether v is the value of an undefined variable,
// attribute or item (gonja's strict-undefined error), as opposed to None or
// another error.
func IsUndefined(v *exec.Value) bool {
	if v == nil || !v.IsError() {
		return false
	}
	err, _ := v.Interface().(error)
	msg := errors.Cause(err).Error()
	return strings.HasPrefix(msg, "Unable to evaluate name ") ||
		strings.Contains(msg, "' not found") && (strings.Contains(msg, ": attribute '") || strings.Contains(msg, ": item '"))
}
