package inventory

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	patternTerm      = regexp.MustCompile(`(?:[^\s:\[\]]|\[[^\]]*\])+`)
	patternSubscript = regexp.MustCompile(`^(.+)\[(?:(-?[0-9]+)|([0-9]+)[:-]([0-9]*))\]$`)
)

// Match resolves an Ansible host pattern to host names, in Ansible's order
// and without duplicates. A pattern is terms joined by ',' (or ':' when
// there is no comma): "all" or "*", a host or group name, a glob ("rs*",
// "*.example.com"), a regular expression ("~rs0[12]"), optionally with a
// subscript ("realservers[0]", "realservers[0:1]"). A term prefixed with '&'
// intersects and one prefixed with '!' excludes; as in Ansible, unions are
// taken first, then intersections, then exclusions, whatever their order in
// the pattern. The hosts come term by term, each term's in the order of
// the groups it matches (a group's own hosts, then its children's, breadth
// first), then the hosts it matches by name. A term naming localhost,
// 127.0.0.1 or ::1 that matches nothing selects the inventory's localhost:
// the first host so named, or the implicit localhost. A pattern that
// matches nothing gives an empty list; a malformed one (a bad regular
// expression, an empty term after '&' or '!') is an error.
func (inv *Inventory) Match(pattern string) ([]string, error) {
	if !utf8.ValidString(pattern) {
		return nil, fmt.Errorf("invalid host pattern %q: not UTF-8", pattern)
	}
	var unions, inters, excls []string
	for _, t := range splitPattern(pattern) {
		switch t[0] {
		case '&':
			inters = append(inters, t[1:])
		case '!':
			excls = append(excls, t[1:])
		default:
			unions = append(unions, t)
		}
	}
	out := []string{}
	if len(unions)+len(inters)+len(excls) == 0 {
		return out, nil
	}
	if len(unions) == 0 {
		unions = []string{"all"}
	}
	selected := map[string]bool{}
	for _, t := range unions {
		hosts := []string{t} // a host's own name is that host, as Ansible's _evaluate_patterns
		if !inv.HasHost(t) {
			var err error
			if hosts, err = inv.matchTerm(t); err != nil {
				return nil, err
			}
		}
		for _, h := range hosts {
			if !selected[h] {
				selected[h] = true
				out = append(out, h)
			}
		}
	}
	for i, list := range [][]string{inters, excls} {
		for _, t := range list {
			hosts, err := inv.matchTerm(strings.TrimSpace(t))
			if err != nil {
				return nil, err
			}
			in := map[string]bool{}
			for _, h := range hosts {
				in[h] = true
			}
			out = slices.DeleteFunc(out, func(h string) bool { return in[h] == (i == 1) })
		}
	}
	return out, nil
}

// splitPattern splits a pattern into terms as Ansible's split_host_pattern
// does: on commas when there are any, else on colons outside brackets
// (unless the whole pattern is an IPv6 address).
func splitPattern(pattern string) []string {
	p := strings.TrimSpace(pattern)
	var parts []string
	switch {
	case strings.Contains(p, ","):
		parts = strings.Split(p, ",")
	case strings.Contains(p, ":") && net.ParseIP(p) != nil:
		parts = []string{p}
	default:
		parts = patternTerm.FindAllString(p, -1)
	}
	var out []string
	for _, t := range parts {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// matchTerm resolves one term without its '&' or '!' prefix: the hosts of
// every matching group, then the matching hosts, then the subscript.
func (inv *Inventory) matchTerm(term string) ([]string, error) {
	if term == "" {
		return nil, fmt.Errorf("invalid host pattern: empty term after '&' or '!'")
	}
	if term == "all" || term == "*" {
		return slices.Clone(inv.members["all"]), nil
	}
	expr, sub := term, (*subscript)(nil)
	if term[0] != '~' {
		if m := patternSubscript.FindStringSubmatch(term); m != nil {
			expr, sub = m[1], parseSubscript(m)
		}
	}
	re, err := compileTerm(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid host pattern %q: %w", term, err)
	}
	var hosts []string
	seen := map[string]bool{}
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	groupMatched := false
	for _, g := range inv.groups {
		if re.MatchString(g.name) {
			groupMatched = true
			for _, h := range inv.members[g.name] {
				add(h)
			}
		}
	}
	if !groupMatched || expr[0] == '~' || strings.ContainsAny(expr, ".?*[") {
		for _, h := range inv.hosts {
			if re.MatchString(h.name) {
				add(h.name)
			}
		}
	}
	if len(hosts) == 0 && slices.Contains(localhostNames, expr) {
		hosts = []string{inv.localhost.name}
	}
	return sub.apply(hosts), nil
}

// compileTerm compiles "~regex" (matched at the start of a name, as
// Python's re.match) or a shell glob (the whole name, as fnmatch).
func compileTerm(expr string) (*regexp.Regexp, error) {
	if r, ok := strings.CutPrefix(expr, "~"); ok {
		return regexp.Compile(`^(?:` + r + `)`)
	}
	return regexp.Compile(`^(?s:` + globToRegexp(expr) + `)\z`)
}

// globToRegexp translates a glob as Python's fnmatch.translate does: '*',
// '?', '[seq]' and '[!seq]'; an unclosed '[' is literal.
func globToRegexp(glob string) string {
	var b strings.Builder
	n := len(glob)
	for i := 0; i < n; i++ {
		c := glob[i]
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < n && glob[j] == '!' {
				j++
			}
			if j < n && glob[j] == ']' {
				j++
			}
			for j < n && glob[j] != ']' {
				j++
			}
			if j >= n {
				b.WriteString(`\[`)
				continue
			}
			stuff := strings.ReplaceAll(glob[i+1:j], `\`, `\\`)
			switch {
			case strings.HasPrefix(stuff, "!"):
				stuff = "^" + stuff[1:]
			case strings.HasPrefix(stuff, "^"), strings.HasPrefix(stuff, "["):
				stuff = `\` + stuff
			}
			b.WriteString("[" + stuff + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	return b.String()
}

// subscript is a term's [i] or [start:end] (end inclusive; -1 is the last).
type subscript struct {
	start, end int
	single     bool
}

func parseSubscript(m []string) *subscript {
	if m[2] != "" {
		n, err := strconv.Atoi(m[2])
		if err != nil {
			n = 1 << 30 // out of range: selects nothing
		}
		return &subscript{start: n, single: true}
	}
	start, err := strconv.Atoi(m[3])
	if err != nil {
		start = 1 << 30
	}
	end := -1
	if m[4] != "" {
		if end, err = strconv.Atoi(m[4]); err != nil {
			end = 1 << 30
		}
	}
	if end == 0 { // Ansible treats [n:0] as [n]
		return &subscript{start: start, single: true}
	}
	return &subscript{start: start, end: end}
}

// apply selects the subscripted hosts; out of range selects nothing.
func (s *subscript) apply(hosts []string) []string {
	if s == nil || len(hosts) == 0 {
		return hosts
	}
	n := len(hosts)
	if s.single {
		i := s.start
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil
		}
		return hosts[i : i+1]
	}
	end := s.end
	if end == -1 || end >= n {
		end = n - 1
	}
	if s.start > end {
		return nil
	}
	return hosts[s.start : end+1]
}
