// Package pos is where a problem is in a file, and the errors that say so:
// one shape for every parser of lvslab (playbooks, inventories, module
// arguments, templates), so that every message reads "file:line:col: ..."
// and a caller can tell, with errors.As, whether an error already has its
// place.
package pos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is a place in a file. Line and Col are 1-based. A Pos without File is
// a place relative to a YAML value whose file the caller knows (a module's
// arguments).
type Pos struct {
	File string
	Line int
	Col  int
}

// At is the place of n in file.
func At(file string, n *yaml.Node) Pos { return Pos{File: file, Line: n.Line, Col: n.Column} }

// String is "file:line:col", or "line line:col" without a file.
func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("line %d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is a problem at a place.
type Error struct {
	Pos Pos
	Err error
}

// Errorf is an *Error at p; format may wrap a cause with %w.
func Errorf(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Err: fmt.Errorf(format, args...)}
}

// Error is "place: problem".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

// Unwrap returns the problem.
func (e *Error) Unwrap() error { return e.Err }

// Placed reports whether err is (or is a List of) an *Error in a file: its
// message begins with its place, and a caller need not add one.
func Placed(err error) bool {
	switch e := err.(type) {
	case *Error:
		return e.Pos.File != ""
	case List:
		for _, item := range e {
			if !Placed(item) {
				return false
			}
		}
		return len(e) > 0
	}
	return false
}

// Place returns err as it is when it is Placed, else as an *Error at p.
func Place(p Pos, err error) error {
	if err == nil || Placed(err) {
		return err
	}
	return &Error{Pos: p, Err: err}
}

// Relative resolves err, found in a YAML value of the file of at: an
// *Error without File (its place relative to that file, as a module's
// argument errors are) gives its line and column in at's file and its
// problem; any other error gives at and err.
func Relative(at Pos, err error) (Pos, error) {
	var e *Error
	if errors.As(err, &e) && e.Pos.File == "" {
		at.Line, at.Col = e.Pos.Line, e.Pos.Col
		return at, e.Err
	}
	return at, err
}

// List collects every problem found, so that all are reported at once.
type List []error

// Errorf adds a problem at p. A place in a file without a line or column
// is given line or column 1, so that every message reads file:line:col.
func (l *List) Errorf(p Pos, format string, args ...any) {
	if p.File != "" {
		p.Line, p.Col = max(p.Line, 1), max(p.Col, 1)
	}
	*l = append(*l, Errorf(p, format, args...))
}

// Error joins the problems, one a line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (l List) Unwrap() []error { return l }

// OrNil returns nil when l is empty, else l.
func (l List) OrNil() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// FromYAML places an error of yaml.v3's parser or decoder, which gives a
// line ("yaml: line 3: ...") but no column, in file: at that line, column 1
// (line 1 without one). yaml.v3 counts the lines of some parser errors from
// 0; those are moved down one. The cause is kept, without its "yaml: "
// prefix, for errors.As.
func FromYAML(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			if n, aerr := strconv.Atoi(num); aerr == nil {
				line, msg = n, strings.TrimSpace(tail)
				if parserError(msg) {
					line++
				}
			}
		}
	}
	return &Error{Pos: Pos{File: file, Line: line, Col: 1}, Err: &cause{msg: msg, err: err}}
}

// YAMLCause is err, a yaml.v3 error, with the message that yaml.v3 puts
// before its own ("yaml: ", "yaml: unmarshal errors:\n  ") left out; it
// still unwraps to err.
func YAMLCause(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  ")
	return &cause{msg: strings.TrimPrefix(msg, "yaml: "), err: err}
}

// YAMLAt places an error of yaml.v3's decoder of n relative to n's file
// (a Pos without File): at the value that its one type error names (yaml.v3
// gives its line, the column is that of the first value on the line), else
// at n. The cause is kept, without yaml.v3's prefixes, for errors.As.
func YAMLAt(n *yaml.Node, err error) *Error {
	p, msg := Pos{Line: n.Line, Col: n.Column}, YAMLCause(err).Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) == 1 {
		if rest, ok := strings.CutPrefix(te.Errors[0], "line "); ok {
			if num, tail, ok := strings.Cut(rest, ": "); ok {
				if line, aerr := strconv.Atoi(num); aerr == nil {
					p, msg = Pos{Line: line, Col: colOnLine(n, line, n.Column)}, tail
				}
			}
		}
	}
	return &Error{Pos: p, Err: &cause{msg: msg, err: err}}
}

// colOnLine is the column of the first value (not a mapping key) under n
// on line, or col when there is none.
func colOnLine(n *yaml.Node, line, col int) int {
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue
		}
		if c.Line == line {
			return c.Column
		}
		if got := colOnLine(c, line, 0); got != 0 {
			return got
		}
	}
	return col
}

// cause is an error with a shorter message than the error it wraps.
type cause struct {
	msg string
	err error
}

func (c *cause) Error() string { return c.msg }
func (c *cause) Unwrap() error { return c.err }

// parserError reports whether msg is one of yaml.v3's parser (not scanner)
// errors, whose "line N" counts from 0.
func parserError(msg string) bool {
	for _, p := range []string{"did not find expected ", "found duplicate %YAML directive",
		"found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// Describe names what a YAML node is, for "want X, not Y" messages: "a
// mapping", "a list", "an alias", "null", or `the scalar "VALUE"`.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "the scalar " + strconv.Quote(n.Value)
	}
	return "a document"
}
