package module

import (
	"errors"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"lvslab/internal/ansible"
	"lvslab/internal/pos"
)

// Decode decodes node into v (a pointer to a struct) strictly: a mapping key
// that names no field is an error with its line and column. Types with their
// own UnmarshalYAML are decoded by it. Strings are read as Ansible's
// argument types read them (coerce): "yes", "on", "1" for a boolean, "300"
// for a number, as key=value arguments and quoted values give them.
func Decode(node *yaml.Node, v any) error {
	if err := checkKnown(node, reflect.TypeOf(v)); err != nil {
		return err
	}
	node, err := coerce(node, reflect.TypeOf(v), "")
	if err != nil {
		return err
	}
	if err := checkTypes(node, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	if err := node.Decode(v); err != nil {
		if _, ok := err.(*pos.Error); ok {
			return err // an UnmarshalYAML of v's placed it
		}
		return pos.YAMLAt(node, unquoted(err))
	}
	return nil
}

// Type errors never quote the value they are about: a module's arguments
// are rendered, and a value of the wrong type may be a secret (a password
// given to a mode or a port). They say the key, the type wanted and the
// kind of YAML value got ("port: want an integer, got a string").

// checkTypes reports the first value under node whose YAML kind cannot
// decode into its field's type, naming its key; types with their own
// UnmarshalYAML check their values themselves.
func checkTypes(node *yaml.Node, t reflect.Type, key string) error {
	if node == nil || t == nil {
		return nil
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		return checkTypes(node.Content[0], t, key)
	}
	if node.Kind == yaml.AliasNode {
		return checkTypes(node.Alias, t, key)
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		return nil // the zero value
	}
	want, ok := "", true
	switch t.Kind() {
	case reflect.String:
		want, ok = "a string", node.Kind == yaml.ScalarNode
	case reflect.Bool:
		want, ok = "a boolean", node.Kind == yaml.ScalarNode && node.ShortTag() == "!!bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		// yaml.v3 also takes a whole float, and a duration from a string.
		want, ok = "an integer", node.Kind == yaml.ScalarNode &&
			(node.ShortTag() == "!!int" || wholeFloat(node) || t == durationType)
	case reflect.Float32, reflect.Float64:
		want, ok = "a number", node.Kind == yaml.ScalarNode && (node.ShortTag() == "!!int" || node.ShortTag() == "!!float")
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			want, ok = "a mapping", false
			break
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i].Value
			if err := checkTypes(node.Content[i+1], fields[k], k); err != nil {
				return err
			}
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			want, ok = "a mapping", false
			break
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			if err := checkTypes(node.Content[i+1], t.Elem(), node.Content[i].Value); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if node.Kind != yaml.SequenceNode {
			want, ok = "a list", false
			break
		}
		for _, c := range node.Content {
			if err := checkTypes(c, t.Elem(), key); err != nil {
				return err
			}
		}
	}
	if ok {
		return nil
	}
	at := pos.Pos{Line: node.Line, Col: node.Column}
	if key == "" {
		return pos.Errorf(at, "want %s, got %s", want, kindOf(node))
	}
	return pos.Errorf(at, "%s: want %s, got %s", key, want, kindOf(node))
}

// wholeFloat reports whether n is a float that yaml.v3 decodes into an
// integer (a whole number in int32's range, here).
func wholeFloat(n *yaml.Node) bool {
	f, err := strconv.ParseFloat(n.Value, 64)
	return n.ShortTag() == "!!float" && err == nil && f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32
}

// kindOf names the kind of a YAML value without its value: "a string",
// "an integer", "a mapping" ...
func kindOf(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return pos.Describe(n) // which quotes scalars only
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!binary":
		return "binary data"
	case "!!timestamp":
		return "a timestamp"
	}
	return "a string"
}

// yamlValue is the value yaml.v3 quotes in a type error ("cannot unmarshal
// !!str `Sup3rS3...` into int"): its first characters.
var yamlValue = regexp.MustCompile("(cannot unmarshal !![a-z]+) `[^\n]*?` into")

// unquoted returns err (a yaml.v3 type error that checkTypes did not
// foresee, such as a number out of range) with the values it quotes cut
// out; other errors are returned as they are.
func unquoted(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	out := &yaml.TypeError{Errors: make([]string, len(te.Errors))}
	for i, e := range te.Errors {
		out.Errors[i] = yamlValue.ReplaceAllString(e, "$1 into")
	}
	return out
}

// KeyError is an argument key a module does not know, with its place in
// the arguments (a pos.Error without a file: "line 3:5: ...").
type KeyError = pos.Error

var durationType = reflect.TypeOf(time.Duration(0))

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func checkKnown(node *yaml.Node, t reflect.Type) error {
	if node == nil || t == nil {
		return nil
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		return checkKnown(node.Content[0], t)
	}
	if node.Kind == yaml.AliasNode {
		return checkKnown(node.Alias, t)
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil // node.Decode reports the type mismatch
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, val := node.Content[i], node.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				return pos.Errorf(pos.Pos{Line: k.Line, Col: k.Column}, "unknown key %q (known: %s)", k.Value, knownList(fields))
			}
			if err := checkKnown(val, ft); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if node.Kind == yaml.SequenceNode {
			for _, c := range node.Content {
				if err := checkKnown(c, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if node.Kind == yaml.MappingNode {
			for i := 1; i < len(node.Content); i += 2 {
				if err := checkKnown(node.Content[i], t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// coerce returns node with the string scalars that go to a boolean or a
// number field retagged as Ansible's type conversion reads them: a
// boolean by ansible.ParseBool's spellings, a number from its digits; a
// string that is neither is an error at it, naming key. node itself is not
// changed: what changes is copied.
func coerce(node *yaml.Node, t reflect.Type, key string) (*yaml.Node, error) {
	if node == nil || t == nil {
		return node, nil
	}
	if node.Kind == yaml.AliasNode {
		return coerce(node.Alias, t, key)
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return node, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	scalar := node.Kind == yaml.ScalarNode && node.Tag != "!!null"
	at := pos.Pos{Line: node.Line, Col: node.Column}
	switch t.Kind() {
	case reflect.Bool:
		if !scalar {
			return node, nil
		}
		b, ok := ansible.ParseBool(node.Value)
		if !ok || node.Value == "" {
			return nil, pos.Errorf(at, "%s: want a boolean (yes, no, true, false), got %s", key, kindOf(node))
		}
		c := *node
		c.Tag, c.Value, c.Style = "!!bool", strconv.FormatBool(b), 0
		return &c, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !scalar || node.Tag != "!!str" {
			return node, nil
		}
		v := strings.TrimSpace(node.Value)
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return nil, pos.Errorf(at, "%s: want an integer, got %s", key, kindOf(node))
		}
		c := *node
		c.Tag, c.Value, c.Style = "!!int", v, 0
		return &c, nil
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return node, nil
		}
		fields := yamlFields(t)
		return coerceChildren(node, 1, 2, func(i int) (reflect.Type, string) {
			k := node.Content[i-1].Value
			return fields[k], k
		})
	case reflect.Slice, reflect.Array:
		if node.Kind == yaml.SequenceNode {
			return coerceChildren(node, 0, 1, func(int) (reflect.Type, string) { return t.Elem(), key })
		}
	case reflect.Map:
		if node.Kind == yaml.MappingNode {
			return coerceChildren(node, 1, 2, func(i int) (reflect.Type, string) { return t.Elem(), node.Content[i-1].Value })
		}
	}
	return node, nil
}

// coerceChildren coerces node's children from, from+step, ... to the type
// (and key) that of gives.
func coerceChildren(node *yaml.Node, from, step int, of func(i int) (reflect.Type, string)) (*yaml.Node, error) {
	out := node
	for i := from; i < len(node.Content); i += step {
		t, key := of(i)
		c, err := coerce(node.Content[i], t, key)
		if err != nil {
			return nil, err
		}
		out = withContent(out, i, c)
	}
	return out, nil
}

// withContent returns n with child i replaced by c, copying n when c is
// another node.
func withContent(n *yaml.Node, i int, c *yaml.Node) *yaml.Node {
	if n.Content[i] == c {
		return n
	}
	cp := *n
	cp.Content = append([]*yaml.Node(nil), n.Content...)
	cp.Content[i] = c
	return &cp
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				fields[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

func knownList(fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
