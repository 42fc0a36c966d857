package module

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// Replace replaces every match of regexp in a file by replace, as
// Ansible's replace: the pattern is multi-line (^ and $ match at every
// line), replace may use Python's \1, \g<1>, \g<name> and escapes (\n,
// \t, \\); after and before limit the replacing to the text after the
// first match of after and/or before the match of before (the section is
// found with "." matching newlines, before's match the first after after's,
// as Python's non-greedy .*?). A section that is not found leaves the file
// alone with Ansible's message.
//
// Arguments: path (aliases dest, destfile, name; required), regexp
// (required), replace (default ""), after, before, encoding (utf-8; only
// utf-8 is read), and the file attributes (mode, owner, group, backup,
// validate; see FileAttrs). Idempotent: the file is written only when a
// replacement changes it (msg "N replacements made") or its attributes
// differ. A missing file fails the task. Check mode and --diff as the other
// file modules.
//
// Patterns are Go's RE2 syntax, Python's where RE2 allows: lookahead,
// lookbehind, backreferences inside the pattern (\1) and possessive or
// atomic groups are rejected as bad arguments; Python's \Z is Go's \z; an
// empty match right after another match is not replaced (Python 3.7+
// replaces it).
type Replace struct {
	EditPath  `yaml:",inline"`
	Regexp    string  `yaml:"regexp"`
	Replace   *string `yaml:"replace"`
	After     string  `yaml:"after"`
	Before    string  `yaml:"before"`
	Encoding  string  `yaml:"encoding"`
	FileAttrs `yaml:",inline"`
}

// replaceWant is what a replace task wants: the arguments with aliases and
// defaults, and the compiled expressions.
type replaceWant struct {
	Replace
	repl     string
	re       *regexp.Regexp
	section  *regexp.Regexp // nil without after and before
	sectText string
}

// want fills the defaults, compiles the expressions and checks the arguments.
func (m *Replace) want() (replaceWant, error) {
	var p problems
	w := replaceWant{Replace: *m}
	w.Path = m.path()
	m.FileAttrs.check("path", w.Path, &p)
	if m.Replace != nil {
		w.repl = *m.Replace
	}
	if e := strings.ToLower(orDefault(m.Encoding, "utf-8")); e != "utf-8" && e != "utf8" {
		p.add("encoding %q: only utf-8 is supported", m.Encoding)
	}
	if m.Regexp == "" {
		p.add("regexp is required")
	} else if re, err := regexp.Compile("(?m)" + pyPattern(m.Regexp)); err != nil {
		p.add("regexp: %w", err)
	} else {
		w.re = re
	}
	switch {
	case m.After != "" && m.Before != "":
		w.sectText = m.After + "(?P<subsection>.*?)" + m.Before
	case m.After != "":
		w.sectText = m.After + "(?P<subsection>.*)"
	case m.Before != "":
		w.sectText = "(?P<subsection>.*)" + m.Before
	}
	if w.sectText != "" {
		re, err := regexp.Compile("(?s)" + pyPattern(w.sectText))
		if err != nil {
			p.add("after/before: %w", err)
		}
		w.section = re
	}
	if err := pyCheckTemplate(w.repl); err != nil {
		p.addErr(err)
	}
	return w, p.err()
}

// pyPattern turns Python's \Z (end of text) into Go's \z.
func pyPattern(s string) string { return strings.ReplaceAll(s, `\Z`, `\z`) }

// Validate reports every problem of the arguments.
func (m *Replace) Validate() error { _, err := m.want(); return err }

// Apply converges the file: one probe that reads it, the replacing, then at
// most one upload.
func (m *Replace) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	e := textEdit{path: w.Path, attrs: w.FileAttrs, edit: w.edit}
	e.missing.failed, e.missing.msg = true, "Path "+w.Path+" does not exist !"
	return e.run(ctx, h, env, "replace")
}

// edit is Ansible's replace on the file's content.
func (w replaceWant) edit(old string, _ bool) (string, string, bool, bool) {
	lo, hi := 0, len(old)
	if w.section != nil {
		m := w.section.FindStringSubmatchIndex(old)
		if m == nil {
			return old, "Pattern for before/after params did not match the given file: " + w.sectText, true, false
		}
		i := w.section.SubexpIndex("subsection")
		lo, hi = m[2*i], m[2*i+1]
	}
	section := old[lo:hi]
	var b strings.Builder
	n, last := 0, 0
	for _, m := range w.re.FindAllStringSubmatchIndex(section, -1) {
		b.WriteString(section[last:m[0]])
		b.WriteString(pyExpand(w.repl, section, m, w.re))
		last = m[1]
		n++
	}
	b.WriteString(section[last:])
	if n == 0 || b.String() == section {
		return old, "", false, false
	}
	return old[:lo] + b.String() + old[hi:], fmt.Sprintf("%d replacements made", n), false, false
}

// pyEscapes are the escapes of Python's re.sub templates.
var pyEscapes = map[byte]string{'n': "\n", 't': "\t", 'r': "\r", 'f': "\f", 'v': "\v", 'a': "\a", 'b': "\b", '\\': "\\"}

// pyCheckTemplate reports what Python's re.sub rejects in a template: an
// unknown escape of an ASCII letter, a bad \g<...>.
func pyCheckTemplate(t string) error {
	for i := 0; i+1 < len(t); i++ {
		if t[i] != '\\' {
			continue
		}
		c := t[i+1]
		switch {
		case c == 'g':
			if !strings.HasPrefix(t[i:], `\g<`) || !strings.Contains(t[i:], ">") {
				return fmt.Errorf("replace: missing group name after \\g")
			}
		case c >= '0' && c <= '9', pyEscapes[c] != "":
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return fmt.Errorf("replace: bad escape \\%c", c)
		}
		i++
	}
	return nil
}

// pyExpand expands a Python re.sub template for match m of re in src.
func pyExpand(t, src string, m []int, re *regexp.Regexp) string {
	group := func(k int) string {
		if k < 0 || 2*k+1 >= len(m) || m[2*k] < 0 {
			return ""
		}
		return src[m[2*k]:m[2*k+1]]
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '\\' || i+1 == len(t) {
			b.WriteByte(c)
			continue
		}
		n := t[i+1]
		switch {
		case n >= '0' && n <= '9':
			j := i + 2
			if j < len(t) && t[j] >= '0' && t[j] <= '9' {
				j++
			}
			k, _ := strconv.Atoi(t[i+1 : j])
			b.WriteString(group(k))
			i = j - 1
		case n == 'g' && strings.HasPrefix(t[i:], `\g<`) && strings.Contains(t[i:], ">"):
			end := i + strings.IndexByte(t[i:], '>')
			name := t[i+3 : end]
			k, err := strconv.Atoi(name)
			if err != nil {
				k = re.SubexpIndex(name)
			}
			b.WriteString(group(k))
			i = end
		case pyEscapes[n] != "":
			b.WriteString(pyEscapes[n])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
