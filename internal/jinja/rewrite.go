package jinja

import (
	"sort"
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// RewriteTests returns src rewritten for gonja's parser, which does not
// read two forms Ansible's templates use:
//
//   - test calls with arguments: gonja takes one literal or variable after
//     a test's name, so `x is version('1.0', operator='lt')` does not
//     parse and `x is version('1.0', '<')` passes one tuple; `x is version
//     __lvslab_args__('1.0', operator='lt')` passes the arguments,
//     positional and keyword, to the test;
//   - qualified filter names (`| ansible.utils.ipaddr`), which gonja's
//     parser cannot read (a filter's name is one identifier): those of a
//     filter this package has under that collection become its name here.
//
// Render templates through it (with the same config) before gonja parses
// them.
func RewriteTests(src string, cfg *config.Config) string {
	if !strings.Contains(src, " is ") && !strings.Contains(src, "\nis ") && !strings.Contains(src, "\tis ") &&
		!strings.Contains(src, "ansible.") {
		return src
	}
	var toks []*tokens.Token
	stream := tokens.LexAll(src, cfg)
	for !stream.End() {
		t := stream.Next()
		if t.Type == tokens.EOF || t.Type == tokens.Error {
			break
		}
		if t.Type != tokens.Whitespace {
			toks = append(toks, t)
		}
	}
	type edit struct {
		start, end int
		text       string
	}
	var edits []edit
	for i := 0; i+2 < len(toks); i++ {
		switch toks[i].Type {
		case tokens.Is:
			j := i + 1
			if toks[j].Type == tokens.Not {
				j++
			}
			if j+1 < len(toks) && toks[j].Type == tokens.Name && toks[j+1].Type == tokens.LeftParenthesis {
				edits = append(edits, edit{toks[j+1].Pos, toks[j+1].Pos, " " + packArgsName})
			}
		case tokens.Pipe:
			if name, end, ok := qualifiedFilter(toks[i+1:]); ok {
				edits = append(edits, edit{toks[i+1].Pos, end, name})
			}
		}
	}
	if len(edits) == 0 {
		return src
	}
	sort.SliceStable(edits, func(a, b int) bool { return edits[a].start < edits[b].start })
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(src[last:e.start] + e.text)
		last = e.end
	}
	b.WriteString(src[last:])
	return b.String()
}

// qualifiedFilters are the collections whose filters this package has:
// the names Ansible 2.14 resolves in them and the filter each is here.
var qualifiedFilters = map[string]map[string]string{
	"ansible.utils":     withName(ipFilterNames, "ip4_hex", ip4HexName),
	"ansible.netcommon": withName(ipFilterNames, "", ""),
	"ansible.builtin":   withName(ipFilterNames, "", ""),
}

// withName maps names to themselves, and name (if not "") to filter.
func withName(names []string, name, filter string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = n
	}
	if name != "" {
		m[name] = filter
	}
	return m
}

// qualifiedFilter reads `ns.collection.name` at the start of toks: the
// bare name and where the qualified one ends in the source.
func qualifiedFilter(toks []*tokens.Token) (string, int, bool) {
	if len(toks) < 5 {
		return "", 0, false
	}
	for i, want := range []tokens.Type{tokens.Name, tokens.Dot, tokens.Name, tokens.Dot, tokens.Name} {
		if toks[i].Type != want {
			return "", 0, false
		}
	}
	name := toks[4].Val
	filter, ok := qualifiedFilters[toks[0].Val+"."+toks[2].Val][name]
	return filter, toks[4].Pos + len(name), ok
}
