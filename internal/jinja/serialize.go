package jinja

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// jsonStyle is how Python's json.dumps writes: indent (0: one line),
// sorted keys, separators, ASCII-only output.
type jsonStyle struct {
	indent   int
	sortKeys bool
	itemSep  string
	keySep   string
	ascii    bool
}

// toJSON is Python's json.dumps of a plain value.
func toJSON(x any, st jsonStyle) (string, error) {
	var b strings.Builder
	if err := writeJSON(&b, x, st, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *strings.Builder, x any, st jsonStyle, level int) error {
	nl := func(l int) {
		if st.indent > 0 {
			b.WriteString("\n" + strings.Repeat(" ", st.indent*l))
		}
	}
	switch x := x.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloat(x))
		}
	case string:
		b.WriteString(jsonString(x, st.ascii))
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(st.itemSep)
			}
			nl(level + 1)
			if err := writeJSON(b, e, st, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteString("]")
	case *exec.Dict:
		if len(x.Pairs) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys, vals := dictItems(x)
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		if st.sortKeys {
			sort.SliceStable(order, func(i, j int) bool { return str(keys[order[i]]) < str(keys[order[j]]) })
		}
		b.WriteString("{")
		for n, i := range order {
			if n > 0 {
				b.WriteString(st.itemSep)
			}
			nl(level + 1)
			k, err := jsonKey(keys[i])
			if err != nil {
				return err
			}
			b.WriteString(jsonString(k, st.ascii) + st.keySep)
			if err := writeJSON(b, vals[i], st, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteString("}")
	default:
		return fmt.Errorf("Object of type %s is not JSON serializable", typeName(x))
	}
	return nil
}

// jsonKey is the key json.dumps writes for a dict key.
func jsonKey(k any) (string, error) {
	switch k := k.(type) {
	case string:
		return k, nil
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(k), nil
	case int, float64:
		return str(k), nil
	}
	return "", fmt.Errorf("keys must be str, int, float, bool or None, not %s", typeName(k))
}

// jsonString quotes s as json.dumps does.
func jsonString(s string, ascii bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (ascii && r > 0x7e && r < 0x10000) || r == utf8.RuneError:
				fmt.Fprintf(&b, `\u%04x`, r)
			case ascii && r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// fromJSON is Python's json.loads: objects keep their order, numbers
// without a fraction or exponent are integers.
func fromJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	x, err := decodeJSON(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("extra data after the JSON value")
	}
	return x, nil
}

func decodeJSON(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			list := []any{}
			for dec.More() {
				x, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, x)
			}
			_, err := dec.Token()
			return list, err
		}
		d := exec.NewDict()
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			x, err := decodeJSON(dec)
			if err != nil {
				return nil, err
			}
			dictSet(d, k, x)
		}
		_, err := dec.Token()
		return d, err
	case json.Number:
		if n, err := strconv.Atoi(t.String()); err == nil {
			return n, nil
		}
		return t.Float64()
	}
	return tok, nil
}

// compactJSON is JSON on one line with Python's default separators.
var compactJSON = jsonStyle{itemSep: ", ", keySep: ": ", ascii: true}

// jsonFilters are to_json, to_nice_json and from_json.
func jsonFilters() map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		"to_json": wrap("to_json", filter{[]string{"**"}, func(in any, a args) (any, error) {
			st := compactJSON
			st.sortKeys = a.bool("sort_keys", false)
			st.ascii = a.bool("ensure_ascii", true)
			if a.has("indent") {
				n, err := a.int("indent", 0)
				if err != nil {
					return nil, err
				}
				st.indent, st.itemSep = n, ","
			}
			return toJSON(in, st)
		}}),
		"to_nice_json": wrap("to_nice_json", filter{[]string{"indent?", "sort_keys?", "**"}, func(in any, a args) (any, error) {
			n, err := a.int("indent", 4)
			if err != nil {
				return nil, err
			}
			return toJSON(in, jsonStyle{indent: n, sortKeys: a.bool("sort_keys", true), itemSep: ",", keySep: ": ", ascii: a.bool("ensure_ascii", true)})
		}}),
		"from_json": wrap("from_json", filter{[]string{"**"}, func(in any, _ args) (any, error) {
			s, ok := in.(string)
			if !ok {
				return nil, fmt.Errorf("the JSON object must be str, not %s", typeName(in))
			}
			return fromJSON(s)
		}}),
		"tojson": wrap("tojson", filter{[]string{"indent?"}, func(in any, a args) (any, error) {
			st := compactJSON
			st.sortKeys = true
			if a.has("indent") {
				n, err := a.int("indent", 0)
				if err != nil {
					return nil, err
				}
				st.indent, st.itemSep = n, ","
			}
			s, err := toJSON(in, st)
			r := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`)
			return exec.AsSafeValue(r.Replace(s)), err
		}}),
	}
}
