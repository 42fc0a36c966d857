package tmpl

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/pos"
	"lvslab/internal/vault"
)

// MaxNodes bounds the YAML nodes one RenderNode or RenderValue may produce:
// a chain of aliases a few hundred bytes long expands to billions.
const MaxNodes = 1 << 20

var errTooManyNodes = fmt.Errorf("more than %d values once its aliases are expanded", MaxNodes)

// RenderNode returns a deep copy of n with every string scalar rendered over
// vars. A scalar that is a single expression keeps its value's type (see
// Value); rendered scalars lose their quoting so that "{{ port }}" can fill
// an int. name is the file: each scalar is named name:line:col (ValueAt), and
// an error that has the scalar's place is a *pos.Error.
func RenderNode(name string, n *yaml.Node, vars map[string]any) (*yaml.Node, error) {
	budget := MaxNodes
	return renderNode(name, n, vars, &budget)
}

func renderNode(name string, n *yaml.Node, vars map[string]any, budget *int) (*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	if *budget--; *budget < 0 {
		return nil, pos.Errorf(pos.At(name, n), "%w", errTooManyNodes)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!vault" { // a vaulted argument: its plaintext, never rendered
			plain, err := vault.NewValue(name, n).Plaintext()
			if err != nil {
				return nil, pos.Errorf(pos.At(name, n), "%w", err)
			}
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: plain, Line: n.Line, Column: n.Column}, nil
		}
		if n.Tag != "!!str" && n.Tag != "" || !Has(n.Value) {
			c := *n
			return &c, nil
		}
		at := pos.At(name, n)
		v, err := ValueAt(at, n.Value, vars)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok {
			out := &yaml.Node{Kind: yaml.ScalarNode, Value: s, Line: n.Line, Column: n.Column}
			if s == "" || s == "~" || strings.EqualFold(s, "null") {
				out.Tag = "!!str" // a string that renders empty is "", not null
			}
			return out, nil
		}
		var out yaml.Node
		if err := out.Encode(v); err != nil {
			return nil, pos.Errorf(at, "%w", err)
		}
		setPos(&out, n.Line, n.Column)
		return &out, nil
	case yaml.AliasNode:
		return renderNode(name, n.Alias, vars, budget)
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			k := *child
			c.Content[i] = &k
			continue
		}
		r, err := renderNode(name, child, vars, budget)
		if err != nil {
			return nil, err
		}
		c.Content[i] = r
	}
	return &c, nil
}

func setPos(n *yaml.Node, line, col int) {
	n.Line, n.Column = line, col
	for _, c := range n.Content {
		setPos(c, line, col)
	}
}

// RenderValue renders every string inside v (a decoded YAML value: scalars,
// []any, map[string]any) and returns the result, keeping types as Value does.
func RenderValue(name string, v any, vars map[string]any) (any, error) {
	budget := MaxNodes
	return renderValue(name, v, vars, &budget)
}

func renderValue(name string, v any, vars map[string]any, budget *int) (any, error) {
	if *budget--; *budget < 0 {
		return nil, prefix(name, errTooManyNodes)
	}
	switch x := v.(type) {
	case *vault.Value: // its plaintext, never rendered
		return x.Plaintext()
	case string:
		if !Has(x) {
			return x, nil
		}
		return Value(name, x, vars)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderValue(name, e, vars, budget)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := renderValue(name, e, vars, budget)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}
