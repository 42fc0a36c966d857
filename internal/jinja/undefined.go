package jinja

import (
	"regexp"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// undefinedRE matches the end of gonja's strict-undefined errors
// (exec/evaluator.go: evalName, evalGetAttribute, evalGetItem) and of
// Value.GetAttribute/GetItem on None, which Jinja2 also makes undefined.
// gonja wraps an error as "outer: inner", so the innermost cause is last.
var undefinedRE = regexp.MustCompile(`(?:^|: )(?:Unable to evaluate name "([^"]*)"|(?:U|u)nable to evaluate .*: (?:attribute|item) (.+?) not found|Can't use (?:getattr|Getitem) on None)$`)

// undefinedName returns the name that is undefined when msg is a
// strict-undefined error, and whether it is one.
func undefinedName(msg string) (string, bool) {
	m := undefinedRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	name := m[1] + m[2]
	return strings.Trim(name, `'"`), true
}

// valueError returns the message of an error value, or false.
func valueError(v *exec.Value) (string, bool) {
	if v == nil || !v.IsError() {
		return "", false
	}
	err, _ := v.Interface().(error)
	return err.Error(), true
}

// undefinedValue returns the undefined value of name, as gonja makes it.
func undefinedValue(name string) *exec.Value {
	return fail(`Unable to evaluate name "%s"`, name)
}
