package jinja

import (
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// RewriteTests returns src with every test call's parenthesised
// arguments made a call of the argument packer: gonja's parser takes one
// literal or variable after a test's name, so `x is version('1.0',
// operator='lt')` does not parse and `x is version('1.0', '<')` passes
// one tuple; `x is version __lvslab_args__('1.0', operator='lt')` passes
// the arguments, positional and keyword, to the test. Render templates
// through it (with the same config) before gonja parses them.
func RewriteTests(src string, cfg *config.Config) string {
	if !strings.Contains(src, " is ") && !strings.Contains(src, "\nis ") && !strings.Contains(src, "\tis ") {
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
	var inserts []int
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].Type != tokens.Is {
			continue
		}
		j := i + 1
		if toks[j].Type == tokens.Not {
			j++
		}
		if j+1 < len(toks) && toks[j].Type == tokens.Name && toks[j+1].Type == tokens.LeftParenthesis {
			inserts = append(inserts, toks[j+1].Pos)
		}
	}
	if len(inserts) == 0 {
		return src
	}
	var b strings.Builder
	last := 0
	for _, p := range inserts {
		b.WriteString(src[last:p] + " " + packArgsName)
		last = p
	}
	b.WriteString(src[last:])
	return b.String()
}
