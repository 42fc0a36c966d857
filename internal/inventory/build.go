package inventory

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"lvslab/internal/pos"
)

// newInventory returns an inventory with the two groups every inventory
// has: all and ungrouped.
func newInventory() *Inventory {
	inv := &Inventory{hostIdx: map[string]*host{}, groupIdx: map[string]*group{}}
	inv.group("all", pos.Pos{})
	inv.group("ungrouped", pos.Pos{})
	return inv
}

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
// cycles, hangs parentless groups under all, puts every host in all and the
// hosts of no other group in ungrouped, and works out depths, memberships
// and each host's groups in precedence order.
func (inv *Inventory) finish(errs *pos.List) {
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

// fillAllAndUngrouped puts every host in all, and those of no other group
// in ungrouped.
func (inv *Inventory) fillAllAndUngrouped() {
	all, ungrouped := inv.groupIdx["all"], inv.groupIdx["ungrouped"]
	all.hosts = inv.Hosts()
	grouped := map[string]bool{}
	for _, g := range inv.groups {
		if g != all && g != ungrouped {
			for _, h := range g.hosts {
				grouped[h] = true
			}
		}
	}
	ungrouped.hosts = nil
	for _, h := range inv.hosts {
		if !grouped[h.name] {
			ungrouped.hosts = append(ungrouped.hosts, h.name)
		}
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
// descendants, in inventory order.
func (inv *Inventory) computeMembers() {
	desc := map[*group][]*group{}
	var descendants func(g *group) []*group
	descendants = func(g *group) []*group {
		if d, ok := desc[g]; ok {
			return d
		}
		list := []*group{g}
		seen := map[*group]bool{g: true}
		for _, c := range g.children {
			for _, d := range descendants(inv.groupIdx[c]) {
				if !seen[d] {
					list, seen[d] = append(list, d), true
				}
			}
		}
		desc[g] = list
		return list
	}
	stamp := make([]int, len(inv.hosts)) // the last group (numbered from 1) that took the host
	inv.members = make(map[string][]string, len(inv.groups))
	inv.membersAny = make(map[string][]any, len(inv.groups))
	for n, g := range inv.groups {
		var idx []int
		for _, d := range descendants(g) {
			for _, name := range d.hosts {
				if i := inv.hostIdx[name].idx; stamp[i] != n+1 {
					stamp[i] = n + 1
					idx = append(idx, i)
				}
			}
		}
		sort.Ints(idx)
		names, anys := make([]string, len(idx)), make([]any, len(idx))
		for k, i := range idx {
			names[k], anys[k] = inv.hosts[i].name, inv.hosts[i].name
		}
		inv.members[g.name], inv.membersAny[g.name] = names, anys
	}
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
