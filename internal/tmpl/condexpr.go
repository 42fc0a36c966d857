package tmpl

import (
	"fmt"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2/exec"

	"lvslab/internal/jinja"
)

// gonja parses a conditional expression (a if b else c) only at the top of
// {{ }}; Jinja2 takes one anywhere an expression goes: in parentheses, a
// list, a dict's value, a call's or filter's argument. condExprs rewrites
// each such one, inside tags, into a call of the conditional global with
// the condition and the number of its branches, compiled here:
//
//	(x if ok else y) | upper    →    (__lvslab_if__(ok, 7)) | upper
//
// The global evaluates only the branch chosen, as Jinja2 does.

const condGlobal = "__lvslab_if__"

var (
	branchMu sync.Mutex
	branches []condBranches
)

type condBranches struct{ then, els *compiled } // els nil: no else (None)

// condCall is the conditional global: condCall(cond, n) evaluates branch n's
// then or else expression in the caller's scope.
func condCall(e *exec.Evaluator, args *exec.VarArgs) *exec.Value {
	if len(args.Args) != 2 || !args.Args[1].IsInteger() {
		return exec.AsValue(fmt.Errorf("%s: internal call with %d arguments", condGlobal, len(args.Args)))
	}
	cond := args.Args[0]
	if cond.IsError() {
		return cond
	}
	branchMu.Lock()
	b := branches[args.Args[1].Integer()]
	branchMu.Unlock()
	c := b.els
	if jinja.Truth(cond.ToGoSimpleType(false)) {
		c = b.then
	}
	if c == nil {
		return exec.AsValue(nil)
	}
	return evalOutput(e, c.single)
}

// condExprs rewrites conditional expressions inside groups (see above).
func condExprs(text string) (string, error) {
	if !strings.Contains(text, "if") || !strings.Contains(text, "else") && !strings.Contains(text, " if ") {
		return text, nil
	}
	var out []byte
	type group struct {
		open  byte
		start int // in out, after the opening character
	}
	var stack []group
	inTag, output, tagStart := false, false, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case !inTag:
			if i+1 < len(text) && c == '{' && (text[i+1] == '{' || text[i+1] == '%') {
				inTag, stack = true, stack[:0]
				output = text[i+1] == '{'
				out = append(out, text[i:i+2]...)
				tagStart = len(out)
				i++
				continue
			}
		case c == '\'' || c == '"':
			n := literalLen(text[i:])
			out = append(out, text[i:i+n]...)
			i += n - 1
			continue
		case c == '(' || c == '[' || c == '{':
			out = append(out, c)
			stack = append(stack, group{c, len(out)})
			continue
		case len(stack) > 0 && (c == ')' || c == ']' || c == '}'):
			g := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			body, err := rewriteGroup(string(out[g.start:]), g.open == '{')
			if err != nil {
				return "", err
			}
			out = append(out[:g.start], body...)
		case i+1 < len(text) && (c == '}' || c == '%') && text[i+1] == '}':
			inTag = false
			if output && c == '}' {
				body, err := chainedCond(string(out[tagStart:]))
				if err != nil {
					return "", err
				}
				out = append(out[:tagStart], body...)
			}
			out = append(out, text[i:i+2]...)
			i++
			continue
		}
		out = append(out, c)
	}
	return string(out), nil
}

// chainedCond rewrites the body of a {{ }} that is a chain of conditional
// expressions (a if b else c if d else e), which gonja does not parse at
// the top either; a single one it parses is left to it.
func chainedCond(body string) (string, error) {
	inner := strings.TrimSuffix(strings.TrimPrefix(body, "-"), "-")
	seenElse := false
	chained := false
	for _, w := range topWords(inner) {
		switch {
		case w.word == "else":
			seenElse = true
		case w.word == "if" && seenElse:
			chained = true
		}
	}
	if !chained {
		return body, nil
	}
	r, ok, err := rewriteCond(inner)
	if err != nil || !ok {
		return body, err
	}
	lead, trail := "", ""
	if strings.HasPrefix(body, "-") {
		lead = "-"
	}
	if strings.HasSuffix(body, "-") && len(body) > 1 {
		trail = "-"
	}
	return lead + r + trail, nil
}

// literalLen is the length of the string literal at the start of s, as
// gonja's lexer reads it (normalize has made it so).
func literalLen(s string) int {
	for i := 1; i < len(s); i++ {
		if s[i] == s[0] && s[i-1] != '\\' {
			return i + 1
		}
	}
	return len(s)
}

// rewriteGroup rewrites the conditional expressions among a group's items
// (split at its top-level commas; in a dict, the values after the colon).
func rewriteGroup(body string, dict bool) (string, error) {
	items := splitTop(body, ',')
	changed := false
	for i, it := range items {
		prefix := ""
		if dict {
			kv := splitTop(it, ':')
			if len(kv) < 2 {
				continue
			}
			prefix, it = kv[0]+":", strings.Join(kv[1:], ":")
		}
		r, ok, err := rewriteCond(it)
		if err != nil {
			return "", err
		}
		if ok {
			items[i], changed = prefix+r, true
		}
	}
	if !changed {
		return body, nil
	}
	return strings.Join(items, ","), nil
}

// rewriteCond rewrites one item "A if B else C" (or "A if B").
func rewriteCond(item string) (string, bool, error) {
	words := topWords(item)
	ifAt, elseAt := -1, -1
	for _, w := range words {
		switch {
		case w.word == "if" && ifAt < 0:
			ifAt = w.at
		case w.word == "else" && ifAt >= 0:
			elseAt = w.at
		}
		if elseAt >= 0 {
			break
		}
	}
	if ifAt < 0 || strings.TrimSpace(item[:ifAt]) == "" {
		return "", false, nil
	}
	then, cond, els := item[:ifAt], item[ifAt+2:], ""
	if elseAt >= 0 {
		cond, els = item[ifAt+2:elseAt], item[elseAt+4:]
	}
	var b condBranches
	var err error
	if b.then, err = compile("", "{{ "+then+" }}"); err != nil {
		return "", false, err
	}
	if elseAt >= 0 {
		if b.els, err = compile("", "{{ "+els+" }}"); err != nil {
			return "", false, err
		}
	}
	if b.then.single == nil || b.els != nil && b.els.single == nil {
		return "", false, fmt.Errorf("conditional expression %q: not one expression", strings.TrimSpace(item))
	}
	branchMu.Lock()
	n := len(branches)
	branches = append(branches, b)
	branchMu.Unlock()
	return fmt.Sprintf(" %s(%s, %d) ", condGlobal, strings.TrimSpace(cond), n), true, nil
}

// splitTop splits s at sep where it is outside literals and groups.
func splitTop(s string, sep byte) []string {
	var parts []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"':
			i += literalLen(s[i:]) - 1
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == sep && depth == 0:
			parts = append(parts, s[last:i])
			last = i + 1
		}
	}
	return append(parts, s[last:])
}

type wordAt struct {
	word string
	at   int
}

// topWords lists the words of s outside literals and groups, with their
// offsets.
func topWords(s string) []wordAt {
	var out []wordAt
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"':
			i += literalLen(s[i:]) - 1
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case isWordStart(c) && (i == 0 || !isWordChar(s[i-1])):
			j := i
			for j < len(s) && isWordChar(s[j]) {
				j++
			}
			if depth == 0 {
				out = append(out, wordAt{s[i:j], i})
			}
			i = j - 1
		}
	}
	return out
}

func isWordStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isWordChar(c byte) bool  { return isWordStart(c) || c >= '0' && c <= '9' || c == '.' }
