// Package inventory reads Ansible inventories — YAML or INI, with
// group_vars and host_vars next to them — and answers what a run needs:
// which hosts a pattern selects, and each host's variables merged with
// Ansible's precedence.
package inventory

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"lvslab/internal/pos"
)

// Inventory is a loaded inventory. It is read-only once loaded and safe for
// concurrent use.
type Inventory struct {
	hosts       []*host
	hostIdx     map[string]*host
	groups      []*group
	groupIdx    map[string]*group
	full        bool // maxHosts or maxMembers was reached
	memberCount int  // host-in-group memberships so far

	// varsDirs are the directories whose group_vars and host_vars were
	// read, lowest precedence first: those beside the inventory sources,
	// then those beside the playbooks. Each group's and host's files holds
	// one layer per directory.
	varsDirs []string
	// localhost is the first host named localhost, 127.0.0.1 or ::1; when
	// the inventory has none, it is implicit: a host in no group, not in
	// all, with ansible_connection local, that only a pattern naming it
	// selects.
	localhost *host
	implicit  bool

	// Filled in by finish.
	members    map[string][]string // group → every host in it or its descendants, Ansible's order
	membersAny map[string][]any    // the same, for the groups variable
	hostGroups map[*host][]*group  // host → its groups but all, lowest precedence first
}

// Group is a copy of one group's definition.
type Group struct {
	// Name is the group's name.
	Name string
	// Hosts are the hosts put directly in the group, in inventory order.
	Hosts []string
	// Children are the direct child groups, in inventory order.
	Children []string
	// Parents are the direct parent groups; every group but all has one.
	Parents []string
	// Vars are the group's own variables: the inventory's, overridden by
	// the group_vars files.
	Vars map[string]any
	// Depth is the length of the longest path from all (all is 0).
	Depth int
	// Priority is ansible_group_priority (default 1).
	Priority int
}

type host struct {
	name   string
	idx    int                // position in inventory order
	vars   map[string]any     // from the inventory
	files  []varsLayer        // from host_vars, one per Inventory.varsDirs
	source string             // the inventory file that first named it
	varPos map[string]pos.Pos // where each of vars was set
}

type group struct {
	name     string
	vars     map[string]any // from the inventory
	files    []varsLayer    // from group_vars, one per Inventory.varsDirs
	priority int
	hosts    []string
	hostSet  map[string]bool
	children []string
	parents  []string
	edgePos  map[string]pos.Pos // child → where the parent-child link was made
	depth    int
	pos      pos.Pos
	varPos   map[string]pos.Pos // where each of vars was set
}

// varsLayer is one source of variables and where each was set.
type varsLayer struct {
	vars map[string]any
	pos  map[string]pos.Pos
}

// layer returns the i-th of layers, empty when there is none.
func layer(layers []varsLayer, i int) varsLayer {
	if i < len(layers) {
		return layers[i]
	}
	return varsLayer{}
}

// Hosts returns every host name, in the order the inventory first names
// them; an implicit localhost is not one of them. Match("all") gives them
// in the order Ansible runs them.
func (inv *Inventory) Hosts() []string {
	out := make([]string, len(inv.hosts))
	for i, h := range inv.hosts {
		out[i] = h.name
	}
	return out
}

// HasHost reports whether the inventory defines the host.
func (inv *Inventory) HasHost(name string) bool {
	_, ok := inv.hostIdx[name]
	return ok
}

// lookup returns the named host, the implicit localhost included, or nil.
func (inv *Inventory) lookup(name string) *host {
	if h, ok := inv.hostIdx[name]; ok {
		return h
	}
	if inv.implicit && name == inv.localhost.name {
		return inv.localhost
	}
	return nil
}

// Groups returns every group name: all, ungrouped, then the others in
// inventory order.
func (inv *Inventory) Groups() []string {
	out := make([]string, len(inv.groups))
	for i, g := range inv.groups {
		out[i] = g.name
	}
	return out
}

// Group returns a copy of the named group, or nil when there is none.
func (inv *Inventory) Group(name string) *Group {
	g, ok := inv.groupIdx[name]
	if !ok {
		return nil
	}
	vars := map[string]any{}
	mergeVars(vars, g.vars)
	for _, l := range g.files {
		mergeVars(vars, l.vars)
	}
	return &Group{
		Name:     g.name,
		Hosts:    append([]string{}, g.hosts...),
		Children: append([]string{}, g.children...),
		Parents:  append([]string{}, g.parents...),
		Vars:     vars,
		Depth:    g.depth,
		Priority: g.priority,
	}
}

// HostVars returns the host's variables merged as Ansible does (its
// default VARIABLE_PRECEDENCE), lowest first: the inventory's variables of
// all, then of the host's other groups ordered by depth,
// ansible_group_priority and name; then group_vars/all of every vars
// directory (beside each inventory source in -i order, then beside the
// playbooks), then the other groups' group_vars files, directory by
// directory, each in the same group order; then the host's inventory
// variables, then its host_vars files directory by directory. Each layer
// replaces whole top-level keys. The magic variables inventory_hostname,
// inventory_hostname_short, group_names, groups, inventory_file and
// inventory_dir are added. The implicit localhost has all's variables and
// its own. The map is a deep copy the caller may change; it is nil for an
// unknown host.
func (inv *Inventory) HostVars(name string) map[string]any {
	h := inv.lookup(name)
	if h == nil {
		return nil
	}
	out := map[string]any{}
	for _, l := range inv.layers(h) {
		mergeVars(out, l.vars)
	}
	out["inventory_hostname"] = h.name
	short, _, _ := strings.Cut(h.name, ".")
	out["inventory_hostname_short"] = short
	names := []any{}
	for _, g := range inv.hostGroups[h] {
		if g.name != "ungrouped" {
			names = append(names, g.name)
		}
	}
	sort.Slice(names, func(i, j int) bool { return names[i].(string) < names[j].(string) })
	out["group_names"] = names
	groups := make(map[string]any, len(inv.groups))
	for _, g := range inv.groups {
		groups[g.name] = slices.Clone(inv.membersAny[g.name])
	}
	out["groups"] = groups
	return out
}

// layers lists the sources of h's variables, lowest precedence first, as
// HostVars documents.
func (inv *Inventory) layers(h *host) []varsLayer {
	all := inv.groupIdx["all"]
	gs := inv.hostGroups[h]
	ls := []varsLayer{{all.vars, all.varPos}}
	for _, g := range gs {
		ls = append(ls, varsLayer{g.vars, g.varPos})
	}
	for d := range inv.varsDirs {
		ls = append(ls, layer(all.files, d))
	}
	for d := range inv.varsDirs {
		for _, g := range gs {
			ls = append(ls, layer(g.files, d))
		}
	}
	if h.source != "" {
		ls = append(ls, varsLayer{vars: map[string]any{"inventory_file": h.source, "inventory_dir": filepath.Dir(h.source)}})
	}
	ls = append(ls, varsLayer{h.vars, h.varPos})
	for d := range inv.varsDirs {
		ls = append(ls, layer(h.files, d))
	}
	return ls
}

// VarPos says where the value HostVars gives the host for the variable
// key was set: its line and column in an inventory, or line 1, column 1 of
// the group_vars or host_vars file; ok is false when the variable is not
// set or its place unknown.
func (inv *Inventory) VarPos(name, key string) (at pos.Pos, ok bool) {
	h := inv.lookup(name)
	if h == nil {
		return pos.Pos{}, false
	}
	ls := inv.layers(h)
	for i := len(ls) - 1; i >= 0; i-- {
		if _, ok := ls[i].vars[key]; !ok {
			continue
		}
		p, ok := ls[i].pos[key]
		if !ok || p.File == "" {
			return pos.Pos{}, false
		}
		p.Line, p.Col = max(p.Line, 1), max(p.Col, 1)
		return p, true
	}
	return pos.Pos{}, false
}

// setPos records where key was set in m, creating m.
func setPos(m *map[string]pos.Pos, key string, p pos.Pos) {
	if *m == nil {
		*m = map[string]pos.Pos{}
	}
	(*m)[key] = p
}

// mergeVars sets every key of src in dst, replacing whole values, as deep
// copies.
func mergeVars(dst, src map[string]any) {
	for k, v := range src {
		dst[k] = deepCopy(v)
	}
}

// deepCopy copies maps and lists; other values are immutable.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}
