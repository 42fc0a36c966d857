package module

import (
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/pos"
)

// Decode decodes node into v (a pointer to a struct) strictly: a mapping key
// that names no field is an error with its line and column. Types with their
// own UnmarshalYAML are decoded by it.
func Decode(node *yaml.Node, v any) error {
	if err := checkKnown(node, reflect.TypeOf(v)); err != nil {
		return err
	}
	if err := node.Decode(v); err != nil {
		if _, ok := err.(*pos.Error); ok {
			return err // an UnmarshalYAML of v's placed it
		}
		return pos.YAMLAt(node, err)
	}
	return nil
}

// KeyError is an argument key a module does not know, with its place in
// the arguments (a pos.Error without a file: "line 3:5: ...").
type KeyError = pos.Error

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
