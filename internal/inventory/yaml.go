package inventory

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/pos"
	"lvslab/internal/vault"
)

const (
	// maxDepth caps nesting of groups and of values.
	maxDepth = 200
	// maxNodes caps how many YAML nodes one file may expand to through
	// aliases.
	maxNodes = 1_000_000
)

// yamlParser reads one YAML file into an inventory.
type yamlParser struct {
	inv    *Inventory
	file   string
	errs   *pos.List
	budget int
	spent  bool
}

// kv is one key and value of a YAML mapping.
type kv struct{ k, v *yaml.Node }

func newYAMLParser(inv *Inventory, file string, errs *pos.List) *yamlParser {
	return &yamlParser{inv: inv, file: file, errs: errs, budget: maxNodes}
}

func (p *yamlParser) at(n *yaml.Node) pos.Pos { return pos.At(p.file, n) }

// parseYAML reads an inventory in Ansible's YAML format: a mapping of group
// names to groups, each with hosts, vars and children.
func parseYAML(inv *Inventory, file string, data []byte, errs *pos.List) {
	root := readYAML(file, data, errs)
	if root == nil {
		return
	}
	p := newYAMLParser(inv, file, errs)
	if root.Kind != yaml.MappingNode {
		errs.Errorf(p.at(root), "inventory must be a mapping of group names to groups, not %s", pos.Describe(root))
		return
	}
	for _, e := range p.pairs(root, 0) {
		p.group(e.k, e.v, nil, 0)
	}
}

// readYAML parses one YAML document; it returns nil for an empty or null
// document and after a syntax error.
func readYAML(file string, data []byte, errs *pos.List) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			*errs = append(*errs, pos.FromYAML(file, err))
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		errs.Errorf(pos.At(file, &extra), "a second YAML document; a file holds one")
		return nil
	case !errors.Is(err, io.EOF):
		*errs = append(*errs, pos.FromYAML(file, err))
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil
	}
	return root
}

// group reads one group definition: null, or a mapping with hosts, vars
// and children.
func (p *yamlParser) group(k, v *yaml.Node, parent *group, depth int) {
	name := k.Value
	if err := checkGroupName(name); err != nil {
		p.errs.Errorf(p.at(k), "%w", err)
		return
	}
	g := p.inv.group(name, p.at(k))
	if parent != nil {
		p.inv.addChild(parent, g, p.at(k), p.errs)
	}
	if depth > maxDepth {
		p.errs.Errorf(p.at(k), "groups nested more than %d deep", maxDepth)
		return
	}
	v = p.deref(v)
	if v == nil || isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		p.errs.Errorf(p.at(v), "group %q must be a mapping with hosts, vars or children, not %s", name, pos.Describe(v))
		return
	}
	for _, e := range p.pairs(v, depth) {
		switch e.k.Value {
		case "hosts":
			p.hosts(g, e.v, depth)
		case "vars":
			vars := p.mapping(e.v, "vars of group "+strconv.Quote(name), depth)
			for _, e := range vars {
				if val, ok := p.value(e.v, depth+1); ok {
					setGroupVar(g, e.k.Value, val, p.at(e.v), p.errs)
				}
			}
		case "children":
			for _, c := range p.mapping(e.v, "children of group "+strconv.Quote(name), depth) {
				p.group(c.k, c.v, g, depth+1)
			}
		default:
			p.errs.Errorf(p.at(e.k), "unknown key %q in group %q: want hosts, vars or children", e.k.Value, name)
		}
	}
}

// hosts reads a group's hosts: a mapping of host names (or ranges) to
// their variables or null.
func (p *yamlParser) hosts(g *group, n *yaml.Node, depth int) {
	for _, e := range p.mapping(n, "hosts of group "+strconv.Quote(g.name), depth) {
		if p.inv.full {
			return
		}
		names, port, err := expandHost(e.k.Value)
		if err != nil {
			p.errs.Errorf(p.at(e.k), "%w", err)
			continue
		}
		var vars map[string]any
		if v := p.deref(e.v); v != nil && !isNull(v) {
			if v.Kind != yaml.MappingNode {
				p.errs.Errorf(p.at(v), "variables of host %q must be a mapping, not %s", e.k.Value, pos.Describe(v))
				continue
			}
			val, ok := p.value(v, depth+1)
			if !ok {
				continue
			}
			vars = val.(map[string]any)
		}
		if !p.inv.roomFor(g, names, p.at(e.k), p.errs) {
			return
		}
		places := p.keyPositions(e.v, p.at(e.k))
		for _, name := range names {
			h := p.inv.addHost(g, name, p.file)
			for k, v := range vars {
				h.vars[k] = deepCopy(v)
				setPos(&h.varPos, k, places(k))
			}
			if port != 0 {
				h.vars["ansible_port"] = port
				setPos(&h.varPos, "ansible_port", p.at(e.k))
			}
		}
	}
}

// keyPositions returns where each key of the mapping n sets its value (the
// value's position), falling back to def for keys it does not hold itself
// (merged with <<).
func (p *yamlParser) keyPositions(n *yaml.Node, def pos.Pos) func(string) pos.Pos {
	at := map[string]pos.Pos{}
	if n = p.deref(n); n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			at[n.Content[i].Value] = p.at(n.Content[i+1])
		}
	}
	return func(k string) pos.Pos {
		if q, ok := at[k]; ok {
			return q
		}
		return def
	}
}

// mapping returns the pairs of a mapping that may also be null; anything
// else is an error.
func (p *yamlParser) mapping(n *yaml.Node, what string, depth int) []kv {
	n = p.deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errs.Errorf(p.at(n), "%s must be a mapping, not %s", what, pos.Describe(n))
		return nil
	}
	return p.pairs(n, depth)
}

// visit spends one node of the budget; false once it is spent.
func (p *yamlParser) visit(n *yaml.Node) bool {
	if p.budget--; p.budget >= 0 {
		return true
	}
	if !p.spent {
		p.spent = true
		p.errs.Errorf(p.at(n), "document expands to more than %d nodes through aliases", maxNodes)
	}
	return false
}

// deref follows an alias; nil when the budget is spent.
func (p *yamlParser) deref(n *yaml.Node) *yaml.Node {
	if n == nil || !p.visit(n) {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

// pairs lists a mapping's keys and values in order, with merge keys (<<)
// resolved as YAML defines them: explicit keys win, then earlier merged
// mappings. Duplicate and non-scalar keys are errors.
func (p *yamlParser) pairs(n *yaml.Node, depth int) []kv {
	if depth > maxDepth {
		p.errs.Errorf(p.at(n), "mappings nested more than %d deep", maxDepth)
		return nil
	}
	explicit := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if isMergeKey(k) {
			continue
		}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			p.errs.Errorf(p.at(k), "mapping key must be a string, not %s", pos.Describe(k))
			continue
		}
		if first, ok := explicit[k.Value]; ok {
			p.errs.Errorf(p.at(k), "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		explicit[k.Value] = k
	}
	var out []kv
	merged := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMergeKey(k) {
			if explicit[k.Value] == k {
				out = append(out, kv{k, v})
			}
			continue
		}
		for _, src := range p.mergeSources(v) {
			for _, e := range p.pairs(src, depth+1) {
				if explicit[e.k.Value] == nil && !merged[e.k.Value] {
					merged[e.k.Value] = true
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// mergeSources returns the mappings a merge key's value names.
func (p *yamlParser) mergeSources(v *yaml.Node) []*yaml.Node {
	v = p.deref(v)
	if v == nil {
		return nil
	}
	list := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		list = nil
		for _, c := range v.Content {
			if c = p.deref(c); c != nil {
				list = append(list, c)
			}
		}
	}
	var out []*yaml.Node
	for _, m := range list {
		if m.Kind != yaml.MappingNode {
			p.errs.Errorf(p.at(m), "merge key << wants a mapping or a list of mappings, not %s", pos.Describe(m))
			continue
		}
		out = append(out, m)
	}
	return out
}

// value converts a node to a plain Go value: string, int, float64, bool,
// nil, []any or map[string]any. Unquoted YAML 1.1 booleans (yes, no, on,
// off) are booleans, as Ansible reads them.
func (p *yamlParser) value(n *yaml.Node, depth int) (any, bool) {
	if !p.visit(n) {
		return nil, false
	}
	if depth > maxDepth {
		p.errs.Errorf(p.at(n), "values nested more than %d deep", maxDepth)
		return nil, false
	}
	switch n.Kind {
	case yaml.AliasNode:
		return p.value(n.Alias, depth+1)
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, ok := p.value(c, depth+1)
			if !ok {
				return nil, false
			}
			l = append(l, v)
		}
		return l, true
	case yaml.MappingNode:
		m := map[string]any{}
		for _, e := range p.pairs(n, depth+1) {
			v, ok := p.value(e.v, depth+1)
			if !ok {
				return nil, false
			}
			m[e.k.Value] = v
		}
		return m, true
	case yaml.ScalarNode:
		return p.scalar(n)
	}
	p.errs.Errorf(p.at(n), "unexpected %s", pos.Describe(n))
	return nil, false
}

func (p *yamlParser) scalar(n *yaml.Node) (any, bool) {
	switch {
	case n.Tag == "!vault":
		return vault.NewValue(p.file, n), true // decrypted where it is used
	case n.Tag == "!unsafe":
		return n.Value, true
	}
	switch tag := n.ShortTag(); tag {
	case "!!str", "!!merge":
		if n.Style == 0 {
			switch n.Value {
			case "yes", "Yes", "YES", "on", "On", "ON":
				return true, true
			case "no", "No", "NO", "off", "Off", "OFF":
				return false, true
			}
		}
		return n.Value, true
	case "!!null":
		return nil, true
	case "!!timestamp":
		return n.Value, true
	case "!!int", "!!float", "!!bool", "!!binary":
		var v any
		if err := n.Decode(&v); err != nil {
			p.errs.Errorf(p.at(n), "%w", pos.YAMLCause(err))
			return nil, false
		}
		if i, ok := v.(int64); ok {
			return int(i), true
		}
		return v, true
	default:
		p.errs.Errorf(p.at(n), "unsupported tag %s", tag)
		return nil, false
	}
}

// checkGroupName rejects names that patterns and the INI format could not
// express.
func checkGroupName(name string) error {
	if name == "" {
		return errors.New("empty group name")
	}
	if strings.ContainsAny(name, " \t\r\n\v\f:,[]") || strings.ContainsAny(name[:1], "!&~") {
		return errors.New("invalid group name " + strconv.Quote(name) + ": no whitespace, ':', ',', '[' or ']', and no leading '!', '&' or '~'")
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge" && n.Style == 0
}
