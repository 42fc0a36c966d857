package module

import (
	"context"
	"regexp"
	"strings"

	"lvslab/internal/host"
)

// BlockInFile keeps a block of lines between two marker lines in a file,
// as Ansible's blockinfile: the block between the markers is replaced
// (or, with state absent or an empty block, removed with its markers);
// without the markers it is inserted after the last line matching
// insertafter (EOF, the default: at the end) or before the last line
// matching insertbefore (BOF: at the top); a pattern that matches no line
// puts it at the end. A pattern with the (?m) flag is searched in the whole
// file, as Ansible does. Markers are marker (default "# {mark} ANSIBLE
// MANAGED BLOCK") with {mark} replaced by marker_begin (BEGIN) and
// marker_end (END).
//
// Arguments: path (aliases dest, destfile, name; required), block (alias
// content; default ""), marker, marker_begin, marker_end, insertafter,
// insertbefore, create (false: a missing file fails the task), state
// (present or absent), and the file attributes (mode, owner, group, backup,
// validate; see FileAttrs). Idempotent: the file is written only when its
// content or attributes differ; msg is Ansible's ("Block inserted", "Block
// removed", "File created", "" when ok). Check mode and --diff as the other
// file modules. Patterns are Go's RE2 syntax (no lookarounds nor
// backreferences); a pattern is tried on each line with and without its
// newline, so that Python's $ before a final newline matches too.
type BlockInFile struct {
	EditPath     `yaml:",inline"`
	Block        string `yaml:"block"`
	Content      string `yaml:"content"` // alias of block
	Marker       string `yaml:"marker"`
	MarkerBegin  string `yaml:"marker_begin"`
	MarkerEnd    string `yaml:"marker_end"`
	InsertAfter  string `yaml:"insertafter"`
	InsertBefore string `yaml:"insertbefore"`
	Create       bool   `yaml:"create"`
	State        string `yaml:"state"`
	FileAttrs    `yaml:",inline"`
}

// blockWant is what a blockinfile task wants: the arguments with aliases
// and defaults, the marker lines and the compiled insert pattern.
type blockWant struct {
	BlockInFile
	begin, end string
	insert     *regexp.Regexp
	multiline  bool
}

// pyMultiline matches a pattern whose leading flags set Python's MULTILINE.
var pyMultiline = regexp.MustCompile(`^\(\?[a-zA-Z]*m[a-zA-Z]*\)`)

// want fills the defaults and checks the arguments.
func (m *BlockInFile) want() (blockWant, error) {
	var p problems
	w := blockWant{BlockInFile: *m}
	w.Path = m.path()
	m.FileAttrs.check("path", w.Path, &p)
	w.Block = orDefault(m.Block, m.Content)
	w.State = stateArg(m.State, &p)
	marker := orDefault(m.Marker, "# {mark} ANSIBLE MANAGED BLOCK")
	w.begin = strings.ReplaceAll(marker, "{mark}", orDefault(m.MarkerBegin, "BEGIN")) + "\n"
	w.end = strings.ReplaceAll(marker, "{mark}", orDefault(m.MarkerEnd, "END")) + "\n"
	if w.begin == w.end {
		p.add("marker_begin and marker_end must differ (or marker must hold {mark})")
	}
	if m.InsertAfter != "" && m.InsertBefore != "" {
		p.add("give insertafter or insertbefore, not both")
	}
	src := ""
	switch {
	case m.InsertAfter != "" && m.InsertAfter != "EOF":
		src = m.InsertAfter
	case m.InsertBefore != "" && m.InsertBefore != "BOF":
		src = m.InsertBefore
	}
	if src != "" {
		re, err := regexp.Compile(src)
		if err != nil {
			p.add("insert pattern: %w", err)
		}
		w.insert, w.multiline = re, pyMultiline.MatchString(src)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *BlockInFile) Validate() error { _, err := m.want(); return err }

// Apply converges the file: one probe that reads it, the edit, then at
// most one upload.
func (m *BlockInFile) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	e := textEdit{path: w.Path, attrs: w.FileAttrs, create: w.Create && w.State == "present", edit: w.edit}
	e.missing.failed, e.missing.msg = w.State == "present", "Path "+w.Path+" does not exist !"
	if w.State == "absent" {
		e.missing.msg = "File " + w.Path + " not present"
	}
	return e.run(ctx, h, env, "blockinfile")
}

// edit is Ansible's blockinfile on the file's content.
func (w blockWant) edit(old string, exists bool) (string, string, bool, bool) {
	lines := strings.SplitAfter(old, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var block []string
	if w.State == "present" && w.Block != "" {
		b := w.Block
		if !strings.HasSuffix(b, "\n") {
			b += "\n"
		}
		block = append(append([]string{w.begin}, strings.SplitAfter(strings.TrimSuffix(b, "\n"), "\n")...), w.end)
		block[len(block)-2] += "\n"
	}
	n0, n1 := -1, -1
	for i, l := range lines {
		if l == w.begin {
			n0 = i
		}
		if l == w.end {
			n1 = i
		}
	}
	switch {
	case n0 < 0 || n1 < 0:
		n0 = w.insertAt(old, lines)
	case n0 < n1:
		lines = append(lines[:n0], lines[n1+1:]...)
	default:
		lines = append(lines[:n1], lines[n0+1:]...)
		n0 = n1
	}
	if n0 > 0 && !strings.HasSuffix(lines[n0-1], "\n") {
		lines[n0-1] += "\n"
	}
	lines = append(lines[:n0], append(block, lines[n0:]...)...)
	result := strings.Join(lines, "")
	switch {
	case result == old && exists:
		return result, "", false, false
	case !exists:
		return result, "File created", false, false
	case block == nil:
		return result, "Block removed", false, false
	}
	return result, "Block inserted", false, false
}

// insertAt returns where a block without markers goes.
func (w blockWant) insertAt(old string, lines []string) int {
	after := w.InsertAfter != "" || w.InsertBefore == ""
	if w.insert == nil {
		if after {
			return len(lines)
		}
		return 0
	}
	n := -1
	if w.multiline {
		if loc := w.insert.FindStringIndex(old); loc != nil {
			if after {
				n = strings.Count(old[:loc[1]], "\n")
			} else {
				n = strings.Count(old[:loc[0]], "\n")
			}
		}
	} else {
		for i, l := range lines {
			if w.insert.MatchString(l) || w.insert.MatchString(strings.TrimSuffix(l, "\n")) {
				n = i
			}
		}
	}
	switch {
	case n < 0:
		return len(lines)
	case w.InsertAfter != "":
		return n + 1
	}
	return n
}
