package playbook

import (
	"fmt"
	"strings"
)

// Pos is a place in a YAML file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a problem at a place in a file.
type Error struct {
	Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errors collects every problem found, so all are reported at once.
type Errors []error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the collected errors.
func (es Errors) Unwrap() []error { return es }

// OrNil returns nil when es is empty.
func (es Errors) OrNil() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
