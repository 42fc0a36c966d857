package jinja

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// plain converts a gonja value to the plain values this package works on:
// nil, bool, int, float64, string, []any and *exec.Dict (ordered; a Go map's
// keys are sorted). Other values are returned as they are.
func plain(v *exec.Value) any {
	if v == nil || v.IsNil() {
		return nil
	}
	switch {
	case v.IsError():
		return v.Interface()
	case v.IsBool():
		return v.Bool()
	case v.IsInteger():
		return v.Integer()
	case v.IsFloat():
		return v.Float()
	case v.IsString():
		return v.String()
	case v.Val.Kind() == reflect.Chan:
		out := []any{}
		for x, ok := v.Val.Recv(); ok; x, ok = v.Val.Recv() {
			out = append(out, plain(exec.ToValue(x)))
		}
		return out
	case v.IsList():
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			out = append(out, plain(v.Index(i)))
		}
		return out
	case v.IsDict():
		d := exec.NewDict()
		var pairs []*exec.Pair
		switch src := v.Interface().(type) {
		case *exec.Dict:
			pairs = src.Pairs
		case exec.Dict:
			pairs = src.Pairs
		default:
			for _, k := range v.Keys() {
				item, _ := v.GetItem(k.Interface())
				pairs = append(pairs, &exec.Pair{Key: k, Value: item})
			}
		}
		for _, p := range pairs {
			d.Pairs = append(d.Pairs, &exec.Pair{Key: exec.AsValue(plain(p.Key)), Value: exec.AsValue(plain(p.Value))})
		}
		return d
	}
	return v.Interface()
}

// plainAny is plain for a Go value.
func plainAny(x any) any { return plain(exec.ToValue(x)) }

// dictGet returns the value of key k in d.
func dictGet(d *exec.Dict, k any) (any, bool) {
	for _, p := range d.Pairs {
		if pyEqual(plain(p.Key), k) {
			return plain(p.Value), true
		}
	}
	return nil, false
}

// dictSet sets key k of d to x, keeping the key's place when it exists.
func dictSet(d *exec.Dict, k, x any) {
	for _, p := range d.Pairs {
		if pyEqual(plain(p.Key), k) {
			p.Value = exec.AsValue(x)
			return
		}
	}
	d.Pairs = append(d.Pairs, &exec.Pair{Key: exec.AsValue(k), Value: exec.AsValue(x)})
}

// dictItems returns d's keys and values in order.
func dictItems(d *exec.Dict) (keys, vals []any) {
	for _, p := range d.Pairs {
		keys = append(keys, plain(p.Key))
		vals = append(vals, plain(p.Value))
	}
	return keys, vals
}

// pyEqual is Python's == on plain values (1 == 1.0 == True).
func pyEqual(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !pyEqual(a[i], bl[i]) {
				return false
			}
		}
		return true
	case *exec.Dict:
		bd, ok := b.(*exec.Dict)
		if !ok || len(a.Pairs) != len(bd.Pairs) {
			return false
		}
		for _, p := range a.Pairs {
			x, ok := dictGet(bd, plain(p.Key))
			if !ok || !pyEqual(plain(p.Value), x) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// number returns a numeric (or boolean) plain value as a float.
func number(x any) (float64, bool) {
	switch x := x.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Truth is Python's truth of a plain value, as Jinja2's {% if %} reads it.
func Truth(x any) bool { return truthy(x) }

// truthy is Python's truth of a plain value.
func truthy(x any) bool {
	switch x := x.(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case *exec.Dict:
		return len(x.Pairs) > 0
	}
	return true
}

// iterate returns the items a for loop over x sees: a list's items, a
// dict's keys, a string's characters.
func iterate(x any) ([]any, error) {
	switch x := x.(type) {
	case []any:
		return x, nil
	case *exec.Dict:
		keys, _ := dictItems(x)
		return keys, nil
	case string:
		out := []any{}
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", typeName(x))
}

// typeName is Python's name for the type of a plain value.
func typeName(x any) string {
	switch x.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case *exec.Dict:
		return "dict"
	}
	return fmt.Sprintf("%T", x)
}

// repr is Python's repr of a plain value.
func repr(x any) string {
	switch x := x.(type) {
	case string:
		return pyQuote(x)
	default:
		return str(x)
	}
}

// str is Python's str of a plain value.
func str(x any) string {
	switch x := x.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case float64:
		return pyFloat(x)
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *exec.Dict:
		parts := []string{}
		for _, p := range x.Pairs {
			parts = append(parts, repr(plain(p.Key))+": "+repr(plain(p.Value)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case error:
		return x.Error()
	}
	return fmt.Sprint(x)
}

// pyQuote quotes s as Python's repr does.
func pyQuote(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

// pyFloat formats f as Python's repr of a float.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if e := strings.IndexByte(s, 'e'); e >= 0 {
		exp, _ := strconv.Atoi(s[e+1:])
		if exp >= -4 && exp < 16 {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		} else {
			mant := s[:e]
			sign := "+"
			if exp < 0 {
				sign, exp = "-", -exp
			}
			return fmt.Sprintf("%se%s%02d", mant, sign, exp)
		}
	}
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// fail returns a filter's or function's error as a gonja value.
func fail(format string, args ...any) *exec.Value {
	return exec.AsValue(fmt.Errorf(format, args...))
}

// out returns a plain result as a gonja value.
func out(x any) *exec.Value {
	if v, ok := x.(*exec.Value); ok {
		return v
	}
	return exec.AsValue(x)
}
