package module

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"lvslab/internal/host"
)

// LineInFile makes sure one line is in a file (or, with state absent, that
// no line matches). The file is read in the same round trip as its stat, the
// new content computed here, and written by the shared file writer (atomic,
// backup, validate, diff) only when it differs.
//
// With regexp, the last matching line is replaced by line (with backrefs,
// \1 and \g<name> in line refer to the match, and nothing is added when
// nothing matches); without a match, or without regexp, line is added unless
// it is already there: after the last line matching insertafter (default
// EOF), or before the last line matching insertbefore (BOF: at the top).
// With state absent every line matching regexp (or equal to line) is
// removed. A missing file is an error unless create is true. A symbolic
// link is followed: its target is edited. Regular
// expressions are Go's (RE2) syntax.
type LineInFile struct {
	Path         string `yaml:"path"`
	Dest         string `yaml:"dest"` // alias of path
	Line         string `yaml:"line"`
	Regexp       string `yaml:"regexp"`
	State        string `yaml:"state"`
	InsertAfter  string `yaml:"insertafter"`
	InsertBefore string `yaml:"insertbefore"`
	Create       bool   `yaml:"create"`
	Backrefs     bool   `yaml:"backrefs"`
	FirstMatch   bool   `yaml:"firstmatch"`
	FileAttrs    `yaml:",inline"`
}

// lineWant is what a lineinfile task wants: its arguments with the
// aliases and defaults filled in, and the expressions compiled.
type lineWant struct {
	LineInFile
	re, after, before *regexp.Regexp
}

// want fills defaults, compiles the expressions and checks the options.
func (l *LineInFile) want() (lineWant, error) {
	var p problems
	w := lineWant{LineInFile: *l}
	w.Path = orDefault(l.Path, l.Dest)
	l.FileAttrs.check("path", w.Path, &p)
	w.State = orDefault(l.State, "present")
	compile := func(name, src string) *regexp.Regexp {
		if src == "" {
			return nil
		}
		re, err := regexp.Compile(src)
		if err != nil {
			p.add("%s: %w", name, err)
		}
		return re
	}
	w.re = compile("regexp", l.Regexp)
	switch w.State {
	case "present":
		if l.InsertAfter != "" && l.InsertBefore != "" {
			p.add("give insertafter or insertbefore, not both")
		}
		if l.InsertAfter != "EOF" {
			w.after = compile("insertafter", l.InsertAfter)
		}
		if l.InsertBefore != "BOF" {
			w.before = compile("insertbefore", l.InsertBefore)
		}
		if l.Backrefs && w.re == nil {
			p.add("backrefs needs regexp")
		}
	case "absent":
		if w.re == nil && l.Line == "" {
			p.add("state absent needs regexp or line")
		}
	default:
		p.add("state %q: want present or absent", w.State)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (l *LineInFile) Validate() error { _, err := l.want(); return err }

// Apply converges the file: one probe that reads it, the edit, then at
// most one upload.
func (l *LineInFile) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := l.want()
	if err != nil {
		return Result{}, err
	}
	st, err := probeFile(ctx, h, w.Path, probeScript(w.Path, probeOpts{Content: true, Limit: -1, Follow: true}))
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"path": w.Path}}
	if st.Other != "" {
		return failRes(res, "%s is a %s, not a regular file", w.Path, st.Other), nil
	}
	if !st.Exists {
		if w.State == "absent" {
			return res, nil
		}
		if !w.Create {
			return failRes(res, "destination %s does not exist (create: true makes it)", w.Path), nil
		}
	}
	content, msg := w.edit(string(st.Content))
	if !st.Exists {
		msg = "file created, " + msg
	}
	wres, err := writeFile(ctx, h, env, st, writeOpts{FileAttrs: w.FileAttrs}, bytesPayload([]byte(content)))
	if wres.Changed && !wres.Failed && msg != "" {
		wres.Msg = msg
	}
	wres.Data["path"] = w.Path
	return wres, err
}

// edit returns the new content and what was done ("" when nothing).
func (l lineWant) edit(content string) (string, string) {
	lines := strings.SplitAfter(content, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	bare := func(s string) string { return strings.TrimRight(s, "\r\n") }
	if l.State == "absent" {
		kept, n := lines[:0:0], 0
		for _, s := range lines {
			if l.re != nil && l.re.MatchString(bare(s)) || l.re == nil && bare(s) == l.Line {
				n++
				continue
			}
			kept = append(kept, s)
		}
		if n == 0 {
			return content, ""
		}
		return strings.Join(kept, ""), fmt.Sprintf("%d line(s) removed", n)
	}
	match, exact := -1, -1
	for i, s := range lines {
		if l.re != nil && l.re.MatchString(bare(s)) && (match < 0 || !l.FirstMatch) {
			match = i
		}
		if bare(s) == l.Line && exact < 0 {
			exact = i
		}
	}
	if match >= 0 {
		newLine := l.Line
		if l.Backrefs {
			m := l.re.FindStringSubmatchIndex(bare(lines[match]))
			newLine = string(l.re.ExpandString(nil, pyTemplate(l.Line), bare(lines[match]), m))
		}
		if bare(lines[match]) == newLine {
			return content, ""
		}
		lines[match] = newLine + lineEnd(lines[match])
		return strings.Join(lines, ""), "line replaced"
	}
	if exact >= 0 || l.Backrefs {
		return content, ""
	}
	at := len(lines)
	switch {
	case l.InsertBefore == "BOF":
		at = 0
	case l.before != nil:
		at = l.lastMatch(lines, l.before, at, 0)
	case l.after != nil:
		at = l.lastMatch(lines, l.after, at, 1)
	}
	if at > 0 && !strings.HasSuffix(lines[at-1], "\n") {
		lines[at-1] += "\n"
	}
	lines = append(lines[:at], append([]string{l.Line + "\n"}, lines[at:]...)...)
	return strings.Join(lines, ""), "line added"
}

// lastMatch returns the index of the last (or, with firstmatch, first) line
// matching re plus off, or def when none matches.
func (l lineWant) lastMatch(lines []string, re *regexp.Regexp, def, off int) int {
	at := def
	for i, s := range lines {
		if re.MatchString(strings.TrimRight(s, "\r\n")) {
			at = i + off
			if l.FirstMatch {
				break
			}
		}
	}
	return at
}

func lineEnd(s string) string {
	switch {
	case strings.HasSuffix(s, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(s, "\n"):
		return "\n"
	}
	return ""
}

// pyTemplate turns Python-style backreferences (\1, \g<1>, \g<name>) into
// Go's ${1} form and escapes literal $.
func pyTemplate(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' && j < i+3 {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		case c == '\\' && strings.HasPrefix(s[i:], `\g<`) && strings.Contains(s[i:], ">"):
			end := strings.IndexByte(s[i:], '>')
			b.WriteString("${" + s[i+3:i+end] + "}")
			i += end
		case c == '\\' && i+1 < len(s) && s[i+1] == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
