package inventory

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseLiteral reads an INI value the way Ansible does, with Python's
// ast.literal_eval: integers, floats, quoted strings, True, False, None,
// lists, tuples (as lists) and dicts; anything else is the string itself.
// Lowercase true and false are strings, as there.
func parseLiteral(s string) any {
	p := &litParser{s: s}
	p.space()
	v, ok := p.expr(0)
	if !ok {
		return s
	}
	p.space()
	if p.i != len(p.s) {
		return s
	}
	return v
}

type litParser struct {
	s string
	i int
}

// space skips blanks and a trailing Python comment.
func (p *litParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t':
			p.i++
		case '#':
			p.i = len(p.s)
		default:
			return
		}
	}
}

func (p *litParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *litParser) expr(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	switch c := p.peek(); {
	case c == '[':
		p.i++
		return p.items(']', depth)
	case c == '(':
		p.i++
		start := p.i
		l, ok := p.items(')', depth)
		if !ok {
			return nil, false
		}
		if len(l) == 1 && !strings.HasSuffix(strings.TrimRight(p.s[start:p.i-1], " \t"), ",") {
			return l[0], true
		}
		return l, true
	case c == '{':
		p.i++
		return p.dict(depth)
	case c == '\'' || c == '"':
		var b strings.Builder
		for c := p.peek(); c == '\'' || c == '"'; c = p.peek() {
			s, ok := p.str()
			if !ok {
				return nil, false
			}
			b.WriteString(s)
			p.space()
		}
		return b.String(), true
	case c == '-' || c == '+':
		p.i++
		p.space()
		v, ok := p.number()
		if !ok {
			return nil, false
		}
		if c == '-' {
			switch n := v.(type) {
			case int:
				return -n, true
			case float64:
				return -n, true
			}
		}
		return v, true
	case c >= '0' && c <= '9' || c == '.':
		return p.number()
	}
	start := p.i
	for p.i < len(p.s) && (isLetter(p.s[p.i]) || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
		p.i++
	}
	switch p.s[start:p.i] {
	case "True":
		return true, true
	case "False":
		return false, true
	case "None":
		return nil, true
	}
	return nil, false
}

// items reads comma-separated expressions up to the closing byte.
func (p *litParser) items(closing byte, depth int) ([]any, bool) {
	l := []any{}
	for {
		p.space()
		if p.peek() == closing {
			p.i++
			return l, true
		}
		v, ok := p.expr(depth + 1)
		if !ok {
			return nil, false
		}
		l = append(l, v)
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case closing:
		default:
			return nil, false
		}
	}
}

// dict reads key: value pairs up to '}'. Keys become strings.
func (p *litParser) dict(depth int) (any, bool) {
	m := map[string]any{}
	for {
		p.space()
		if p.peek() == '}' {
			p.i++
			return m, true
		}
		k, ok := p.expr(depth + 1)
		if !ok {
			return nil, false
		}
		switch k.(type) {
		case []any, map[string]any:
			return nil, false
		}
		p.space()
		if p.peek() != ':' {
			return nil, false
		}
		p.i++
		p.space()
		v, ok := p.expr(depth + 1)
		if !ok {
			return nil, false
		}
		m[literalKey(k)] = v
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
		default:
			return nil, false
		}
	}
}

// literalKey writes a dict key as Python's str() would.
func literalKey(k any) string {
	switch t := k.(type) {
	case string:
		return t
	case bool:
		if t {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	return fmt.Sprint(k)
}

// number reads a Python int or float.
func (p *litParser) number() (any, bool) {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '.' {
			p.i++
			continue
		}
		if (c == '+' || c == '-') && p.i > start && (p.s[p.i-1] == 'e' || p.s[p.i-1] == 'E') && !strings.ContainsAny(p.s[start:p.i], "xXbBoO") {
			p.i++
			continue
		}
		break
	}
	return pyNumber(p.s[start:p.i])
}

// pyNumber reads a Python 3 int literal (42, 0x1F, 0o17, 0b101, 1_000) or
// float literal (1.5, .5, 1e3, 1_000.5); 0755 and 1j are not numbers here.
func pyNumber(text string) (any, bool) {
	if strings.HasSuffix(text, "_") || strings.Contains(text, "__") || strings.Contains(text, "_.") || strings.Contains(text, "._") {
		return nil, false
	}
	lower := strings.ToLower(text)
	if len(lower) > 1 && lower[0] == '0' && strings.ContainsRune("xob", rune(lower[1])) {
		n, err := strconv.ParseInt(text, 0, 64)
		if err != nil {
			return nil, false
		}
		return int(n), true
	}
	if strings.ContainsAny(lower, ".e") {
		if strings.ContainsAny(lower, "abcdfghijklmnopqrstuvwxyz") || strings.Contains(lower, "e_") || strings.Contains(lower, "_e") {
			return nil, false
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, false
		}
		return f, true
	}
	digits := strings.ReplaceAll(text, "_", "")
	if digits == "" || strings.Trim(digits, "0123456789") != "" || text[0] == '_' {
		return nil, false
	}
	if len(digits) > 1 && digits[0] == '0' && strings.Trim(digits, "0") != "" {
		return nil, false // Python 3 has no 0755
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return nil, false
	}
	return n, true
}

// str reads one single- or double-quoted Python string with its escapes.
func (p *litParser) str() (string, bool) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), true
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", false
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if p.i+n > len(p.s) {
				return "", false
			}
			r, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
			if err != nil || r > utf8.MaxRune {
				return "", false
			}
			b.WriteRune(rune(r))
			p.i += n
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return "", false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
