package module

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// Group makes a local group exist (with gid, when given) or not, with
// groupadd, groupmod and groupdel, as Ansible's group. One inspect command
// (getent group), then at most one command; check mode runs only the
// first. Returned as Ansible: name, state, and for a present group gid and
// system.
//
// Arguments: name (required), state (present or absent), gid, system
// (false: a system group, groupadd -r, when it is made), non_unique (false:
// groupadd/groupmod -o).
type Group struct {
	Name      string `yaml:"name"`
	State     string `yaml:"state"`
	GID       *int   `yaml:"gid"`
	System    bool   `yaml:"system"`
	NonUnique bool   `yaml:"non_unique"`
}

// groupWant is what a group task wants: the arguments with the defaults.
type groupWant struct{ Group }

// accountName is a user or group name useradd and groupadd take.
var accountName = regexp.MustCompile(`^[a-z_][a-z0-9_.-]*\$?$`)

// want fills the defaults and checks the arguments.
func (m *Group) want() (groupWant, error) {
	var p problems
	w := groupWant{*m}
	w.State = stateArg(m.State, &p)
	if !accountName.MatchString(m.Name) || len(m.Name) > 32 {
		p.add("name %q is not a group name", m.Name)
	}
	if m.GID != nil && *m.GID < 0 {
		p.add("gid must not be negative")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Group) Validate() error { _, err := m.want(); return err }

// Apply converges the group: one inspect command, then at most one command.
func (m *Group) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "group "+w.Name, probe("group", "getent group "+host.Quote(w.Name)))
	if err != nil {
		return Result{}, err
	}
	f := strings.Split(in.text("group"), ":")
	exists := in.ok("group") && len(f) >= 3
	steps := w.plan(exists, f)
	data := map[string]any{"name": w.Name, "state": w.State}
	if w.State == "present" {
		data["system"] = w.System
		if w.GID != nil {
			data["gid"] = *w.GID
		} else if exists {
			data["gid"], _ = strconv.Atoi(f[2])
		}
	}
	if len(steps) > 0 && w.State == "present" && w.GID == nil {
		steps = append(steps, "getent group "+host.Quote(w.Name)) // the gid it got
	}
	res, err := runSteps(ctx, h, env, "group", steps, Result{Changed: len(steps) > 0, Data: data})
	if g := strings.Split(fmtString(res.Data["stdout"]), ":"); err == nil && len(g) >= 3 {
		res.Data["gid"], _ = strconv.Atoi(g[2])
	}
	return res, err
}

// plan returns the command that converges the group, given getent's
// fields of it (when it exists).
func (w groupWant) plan(exists bool, f []string) []string {
	var o []string
	if w.NonUnique {
		o = append(o, "-o")
	}
	switch {
	case w.State == "absent" && exists:
		return []string{"groupdel " + host.Quote(w.Name)}
	case w.State == "present" && !exists:
		if w.System {
			o = append(o, "-r")
		}
		if w.GID != nil {
			o = append(o, "-g", strconv.Itoa(*w.GID))
		}
		return []string{"groupadd " + quoteWords(append(o, w.Name))}
	case w.State == "present" && w.GID != nil && f[2] != strconv.Itoa(*w.GID):
		return []string{"groupmod " + quoteWords(append(append(o, "-g", strconv.Itoa(*w.GID)), w.Name))}
	}
	return nil
}

// fmtString returns v when it is a string, else "".
func fmtString(v any) string { s, _ := v.(string); return s }
