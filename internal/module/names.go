package module

import (
	"sort"
	"strings"
)

// collections are the Ansible collections whose module X is lvslab's
// module X, where lvslab has one: a task may say ansible.builtin.copy,
// ansible.legacy.shell, ansible.posix.sysctl, community.general.X or
// community.mysql.mysql_user. The
// collection is not checked against the module (ansible.builtin.sysctl is
// sysctl too, though Ansible keeps it in ansible.posix).
var collections = []string{"ansible.builtin.", "ansible.legacy.", "ansible.posix.", "community.general.", "community.mysql."}

// Canonical returns the module name a task's module key means: name without
// one of the collections' prefixes; any other name as it is.
func Canonical(name string) string {
	for _, c := range collections {
		if rest, ok := strings.CutPrefix(name, c); ok && rest != "" {
			return rest
		}
	}
	return name
}

// Resolve returns the registered module that name (a short name or an
// FQCN of the collections) means, and whether there is one.
func (r *Registry) Resolve(name string) (string, bool) {
	c := Canonical(name)
	return c, r.Has(c)
}

// CloseNames returns the names of known that look like name (a typo of
// one, or one containing it), nearest first, at most three.
func CloseNames(name string, known []string) []string {
	name = Canonical(name)
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, k := range known {
		d := editDistance(name, k)
		switch {
		case d <= max(1, min(len(name), len(k))/3):
		case len(name) >= 3 && (strings.Contains(k, name) || strings.Contains(name, k)):
			d = 3
		default:
			continue
		}
		cs = append(cs, cand{k, d})
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance of a and b (in bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
