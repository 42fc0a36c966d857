package module

import (
	"context"
	"regexp"
	"sort"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/pos"
)

var factNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// SetFact sets variables on the host for the tasks that follow: its
// arguments are a mapping of names to (already rendered) values, which keep
// their types. It never touches the host and is never changed.
type SetFact struct {
	Facts map[string]any
}

// UnmarshalYAML takes the whole mapping as facts.
func (s *SetFact) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return pos.Errorf(pos.At("", n), "set_fact takes a mapping of names to values")
	}
	return n.Decode(&s.Facts)
}

// setFactWant is what a set_fact task sets (its arguments need no defaults).
type setFactWant struct{ SetFact }

// want checks that the names are identifiers templates can use.
func (m *SetFact) want() (setFactWant, error) {
	var p problems
	names := make([]string, 0, len(m.Facts))
	for k := range m.Facts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !factNameRE.MatchString(k) {
			p.add("invalid fact name %q", k)
		}
	}
	if len(m.Facts) == 0 {
		p.add("no facts given")
	}
	return setFactWant{*m}, p.err()
}

// Validate reports every problem of the arguments.
func (m *SetFact) Validate() error { _, err := m.want(); return err }

// Apply returns the facts.
func (m *SetFact) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	s, err := m.want()
	if err != nil {
		return Result{}, err
	}
	out := make(map[string]any, len(s.Facts))
	for k, v := range s.Facts {
		out[k] = v
	}
	return Result{Facts: out, Data: map[string]any{"ansible_facts": out}}, nil
}
