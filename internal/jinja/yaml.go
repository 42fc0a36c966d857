package jinja

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"gopkg.in/yaml.v3"
)

// yamlDumper writes plain values as PyYAML's yaml.dump does with sorted
// keys: block style, or flow style for collections of scalars only when
// flowLeaves (Ansible's to_yaml); sequences in mappings are not indented.
// Long lines are not folded at 80 columns as PyYAML does.
type yamlDumper struct {
	indent     int
	flowLeaves bool
	b          strings.Builder
}

// toYAML is PyYAML's yaml.dump of x.
func toYAML(x any, indent int, flowLeaves bool) (string, error) {
	d := &yamlDumper{indent: indent, flowLeaves: flowLeaves}
	if isScalar(x) {
		s, plainStyle, err := yamlScalar(x, 0)
		if err != nil {
			return "", err
		}
		_ = plainStyle
		return s + "\n", nil
	}
	if err := d.node(x, 0, false); err != nil {
		return "", err
	}
	return d.b.String(), nil
}

func isScalar(x any) bool {
	switch x.(type) {
	case []any, *exec.Dict:
		return false
	}
	return true
}

// leaf reports whether x is a collection PyYAML writes in flow style.
func (d *yamlDumper) leaf(x any) bool {
	items := []any{}
	switch x := x.(type) {
	case []any:
		items = x
	case *exec.Dict:
		keys, vals := dictItems(x)
		items = append(keys, vals...)
	default:
		return false
	}
	if len(items) == 0 {
		return true
	}
	if !d.flowLeaves {
		return false
	}
	for _, e := range items {
		if !isScalar(e) {
			return false
		}
	}
	return true
}

// node writes collection x at column col; inline means the first line
// continues the current one (after "- ").
func (d *yamlDumper) node(x any, col int, inline bool) error {
	pad := func(first bool) {
		if !(first && inline) {
			d.b.WriteString(strings.Repeat(" ", col))
		}
	}
	if d.leaf(x) {
		s, err := d.flow(x)
		if err != nil {
			return err
		}
		pad(true)
		d.b.WriteString(s + "\n")
		return nil
	}
	switch x := x.(type) {
	case []any:
		for i, e := range x {
			pad(i == 0)
			d.b.WriteString("-")
			if isScalar(e) || d.leaf(e) {
				if err := d.value(e, col+d.indent); err != nil {
					return err
				}
				continue
			}
			d.b.WriteString(strings.Repeat(" ", d.indent-1))
			if err := d.node(e, col+d.indent, true); err != nil {
				return err
			}
		}
	case *exec.Dict:
		keys, vals := sortedItems(x)
		for i, k := range keys {
			pad(i == 0)
			ks, _, err := yamlScalar(k, col)
			if err != nil {
				return err
			}
			d.b.WriteString(ks + ":")
			v := vals[i]
			if isScalar(v) || d.leaf(v) {
				if err := d.value(v, col+d.indent); err != nil {
					return err
				}
				continue
			}
			d.b.WriteString("\n")
			next := col + d.indent
			if _, isList := v.([]any); isList {
				next = col
			}
			if err := d.node(v, next, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// value writes " scalar\n" or " [flow]\n".
func (d *yamlDumper) value(x any, col int) error {
	var s string
	var err error
	if isScalar(x) {
		s, _, err = yamlScalar(x, col)
	} else {
		s, err = d.flow(x)
	}
	if err != nil {
		return err
	}
	d.b.WriteString(" " + s + "\n")
	return nil
}

// flow writes a collection in flow style.
func (d *yamlDumper) flow(x any) (string, error) {
	parts := []string{}
	switch x := x.(type) {
	case []any:
		for _, e := range x {
			s, _, err := yamlScalar(e, 0)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case *exec.Dict:
		keys, vals := sortedItems(x)
		for i := range keys {
			k, _, err := yamlScalar(keys[i], 0)
			if err != nil {
				return "", err
			}
			v, _, err := yamlScalar(vals[i], 0)
			if err != nil {
				return "", err
			}
			parts = append(parts, k+": "+v)
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	}
	return "", fmt.Errorf("cannot represent %s", typeName(x))
}

// sortedItems returns d's items sorted by key, as yaml.dump sorts them.
func sortedItems(d *exec.Dict) (keys, vals []any) {
	keys, vals = dictItems(d)
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return pyLess(keys[idx[i]], keys[idx[j]]) })
	k2, v2 := make([]any, len(keys)), make([]any, len(keys))
	for n, i := range idx {
		k2[n], v2[n] = keys[i], vals[i]
	}
	return k2, v2
}

// pyLess is Python's < for numbers and strings (others by their str).
func pyLess(a, b any) bool {
	fa, okA := number(a)
	fb, okB := number(b)
	if okA && okB {
		return fa < fb
	}
	return str(a) < str(b)
}

// yaml11Implicit matches what PyYAML's resolver reads as another type
// than a string (YAML 1.1 booleans, null, numbers, timestamps, merge, value).
var yaml11Implicit = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|~|null|Null|NULL|` +
	`[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)|` +
	`[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|` +
	`[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?|<<|=)$`)

// yamlScalar writes a scalar; plainStyle reports an unquoted string.
func yamlScalar(x any, col int) (string, bool, error) {
	switch x := x.(type) {
	case nil:
		return "null", true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	case int:
		return strconv.Itoa(x), true, nil
	case float64:
		switch {
		case math.IsNaN(x):
			return ".nan", true, nil
		case math.IsInf(x, 1):
			return ".inf", true, nil
		case math.IsInf(x, -1):
			return "-.inf", true, nil
		}
		s := strings.ToLower(pyFloat(x))
		if strings.Contains(s, "e") && !strings.Contains(s, ".") {
			s = strings.Replace(s, "e", ".0e", 1)
		}
		return s, true, nil
	case string:
		return yamlString(x, col)
	}
	return "", false, fmt.Errorf("cannot represent an object: %s", str(x))
}

// yamlString chooses PyYAML's style for a string: plain, single-quoted,
// or double-quoted when it holds characters that must be escaped.
func yamlString(s string, col int) (string, bool, error) {
	special := false
	for _, r := range s {
		if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfeff) {
			special = true
		}
	}
	if special {
		return strconv.QuoteToGraphic(s), false, nil
	}
	if yamlPlainOK(s) {
		return s, true, nil
	}
	var b strings.Builder
	b.WriteByte('\'')
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteString("\n\n" + strings.Repeat(" ", col))
		}
		b.WriteString(strings.ReplaceAll(line, "'", "''"))
	}
	b.WriteByte('\'')
	return b.String(), false, nil
}

// yamlPlainOK is PyYAML's analysis of whether s can be written plain.
func yamlPlainOK(s string) bool {
	if s == "" || yaml11Implicit.MatchString(s) || strings.ContainsAny(s, "\n") {
		return false
	}
	if strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return false
	}
	if strings.ContainsAny(s[:1], "#,[]{}&*!|>'\"%@`") {
		return false
	}
	if strings.ContainsAny(s[:1], "-?:") && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	return true
}

// fromYAML is PyYAML's safe load of one document, with YAML 1.1 scalars.
func fromYAML(s string) (any, error) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil {
		return nil, err
	}
	if n.Kind == 0 {
		return nil, nil
	}
	return yamlValue(&n)
}

func yamlValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return yamlValue(n.Content[0])
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.SequenceNode:
		list := []any{}
		for _, c := range n.Content {
			x, err := yamlValue(c)
			if err != nil {
				return nil, err
			}
			list = append(list, x)
		}
		return list, nil
	case yaml.MappingNode:
		d := exec.NewDict()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := yamlValue(n.Content[i])
			if err != nil {
				return nil, err
			}
			v, err := yamlValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if k == "<<" {
				if md, ok := v.(*exec.Dict); ok {
					for _, p := range md.Pairs {
						if _, exists := dictGet(d, plain(p.Key)); !exists {
							dictSet(d, plain(p.Key), plain(p.Value))
						}
					}
					continue
				}
			}
			dictSet(d, k, v)
		}
		return d, nil
	}
	if n.Style != 0 || n.Tag == "!!str" && n.Style != 0 {
		return n.Value, nil
	}
	return yamlPlainScalar(n)
}

// yamlPlainScalar resolves an unquoted scalar as YAML 1.1 does.
func yamlPlainScalar(n *yaml.Node) (any, error) {
	v := n.Value
	switch v {
	case "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE":
		return true, nil
	case "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE":
		return false, nil
	case "", "~", "null", "Null", "NULL":
		return nil, nil
	}
	if n.Tag == "!!str" || n.Tag == "!!timestamp" || n.Tag == "!!binary" {
		return v, nil
	}
	if yaml11Implicit.MatchString(v) {
		t := strings.ReplaceAll(v, "_", "")
		if len(t) > 1 && t[0] == '0' && !strings.ContainsAny(t, ".xXbBeE:") {
			if i, err := strconv.ParseInt(t, 8, 64); err == nil {
				return int(i), nil
			}
		}
		if i, err := strconv.ParseInt(t, 0, 64); err == nil {
			return int(i), nil
		}
		low := strings.ToLower(t)
		switch strings.TrimLeft(low, "+-") {
		case ".inf":
			if strings.HasPrefix(low, "-") {
				return math.Inf(-1), nil
			}
			return math.Inf(1), nil
		case ".nan":
			return math.NaN(), nil
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return f, nil
		}
	}
	return v, nil
}

// yamlFilters are to_yaml, to_nice_yaml and from_yaml.
func yamlFilters() map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		"to_yaml": wrap("to_yaml", filter{[]string{"**"}, func(in any, a args) (any, error) {
			n, err := a.int("indent", 2)
			if err != nil {
				return nil, err
			}
			flow := true
			if a.has("default_flow_style") && a.get("default_flow_style", nil) != nil {
				flow = a.bool("default_flow_style", false)
			}
			return toYAML(in, n, flow)
		}}),
		"to_nice_yaml": wrap("to_nice_yaml", filter{[]string{"indent?", "**"}, func(in any, a args) (any, error) {
			n, err := a.int("indent", 4)
			if err != nil {
				return nil, err
			}
			return toYAML(in, n, false)
		}}),
		"from_yaml": wrap("from_yaml", filter{nil, func(in any, _ args) (any, error) {
			s, ok := in.(string)
			if !ok {
				return in, nil
			}
			return fromYAML(s)
		}}),
	}
}
