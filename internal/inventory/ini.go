package inventory

import (
	"errors"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"lvslab/internal/pos"
)

var (
	iniSection   = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`)
	iniGroupName = regexp.MustCompile(`^([^:\]\s]+)\s*(?:#.*)?$`)
)

// iniParser reads one INI file into an inventory, as Ansible's ini plugin
// does.
type iniParser struct {
	inv  *Inventory
	file string
	errs *pos.List
	// known are the groups Ansible would know by now: those of earlier
	// sources and those named by a section header.
	known        map[string]bool
	pendingVars  map[string]pos.Pos // [g:vars] before g is declared
	pendingChild map[string]pendingChild
}

type pendingChild struct {
	at     pos.Pos
	parent string
}

// parseINI reads an inventory in Ansible's INI format: host lines with
// inline key=value variables under [group] headers, [group:vars] and
// [group:children] sections, and ungrouped hosts before the first header.
func parseINI(inv *Inventory, file string, data []byte, errs *pos.List) {
	p := &iniParser{inv: inv, file: file, errs: errs, known: map[string]bool{},
		pendingVars: map[string]pos.Pos{}, pendingChild: map[string]pendingChild{}}
	for _, g := range inv.groups {
		p.known[g.name] = true
	}
	g, state := inv.groupIdx["ungrouped"], "hosts"
	text := strings.TrimPrefix(string(data), "\ufeff")
	for i, raw := range strings.Split(text, "\n") {
		raw = strings.TrimRight(raw, "\r")
		if !utf8.ValidString(raw) {
			col := 1
			for col <= len(raw) && utf8.ValidString(raw[:col]) {
				col++
			}
			errs.Errorf(pos.Pos{File: file, Line: i + 1, Col: col}, "invalid UTF-8")
			continue
		}
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		at := pos.Pos{File: file, Line: i + 1, Col: strings.Index(raw, line[:1]) + 1}
		if line[0] == '[' {
			g, state = p.section(line, at)
			continue
		}
		switch state {
		case "hosts":
			p.hostLine(g, raw, at)
		case "vars":
			p.varLine(g, line, at)
		case "children":
			p.childLine(g, line, at)
		}
	}
	var late pos.List
	for name, at := range p.pendingVars {
		late.Errorf(at, "section [%s:vars] is for undefined group %q", name, name)
	}
	for name, pc := range p.pendingChild {
		late.Errorf(pc.at, "section [%s:children] includes undefined group %q", pc.parent, name)
	}
	sort.Slice(late, func(i, j int) bool {
		a, b := late[i].(*pos.Error).Pos, late[j].(*pos.Error).Pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	*errs = append(*errs, late...)
}

// section reads a [group], [group:vars] or [group:children] header and
// returns the group and state that follow; state "skip" ignores lines after
// a bad header.
func (p *iniParser) section(line string, at pos.Pos) (*group, string) {
	m := iniSection.FindStringSubmatch(line)
	if m == nil {
		p.errs.Errorf(at, "invalid section header %q: want [group], [group:vars] or [group:children], without spaces", line)
		return nil, "skip"
	}
	name, state := m[1], m[2]
	if state == "" {
		state = "hosts"
	}
	if state != "hosts" && state != "vars" && state != "children" {
		p.errs.Errorf(at, "section [%s:%s] has unknown type %q: want vars or children", name, state, state)
		return nil, "skip"
	}
	if err := checkGroupName(name); err != nil {
		p.errs.Errorf(pos.Pos{File: at.File, Line: at.Line, Col: at.Col + 1}, "%w", err)
		return nil, "skip"
	}
	if !p.known[name] {
		if state == "vars" {
			if _, ok := p.pendingChild[name]; !ok {
				if _, ok := p.pendingVars[name]; !ok {
					p.pendingVars[name] = at
				}
			}
		}
		p.known[name] = true
	}
	if state != "vars" {
		delete(p.pendingChild, name)
		delete(p.pendingVars, name)
	}
	return p.inv.group(name, pos.Pos{File: at.File, Line: at.Line, Col: at.Col + 1}), state
}

// hostLine reads "host[:port] [key=value ...]"; the host may be a range.
func (p *iniParser) hostLine(g *group, raw string, at pos.Pos) {
	if p.inv.full {
		return
	}
	toks, err := shlexSplit(raw)
	if err != nil {
		var te *tokenError
		errors.As(err, &te)
		p.errs.Errorf(pos.Pos{File: at.File, Line: at.Line, Col: te.col}, "%s", te.msg)
		return
	}
	if len(toks) == 0 {
		return
	}
	names, port, err := expandHost(toks[0].s)
	if err != nil {
		p.errs.Errorf(pos.Pos{File: at.File, Line: at.Line, Col: toks[0].col}, "%w", err)
		return
	}
	vars := map[string]any{}
	places := map[string]pos.Pos{}
	bad := false
	for _, t := range toks[1:] {
		k, v, ok := strings.Cut(t.s, "=")
		switch {
		case !ok:
			p.errs.Errorf(pos.Pos{File: at.File, Line: at.Line, Col: t.col}, "expected key=value host variable, got %q", t.s)
			bad = true
		case k == "":
			p.errs.Errorf(pos.Pos{File: at.File, Line: at.Line, Col: t.col}, "empty variable name in %q", t.s)
			bad = true
		default:
			vars[k] = parseLiteral(v)
			places[k] = pos.Pos{File: at.File, Line: at.Line, Col: t.col + len(k) + 1}
		}
	}
	if bad {
		return
	}
	if port != 0 {
		vars["ansible_port"] = port
		places["ansible_port"] = pos.Pos{File: at.File, Line: at.Line, Col: toks[0].col}
	}
	if !p.inv.roomFor(g, names, pos.Pos{File: at.File, Line: at.Line, Col: toks[0].col}, p.errs) {
		return
	}
	for _, name := range names {
		h := p.inv.addHost(g, name, p.file)
		mergeVars(h.vars, vars)
		for k, q := range places {
			setPos(&h.varPos, k, q)
		}
	}
}

// varLine reads "key=value" in a [group:vars] section.
func (p *iniParser) varLine(g *group, line string, at pos.Pos) {
	k, v, ok := strings.Cut(line, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	switch {
	case !ok:
		p.errs.Errorf(at, "expected key=value, got %q", line)
	case k == "":
		p.errs.Errorf(at, "empty variable name in %q", line)
	default:
		setGroupVar(g, k, parseLiteral(v), at, p.errs)
	}
}

// childLine reads a group name in a [group:children] section.
func (p *iniParser) childLine(g *group, line string, at pos.Pos) {
	m := iniGroupName.FindStringSubmatch(line)
	if m == nil {
		p.errs.Errorf(at, "expected a group name, got %q", line)
		return
	}
	name := m[1]
	if err := checkGroupName(name); err != nil {
		p.errs.Errorf(at, "%w", err)
		return
	}
	if !p.known[name] {
		if _, ok := p.pendingChild[name]; !ok {
			p.pendingChild[name] = pendingChild{at, g.name}
		}
	}
	p.inv.addChild(g, p.inv.group(name, at), at, p.errs)
}

// token is one word of a host line and its 1-based column.
type token struct {
	s   string
	col int
}

// tokenError is a quoting mistake at a column.
type tokenError struct {
	col int
	msg string
}

func (e *tokenError) Error() string { return e.msg }

// shlexSplit splits a line as Python's shlex.split(line, comments=True)
// does: words separated by blanks, single and double quotes, backslash
// escapes, and '#' starting a comment outside quotes.
func shlexSplit(line string) ([]token, error) {
	var toks []token
	n := len(line)
	i := 0
	for {
		for i < n && isBlank(line[i]) {
			i++
		}
		if i >= n || line[i] == '#' {
			return toks, nil
		}
		start := i
		var b strings.Builder
		comment := false
	word:
		for i < n {
			switch c := line[i]; {
			case isBlank(c):
				break word
			case c == '#':
				comment = true
				break word
			case c == '\\':
				if i+1 >= n {
					return nil, &tokenError{i + 1, "no escaped character after backslash"}
				}
				b.WriteByte(line[i+1])
				i += 2
			case c == '\'':
				j := strings.IndexByte(line[i+1:], '\'')
				if j < 0 {
					return nil, &tokenError{i + 1, "no closing quotation"}
				}
				b.WriteString(line[i+1 : i+1+j])
				i += j + 2
			case c == '"':
				q := i
				i++
				for {
					if i >= n {
						return nil, &tokenError{q + 1, "no closing quotation"}
					}
					c := line[i]
					if c == '"' {
						i++
						break
					}
					if c == '\\' && i+1 < n && (line[i+1] == '"' || line[i+1] == '\\') {
						b.WriteByte(line[i+1])
						i += 2
						continue
					}
					b.WriteByte(c)
					i++
				}
			default:
				b.WriteByte(c)
				i++
			}
		}
		toks = append(toks, token{b.String(), start + 1})
		if comment {
			return toks, nil
		}
	}
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}
