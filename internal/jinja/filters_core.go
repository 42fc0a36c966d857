package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// coreFilters are Ansible's and Jinja2's filters on scalars and
// undefined values.
func coreFilters() map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		"default":   filterDefault,
		"d":         filterDefault,
		"mandatory": filterMandatory,
		"bool":      wrap("bool", filter{nil, func(in any, _ args) (any, error) { return toBool(in), nil }}),
		"ternary":   wrap("ternary", filter{[]string{"true_val", "false_val", "none_val?"}, ternary}),
		"int":       wrap("int", filter{[]string{"default?", "base?"}, toInt}),
		"float":     wrap("float", filter{[]string{"default?"}, toFloat}),
		"string":    wrap("string", filter{nil, func(in any, _ args) (any, error) { return str(in), nil }}),
		"list":      wrap("list", filter{nil, func(in any, _ args) (any, error) { return iterate(in) }}),
		"type_debug": wrap("type_debug", filter{nil, func(in any, _ args) (any, error) {
			return typeName(in), nil
		}}),
	}
}

// filterDefault is Jinja2's default: the default replaces an undefined
// value only (None stays None), or any false value with boolean=true.
func filterDefault(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	a, err := bind(params, "default_value?", "boolean?")
	if err != nil {
		return fail("default: %v", err)
	}
	def := exec.AsValue("")
	if len(params.Args) > 0 {
		def = params.Args[0]
	} else if v, ok := params.KwArgs["default_value"]; ok {
		def = v
	}
	if IsUndefined(in) {
		return def
	}
	if in.IsError() {
		return in
	}
	if a.bool("boolean", false) && !truthy(plain(in)) {
		return def
	}
	return in
}

// filterMandatory fails on an undefined value, naming it as Ansible does.
func filterMandatory(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	a, err := bind(params, "msg?")
	if err != nil {
		return fail("mandatory: %v", err)
	}
	msg, isErr := valueError(in)
	if !isErr {
		return in
	}
	name, undef := undefinedName(msg)
	if !undef {
		return in
	}
	if m := a.get("msg", nil); m != nil {
		return fail("%s", str(m))
	}
	return fail("Mandatory variable '%s' not defined.", name)
}

// toBool is Ansible's bool filter.
func toBool(in any) any {
	switch v := in.(type) {
	case nil, bool:
		return v
	case string:
		switch strings.ToLower(v) {
		case "yes", "on", "1", "true":
			return true
		}
		return false
	case int:
		return v == 1
	case float64:
		return v == 1
	}
	return false
}

// ternary is Ansible's ternary filter.
func ternary(in any, a args) (any, error) {
	if in == nil && a.get("none_val", nil) != nil {
		return a.get("none_val", nil), nil
	}
	if truthy(in) {
		return a.get("true_val", nil), nil
	}
	return a.get("false_val", nil), nil
}

// parseInt is Python's int(s, base).
func parseInt(s string, base int) (int, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	neg := false
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		neg = t[0] == '-'
		t = t[1:]
	}
	lower := strings.ToLower(t)
	for p, b := range map[string]int{"0x": 16, "0o": 8, "0b": 2} {
		if strings.HasPrefix(lower, p) && (base == b || base == 0) {
			t, base = t[2:], b
		}
	}
	if base == 0 {
		base = 10
	}
	n, err := strconv.ParseInt(t, base, 64)
	if err != nil || t == "" {
		return 0, fmt.Errorf("invalid literal for int() with base %d: %s", base, pyQuote(s))
	}
	if neg {
		n = -n
	}
	return int(n), nil
}

// toInt is Jinja2's int filter: the default (0) when it cannot convert.
func toInt(in any, a args) (any, error) {
	def := a.get("default", 0)
	base, err := a.int("base", 10)
	if err != nil {
		return nil, err
	}
	switch v := in.(type) {
	case int:
		return v, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return def, nil
		}
		return int(v), nil
	case string:
		if n, err := parseInt(v, base); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return int(f), nil
		}
	}
	return def, nil
}

// toFloat is Jinja2's float filter: the default (0.0) when it cannot convert.
func toFloat(in any, a args) (any, error) {
	def := a.get("default", 0.0)
	switch v := in.(type) {
	case float64:
		return v, nil
	case int:
		return float64(v), nil
	case bool:
		f, _ := number(v)
		return f, nil
	case string:
		if f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(v), "_", ""), 64); err == nil {
			return f, nil
		}
	}
	return def, nil
}
