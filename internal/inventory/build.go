package inventory

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"lvslab/internal/pos"
)

// newInventory returns an inventory with the two groups every inventory
// has: all and ungrouped, all's first child as in Ansible.
func newInventory() *Inventory {
	inv := &Inventory{hostIdx: map[string]*host{}, groupIdx: map[string]*group{}}
	all, ungrouped := inv.group("all", pos.Pos{}), inv.group("ungrouped", pos.Pos{})
	inv.addChild(all, ungrouped, pos.Pos{}, nil)
	return inv
}

// localhostNames are the names Ansible takes for the controller (its
// LOCALHOST setting).
var localhostNames = []string{"localhost", "127.0.0.1", "::1"}

// group returns the named group, creating it on first use.
func (inv *Inventory) group(name string, p pos.Pos) *group {
	if g, ok := inv.groupIdx[name]; ok {
		return g
	}
	g := &group{name: name, vars: map[string]any{}, priority: 1, edgePos: map[string]pos.Pos{}, hostSet: map[string]bool{}, pos: p}
	inv.groups = append(inv.groups, g)
	inv.groupIdx[name] = g
	return g
}

const (
	// maxHosts caps the number of hosts of an inventory.
	maxHosts = 100_000
	// maxMembers caps the number of host-in-group memberships.
	maxMembers = 2_000_000
)

// roomFor reports whether putting names in g stays under maxHosts and
// maxMembers, and records an error at p the first time it does not.
func (inv *Inventory) roomFor(g *group, names []string, p pos.Pos, errs *pos.List) bool {
	if inv.full {
		return false
	}
	hosts, members := len(inv.hosts), inv.memberCount
	for _, name := range names {
		if _, ok := inv.hostIdx[name]; !ok {
			hosts++
		}
		if !g.hostSet[name] {
			members++
		}
	}
	if hosts <= maxHosts && members <= maxMembers {
		return true
	}
	inv.full = true
	errs.Errorf(p, "inventory has more than %d hosts or %d group memberships", maxHosts, maxMembers)
	return false
}

// addHost puts the host in the group, creating the host on first use.
func (inv *Inventory) addHost(g *group, name, source string) *host {
	h, ok := inv.hostIdx[name]
	if !ok {
		h = &host{name: name, idx: len(inv.hosts), vars: map[string]any{}, source: source}
		inv.hosts = append(inv.hosts, h)
		inv.hostIdx[name] = h
		if inv.localhost == nil && slices.Contains(localhostNames, name) {
			inv.localhost = h
		}
	}
	if !g.hostSet[name] {
		g.hostSet[name] = true
		inv.memberCount++
		g.hosts = append(g.hosts, name)
	}
	return h
}

// addChild makes child a child group of parent.
func (inv *Inventory) addChild(parent, child *group, p pos.Pos, errs *pos.List) {
	if child.name == "all" {
		errs.Errorf(p, "group all cannot be a child of group %q", parent.name)
		return
	}
	if _, ok := parent.edgePos[child.name]; ok {
		return
	}
	parent.children = append(parent.children, child.name)
	parent.edgePos[child.name] = p
	child.parents = append(child.parents, parent.name)
}

// setGroupVar sets a group variable from the inventory; the special
// ansible_group_priority sets the group's priority instead.
func setGroupVar(g *group, key string, value any, p pos.Pos, errs *pos.List) {
	if key != "ansible_group_priority" {
		g.vars[key] = value
		setPos(&g.varPos, key, p)
		return
	}
	switch v := value.(type) {
	case int:
		g.priority = v
		return
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			g.priority = n
			return
		}
	}
	errs.Errorf(p, "ansible_group_priority of group %q must be an integer, not %v", g.name, value)
}

// finish does what Ansible does once every source is read: it checks for
// cycles, hangs parentless groups under all, puts the hosts of no other
// group in ungrouped, makes the implicit localhost when no host is named
// localhost, and works out depths, memberships and each host's groups in
// precedence order.
func (inv *Inventory) finish(errs *pos.List) {
	if inv.localhost == nil {
		inv.localhost = &host{name: "localhost", idx: -1, vars: map[string]any{"ansible_connection": "local"}}
		inv.implicit = true
	}
	if inv.findCycles(errs) {
		return
	}
	all := inv.groupIdx["all"]
	for _, g := range inv.groups {
		if g != all && len(g.parents) == 0 {
			inv.addChild(all, g, g.pos, errs)
		}
	}
	inv.fillAllAndUngrouped()
	inv.computeDepths()
	inv.computeMembers()
	inv.computeHostGroups()
}

// fillAllAndUngrouped puts the hosts that are in no group but all in
// ungrouped, as Ansible's reconcile_inventory: those a source put there
// keep their places, the others follow in inventory order; a host a source
// put in ungrouped and another in a group leaves ungrouped. all keeps only
// the hosts put in it directly.
func (inv *Inventory) fillAllAndUngrouped() {
	all, ungrouped := inv.groupIdx["all"], inv.groupIdx["ungrouped"]
	grouped := map[string]bool{}
	for _, g := range inv.groups {
		if g != all && g != ungrouped {
			for _, h := range g.hosts {
				grouped[h] = true
			}
		}
	}
	var list []string
	in := map[string]bool{}
	for _, h := range ungrouped.hosts {
		if !grouped[h] {
			list, in[h] = append(list, h), true
		}
	}
	for _, h := range inv.hosts {
		if !grouped[h.name] && !in[h.name] {
			list = append(list, h.name)
		}
	}
	ungrouped.hosts = list
	ungrouped.hostSet = make(map[string]bool, len(list))
	for _, h := range list {
		ungrouped.hostSet[h] = true
	}
}

// computeDepths sets every group's depth: all is 0, a group one more than
// its deepest parent.
func (inv *Inventory) computeDepths() {
	depth := map[*group]int{inv.groupIdx["all"]: 0}
	var depthOf func(g *group) int
	depthOf = func(g *group) int {
		if d, ok := depth[g]; ok {
			return d
		}
		d := 0
		for _, p := range g.parents {
			d = max(d, depthOf(inv.groupIdx[p])+1)
		}
		depth[g] = d
		return d
	}
	for _, g := range inv.groups {
		g.depth = depthOf(g)
	}
}

// computeHostGroups lists each host's groups, its own and all their
// ancestors but all, in precedence order: shallow before deep, then by
// ansible_group_priority, then by name.
func (inv *Inventory) computeHostGroups() {
	all := inv.groupIdx["all"]
	anc := map[*group][]*group{}
	var ancestors func(g *group) []*group
	ancestors = func(g *group) []*group {
		if a, ok := anc[g]; ok {
			return a
		}
		var list []*group
		seen := map[*group]bool{}
		if g != all {
			list, seen[g] = append(list, g), true
		}
		for _, p := range g.parents {
			for _, a := range ancestors(inv.groupIdx[p]) {
				if !seen[a] {
					list, seen[a] = append(list, a), true
				}
			}
		}
		anc[g] = list
		return list
	}
	inv.hostGroups = make(map[*host][]*group, len(inv.hosts))
	for _, g := range inv.groups {
		a := ancestors(g)
		for _, name := range g.hosts {
			h := inv.hostIdx[name]
			inv.hostGroups[h] = append(inv.hostGroups[h], a...)
		}
	}
	for h, gs := range inv.hostGroups {
		sort.Slice(gs, func(i, j int) bool {
			a, b := gs[i], gs[j]
			if a.depth != b.depth {
				return a.depth < b.depth
			}
			if a.priority != b.priority {
				return a.priority < b.priority
			}
			return a.name < b.name
		})
		inv.hostGroups[h] = slices.Compact(gs) // a group's copies sort together
	}
}

// computeMembers lists, for every group, the hosts in it or in any of its
// descendants in the order Ansible's Group.get_hosts gives them: the
// group's own hosts in inventory order, then those of its descendants,
// breadth first (children in the order they were added), each host once.
// Where Ansible walks a level of several groups in the order of a Python
// set (its order is the groups' addresses), this takes them in the order
// they were reached.
func (inv *Inventory) computeMembers() {
	inv.members = make(map[string][]string, len(inv.groups))
	inv.membersAny = make(map[string][]any, len(inv.groups))
	for _, g := range inv.groups {
		var names []string
		seen := map[string]bool{}
		for _, d := range inv.descendants(g) {
			for _, h := range d.hosts {
				if !seen[h] {
					seen[h] = true
					names = append(names, h)
				}
			}
		}
		anys := make([]any, len(names))
		for i, n := range names {
			anys[i] = n
		}
		inv.members[g.name], inv.membersAny[g.name] = names, anys
	}
}

// descendants lists g and the groups under it, breadth first, as Ansible's
// get_descendants(include_self=True, preserve_ordering=True).
func (inv *Inventory) descendants(g *group) []*group {
	list := []*group{g}
	seen := map[*group]bool{g: true}
	for i := 0; i < len(list); i++ {
		for _, c := range list[i].children {
			if cg := inv.groupIdx[c]; !seen[cg] {
				seen[cg] = true
				list = append(list, cg)
			}
		}
	}
	return list
}

// findCycles reports every parent-child cycle at the link that closes it.
func (inv *Inventory) findCycles(errs *pos.List) bool {
	const (
		white = iota
		grey
		black
	)
	color := map[*group]int{}
	var stack []string
	found := false
	var visit func(g *group)
	visit = func(g *group) {
		color[g] = grey
		stack = append(stack, g.name)
		for _, c := range g.children {
			cg := inv.groupIdx[c]
			switch color[cg] {
			case white:
				visit(cg)
			case grey:
				i := len(stack) - 1
				for stack[i] != c {
					i--
				}
				path := append(append([]string{}, stack[i:]...), c)
				errs.Errorf(g.edgePos[c], "group cycle: %s", strings.Join(path, " -> "))
				found = true
			}
		}
		stack = stack[:len(stack)-1]
		color[g] = black
	}
	for _, g := range inv.groups {
		if color[g] == white {
			visit(g)
		}
	}
	return found
}
