// Package jinja is Ansible's layer over the gonja Jinja2 engine: Ansible's
// filters, tests and lookups, and the fixes to gonja that Ansible's
// semantics need (undefined is not None, `default` applies to undefined
// only, `version` takes its operator as Ansible passes it).
package jinja

import (
	"errors"
	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// Filters returns gonja's filters with Ansible's added or replacing them.
func Filters() *exec.FilterSet {
	fs := exec.NewFilterSet(map[string]exec.FilterFunction{})
	fs.Update(builtins.Filters)
	for _, group := range []map[string]exec.FilterFunction{
		coreFilters(), jsonFilters(), yamlFilters(), dataFilters(), seqFilters(), textFilters(), ipFilters(),
	} {
		fs.Update(exec.NewFilterSet(group))
	}
	fs.Update(exec.NewFilterSet(map[string]exec.FilterFunction{
		"password_hash": wrap("password_hash", filter{[]string{"hashtype?", "salt?", "salt_size?", "rounds?", "ident?"}, passwordHash}),
	}))
	return fs
}

// Tests returns gonja's tests with Ansible's added or replacing them.
// Every test accepts the packed arguments RewriteTests makes.
func Tests() *exec.TestSet {
	all := map[string]exec.TestFunction{}
	gonja := exec.NewTestSet(map[string]exec.TestFunction{}).Update(builtins.Tests)
	for _, name := range builtinTestNames {
		if fn, ok := gonja.Get(name); ok {
			all[name] = adapt(fn)
		}
	}
	for name, fn := range ansibleTests() {
		all[name] = fn
	}
	for name := range typeTests {
		all[name] = undefinedIsFalse(all[name].(testFunc))
	}
	return exec.NewTestSet(all)
}

// builtinTestNames are gonja's tests (builtins/tests.go) kept, adapted.
var builtinTestNames = []string{
	"boolean", "callable", "divisibleby", "eq", "equalto", "==", "escaped", "even",
	"filter", "float", "integer", "iterable", "lower", "mapping", "ne", "!=", "odd",
	"sameas", "string", "test", "upper",
}

// Globals returns the global functions (range, lookup, query …) and
// variables, gonja's and Ansible's.
func Globals() *exec.Context {
	ctx := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	ctx.Set("lookup", lookupCall(false))
	ctx.Set("query", lookupCall(true))
	ctx.Set("q", lookupCall(true))
	ctx.Set(packArgsName, packArgs)
	return ctx
}

// IsUndefined reports whether v is the value of an undefined variable,
// attribute or item (gonja's strict-undefined error), as opposed to None or
// another error.
func IsUndefined(v *exec.Value) bool {
	msg, ok := valueError(v)
	if !ok {
		return false
	}
	// A variable whose own template used an undefined one (tmpl.VarError).
	var u interface{ IsUndefined() bool }
	if err, _ := v.Interface().(error); errors.As(err, &u) && u.IsUndefined() {
		return true
	}
	_, undef := undefinedName(msg)
	return undef
}
