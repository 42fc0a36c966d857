package jinja

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// testFunc is the shape of every test this package registers.
type testFunc = func(*exec.Evaluator, *exec.Value, *exec.VarArgs) (bool, error)

// argPack is a test's arguments as RewriteTests passes them: gonja's
// parser gives a test one argument, so `is t(a, k=v)` is rewritten to
// `is t __lvslab_args__(a, k=v)`, a call that packs them.
type argPack struct{ params *exec.VarArgs }

// packArgsName is the global function RewriteTests calls.
const packArgsName = "__lvslab_args__"

func packArgs(_ *exec.Evaluator, params *exec.VarArgs) *exec.Value {
	return exec.AsValue(&argPack{params})
}

// unpack returns a test's real arguments: an argPack's, or (for tests
// that take several, such as version) a tuple's items, since gonja parses
// `is version('1.0', '<')` as one tuple argument.
func unpack(params *exec.VarArgs, multi bool) *exec.VarArgs {
	if len(params.Args) != 1 {
		return params
	}
	if p, ok := params.Args[0].Interface().(*argPack); ok {
		return p.params
	}
	if multi && params.Args[0].IsList() && len(params.KwArgs) == 0 {
		if _, isValues := params.Args[0].Interface().(exec.ValuesList); isValues {
			n := params.Args[0].Len()
			if n >= 2 && n <= 4 {
				items := []*exec.Value{}
				for i := 0; i < n; i++ {
					items = append(items, params.Args[0].Index(i))
				}
				return &exec.VarArgs{Args: items, KwArgs: map[string]*exec.Value{}}
			}
		}
	}
	return params
}

// plainTest is a test on plain values with bound arguments; an error in
// its input (undefined or failed) is the test's error.
func plainTest(names []string, multi bool, fn func(in any, a args) (bool, error)) testFunc {
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) (bool, error) {
		if msg, isErr := valueError(in); isErr {
			return false, fmt.Errorf("%s", msg)
		}
		a, err := bind(unpack(params, multi), names...)
		if err != nil {
			return false, err
		}
		return fn(plain(in), a)
	}
}

// typeTests are the tests that are false on an undefined value in
// Ansible (they test its type); others fail on it.
var typeTests = map[string]bool{
	"none": true, "string": true, "number": true, "mapping": true, "boolean": true,
	"integer": true, "float": true, "callable": true, "true": true, "false": true,
}

// undefinedIsFalse makes test false on an undefined value.
func undefinedIsFalse(test testFunc) testFunc {
	return func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) (bool, error) {
		if IsUndefined(in) {
			return false, nil
		}
		return test(e, in, params)
	}
}

// adapt makes one of gonja's tests take packed arguments and fail on an
// undefined input.
func adapt(fn exec.TestFunction) testFunc {
	return func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) (bool, error) {
		if msg, isErr := valueError(in); isErr {
			return false, fmt.Errorf("%s", msg)
		}
		params = unpack(params, false)
		switch f := fn.(type) {
		case func(*exec.Context, *exec.Value, *exec.VarArgs) (bool, error):
			return f(e.Environment.Context, in, params)
		case func(*exec.Evaluator, *exec.Value, *exec.VarArgs) (bool, error):
			return f(e, in, params)
		}
		return false, fmt.Errorf("unsupported test function %T", fn)
	}
}

// definedTest is defined (or undefined): only an undefined value is
// undefined, None is defined; another error is the test's error.
func definedTest(want bool) testFunc {
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) (bool, error) {
		if IsUndefined(in) {
			return !want, nil
		}
		if msg, isErr := valueError(in); isErr {
			return false, fmt.Errorf("%s", msg)
		}
		return want, nil
	}
}

// resultTest is one of Ansible's tests on a registered result.
func resultTest(name, key string, negate bool) testFunc {
	return plainTest(nil, false, func(in any, _ args) (bool, error) {
		d, ok := in.(*exec.Dict)
		if !ok {
			return false, fmt.Errorf("The '%s' test expects a dictionary", name)
		}
		v, found := dictGet(d, key)
		if key == "changed" && !found {
			results, _ := dictGet(d, "results")
			if list, ok := results.([]any); ok && len(list) > 0 {
				if _, ok := list[0].(*exec.Dict); ok {
					for _, r := range list {
						if rd, ok := r.(*exec.Dict); ok {
							if c, _ := dictGet(rd, "changed"); truthy(c) {
								v = true
							}
						}
					}
				}
			}
		}
		return truthy(v) != negate, nil
	})
}

// fileTest is one of Ansible's tests on the controller's filesystem.
func fileTest(check func(path string) bool) testFunc {
	return plainTest(nil, false, func(in any, _ args) (bool, error) {
		return check(str(in)), nil
	})
}

func statIs(follow bool, mode func(os.FileMode) bool) func(string) bool {
	return func(p string) bool {
		stat := os.Stat
		if !follow {
			stat = os.Lstat
		}
		fi, err := stat(p)
		return err == nil && mode(fi.Mode())
	}
}

// regexTest is Ansible's regex test: search, or match at the start.
func regexTest(matchType string) testFunc {
	return plainTest([]string{"pattern?", "ignorecase?", "multiline?", "match_type?"}, true, func(in any, a args) (bool, error) {
		s, ok := in.(string)
		if !ok {
			s = textOf(in)
		}
		re, err := pyRegexp(a.str("pattern", ""), a.bool("ignorecase", false), a.bool("multiline", false))
		if err != nil {
			return false, err
		}
		switch a.str("match_type", matchType) {
		case "match":
			loc := re.FindStringIndex(s)
			if loc != nil && loc[0] == 0 {
				return true, nil
			}
			anchored, err := pyRegexp(`\A(?:`+a.str("pattern", "")+`)`, a.bool("ignorecase", false), a.bool("multiline", false))
			return err == nil && anchored.MatchString(s), err
		case "fullmatch":
			anchored, err := pyRegexp(`\A(?:`+a.str("pattern", "")+`)\z`, a.bool("ignorecase", false), a.bool("multiline", false))
			return err == nil && anchored.MatchString(s), err
		}
		return re.MatchString(s), nil
	})
}

// compareTest is Jinja2's comparison tests, on numbers and strings alike.
func compareTest(check func(int) bool) testFunc {
	return plainTest([]string{"other"}, false, func(in any, a args) (bool, error) {
		o := a.get("other", nil)
		fa, okA := number(in)
		fb, okB := number(o)
		sa, isStrA := in.(string)
		sb, isStrB := o.(string)
		switch {
		case okA && okB:
			return check(cmp.Compare(fa, fb)), nil
		case isStrA && isStrB:
			return check(strings.Compare(sa, sb)), nil
		}
		return false, fmt.Errorf("'<' not supported between instances of '%s' and '%s'", typeName(in), typeName(o))
	})
}

// setTest is subset or superset.
func setTest(super bool) testFunc {
	return plainTest([]string{"other"}, false, func(in any, a args) (bool, error) {
		x, err := iterate(in)
		if err != nil {
			return false, err
		}
		y, err := iterate(a.get("other", nil))
		if err != nil {
			return false, err
		}
		if super {
			x, y = y, x
		}
		return len(without(x, y)) == 0, nil
	})
}

// ansibleTests are Ansible's tests and the Jinja2 tests gonja gets wrong.
func ansibleTests() map[string]testFunc {
	version := plainTest([]string{"version", "operator?", "strict?", "version_type?"}, true, versionCompare)
	ge := compareTest(func(c int) bool { return c >= 0 })
	gt := compareTest(func(c int) bool { return c > 0 })
	le := compareTest(func(c int) bool { return c <= 0 })
	lt := compareTest(func(c int) bool { return c < 0 })
	truthyTest := func(in any, a args) (bool, error) {
		if a.bool("convert_bool", false) {
			if s, ok := in.(string); ok {
				switch strings.ToLower(s) {
				case "yes", "on", "1", "true", "y", "t":
					return true, nil
				case "no", "off", "0", "false", "n", "f", "":
					return false, nil
				}
			}
		}
		return truthy(in), nil
	}
	isDir := statIs(true, os.FileMode.IsDir)
	isFile := statIs(true, os.FileMode.IsRegular)
	isLink := statIs(false, func(m os.FileMode) bool { return m&os.ModeSymlink != 0 })
	exists := statIs(true, func(os.FileMode) bool { return true })
	lexists := statIs(false, func(os.FileMode) bool { return true })
	tests := map[string]testFunc{
		"defined":         definedTest(true),
		"undefined":       definedTest(false),
		"version":         version,
		"version_compare": version,
		"subset":          setTest(false),
		"issubset":        setTest(false),
		"superset":        setTest(true),
		"issuperset":      setTest(true),
		"match":           regexTest("match"),
		"search":          regexTest("search"),
		"regex":           regexTest("search"),
		"failed":          resultTest("failed", "failed", false),
		"failure":         resultTest("failed", "failed", false),
		"succeeded":       resultTest("succeeded", "failed", true),
		"success":         resultTest("succeeded", "failed", true),
		"successful":      resultTest("succeeded", "failed", true),
		"changed":         resultTest("changed", "changed", false),
		"change":          resultTest("changed", "changed", false),
		"skipped":         resultTest("skipped", "skipped", false),
		"skip":            resultTest("skipped", "skipped", false),
		"unreachable":     resultTest("unreachable", "unreachable", false),
		"reachable":       resultTest("unreachable", "unreachable", true),
		"directory":       fileTest(isDir),
		"is_dir":          fileTest(isDir),
		"file":            fileTest(isFile),
		"is_file":         fileTest(isFile),
		"link":            fileTest(isLink),
		"is_link":         fileTest(isLink),
		"exists":          fileTest(exists),
		"link_exists":     fileTest(lexists),
		"abs":             fileTest(filepath.IsAbs),
		"is_abs":          fileTest(filepath.IsAbs),
		"contains": plainTest([]string{"value"}, false, func(in any, a args) (bool, error) {
			return containsValue(in, a.get("value", nil))
		}),
		"in": plainTest([]string{"seq"}, false, func(in any, a args) (bool, error) {
			return containsValue(a.get("seq", nil), in)
		}),
		"any": plainTest(nil, false, func(in any, _ args) (bool, error) {
			items, err := iterate(in)
			for _, e := range items {
				if truthy(e) {
					return true, nil
				}
			}
			return false, err
		}),
		"all": plainTest(nil, false, func(in any, _ args) (bool, error) {
			items, err := iterate(in)
			for _, e := range items {
				if !truthy(e) {
					return false, nil
				}
			}
			return true, err
		}),
		"truthy": plainTest([]string{"convert_bool?"}, false, truthyTest),
		"falsy": plainTest([]string{"convert_bool?"}, false, func(in any, a args) (bool, error) {
			t, err := truthyTest(in, a)
			return !t, err
		}),
		"none":     plainTest(nil, false, func(in any, _ args) (bool, error) { return in == nil, nil }),
		"true":     plainTest(nil, false, func(in any, _ args) (bool, error) { return in == true, nil }),
		"false":    plainTest(nil, false, func(in any, _ args) (bool, error) { return in == false, nil }),
		"number":   plainTest(nil, false, func(in any, _ args) (bool, error) { _, ok := number(in); return ok, nil }),
		"sequence": plainTest(nil, false, func(in any, _ args) (bool, error) { _, err := iterate(in); return err == nil, nil }),
		"ge":       ge, ">=": ge,
		"gt": gt, ">": gt, "greaterthan": gt,
		"le": le, "<=": le,
		"lt": lt, "<": lt, "lessthan": lt,
	}
	return tests
}

// containsValue is Python's `value in seq`.
func containsValue(seq, value any) (bool, error) {
	switch s := seq.(type) {
	case string:
		v, ok := value.(string)
		if !ok {
			return false, fmt.Errorf("'in <string>' requires string as left operand, not %s", typeName(value))
		}
		return strings.Contains(s, v), nil
	case []any:
		return contains(s, value), nil
	case *exec.Dict:
		_, ok := dictGet(s, value)
		return ok, nil
	}
	return false, fmt.Errorf("argument of type '%s' is not iterable", typeName(seq))
}
