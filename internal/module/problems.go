package module

import (
	"fmt"

	"lvslab/internal/pos"
)

// problems collects what is wrong with a module's arguments, so that
// Validate reports every problem at once instead of the first. It is a
// pos.List, the error list of every parser of lvslab, whose problems have
// no place: the runner puts the task's in front.
type problems struct{ pos.List }

// add records a problem.
func (p *problems) add(format string, args ...any) {
	p.List = append(p.List, fmt.Errorf(format, args...))
}

// addErr records err, when it is not nil.
func (p *problems) addErr(err error) {
	if err != nil {
		p.List = append(p.List, err)
	}
}

// err returns nil when there is no problem, else one error listing them
// all, one a line; errors.Is and errors.As see each.
func (p problems) err() error { return p.List.OrNil() }
