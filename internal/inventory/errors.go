package inventory

import (
	"fmt"
	"strings"
)

// PosError is one problem in an inventory or variables file, at a position.
// Line and Col are 1-based.
type PosError struct {
	File string
	Line int
	Col  int
	Msg  string
}

// Error formats the problem as "file:line:col: msg".
func (e *PosError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Errors collects every problem found while loading an inventory, so that
// all of them are reported at once. Each item is a *PosError.
type Errors []error

// Error joins the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (es Errors) Unwrap() []error { return es }

// orNil returns nil when es is empty.
func (es Errors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// pos is a position in a file.
type pos struct {
	file      string
	line, col int
}

func (p pos) String() string { return fmt.Sprintf("%s:%d:%d", p.file, p.line, p.col) }

// errorf records a problem at p.
func (es *Errors) errorf(p pos, format string, args ...any) {
	line, col := p.line, p.col
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	*es = append(*es, &PosError{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}
