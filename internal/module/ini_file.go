package module

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"lvslab/internal/host"
)

// IniFile sets, adds or removes one option of an INI file's section, or
// removes a section, as community.general's ini_file (Ansible's do_ini,
// line for line): an option that is there (also commented out with # or
// ;) gets the value in place; a new one goes after the section's last
// line that is neither blank nor a comment; a missing section is added at
// the end. With exclusive (the default) the other lines of the option go;
// state absent removes the option's active lines, or, without option, the
// whole section. Without section (or with an empty one) the options before
// the first section are meant. Lines are read as Python does (a \r\n or \r
// ending becomes \n; a leading byte order mark is dropped).
//
// Arguments: path (alias dest; required), section, option, value or
// values (a list; one of them is required with state present unless
// allow_no_value), state (present or absent), exclusive (true),
// no_extra_spaces (false: "key = value"; true: "key=value"),
// allow_no_value (false: an option without a value, "key"), create (true: a
// missing file is made; false: it fails the task), and the file attributes
// (mode, owner, group, backup, validate; see FileAttrs). Idempotent: the
// file is written only when it differs; msg is Ansible's ("OK", "option
// added", "option changed", "section and option added", "only section
// added", "section removed"). Check mode and --diff as the other file
// modules.
type IniFile struct {
	Path          string  `yaml:"path"`
	Dest          string  `yaml:"dest"` // alias of path
	Section       string  `yaml:"section"`
	Option        string  `yaml:"option"`
	Value         *string `yaml:"value"`
	Values        StrList `yaml:"values"`
	State         string  `yaml:"state"`
	Exclusive     *bool   `yaml:"exclusive"`
	NoExtraSpaces bool    `yaml:"no_extra_spaces"`
	AllowNoValue  bool    `yaml:"allow_no_value"`
	Create        *bool   `yaml:"create"`
	FileAttrs     `yaml:",inline"`
}

// iniWant is what an ini_file task wants: the arguments with aliases and
// defaults, and the values without repeats.
type iniWant struct {
	IniFile
	values []string
	optRE  *regexp.Regexp // match_opt: the option, maybe commented out
	active *regexp.Regexp // match_active_opt
}

// want fills the defaults and checks the arguments.
func (m *IniFile) want() (iniWant, error) {
	var p problems
	w := iniWant{IniFile: *m}
	w.Path = orDefault(m.Path, m.Dest)
	m.FileAttrs.check("path", w.Path, &p)
	w.State = stateArg(m.State, &p)
	if m.Value != nil && m.Values != nil {
		p.add("give value or values, not both")
	}
	if w.State == "present" && !m.AllowNoValue && m.Value == nil && len(m.Values) == 0 {
		p.add("value or values is required with state present (unless allow_no_value)")
	}
	vals := []string(m.Values)
	if m.Value != nil {
		vals = []string{*m.Value}
	}
	for _, v := range vals {
		if !slices.Contains(w.values, v) {
			w.values = append(w.values, v)
		}
	}
	q := regexp.QuoteMeta(m.Option)
	w.optRE = regexp.MustCompile(`^[#;]?( |\t)*(` + q + `)( |\t)*(=|$)( |\t)*(.*)`)
	w.active = regexp.MustCompile(`^( |\t)*(` + q + `)( |\t)*(=|$)( |\t)*(.*)`)
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *IniFile) Validate() error { _, err := m.want(); return err }

// Apply converges the file: one probe that reads it, the edit, then at
// most one upload.
func (m *IniFile) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	e := textEdit{path: w.Path, attrs: w.FileAttrs, create: boolArg(w.Create, true), plainMsg: true, edit: w.edit}
	e.missing.failed, e.missing.msg = true, "Destination "+w.Path+" does not exist!"
	return e.run(ctx, h, env, "ini_file")
}

// iniFake is Ansible's name of the section before the first one.
const iniFake = "ad01e11446efb704fcdbdb21f2c43757423d91c5"

var iniNoContent = regexp.MustCompile(`^[ \t]*([#;].*)?$`)

// edit is Ansible's do_ini on the file's content.
func (w iniWant) edit(old string, exists bool) (string, string, bool, bool) {
	text := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(strings.TrimPrefix(old, "\ufeff"))
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	changed := false
	if len(lines) == 0 {
		lines = []string{"\n"}
	}
	if !strings.HasSuffix(lines[len(lines)-1], "\n") {
		lines[len(lines)-1] += "\n"
		changed = true
	}
	lines = append(append([]string{"[" + iniFake + "]"}, lines...), "[")
	section := orDefault(w.Section, iniFake)
	option, values := w.Option, slices.Clone(w.values)
	assign := func(v string) string {
		if w.NoExtraSpaces {
			return option + "=" + v + "\n"
		}
		return option + " = " + v + "\n"
	}
	match := func(re *regexp.Regexp, line string) []string {
		return re.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
	}
	within, start, end := false, 0, 0
	for i, l := range lines {
		if strings.HasPrefix(l, "["+section+"]") {
			within, start = true, i
		} else if strings.HasPrefix(l, "[") && within {
			end = i
			break
		}
	}
	before, after := slices.Clone(lines[:start]), slices.Clone(lines[end:])
	sect := slices.Clone(lines[start:end])
	done := make([]bool, len(sect))
	msg, noValuePresent := "OK", false
	set := func(i int, line string) {
		if sect[i] != line {
			changed, msg = true, "option changed"
		}
		sect[i], done[i] = line, true
	}
	if w.State == "present" && option != "" {
	lines:
		for i, l := range sect {
			switch mt := match(w.optRE, l); {
			case mt == nil:
			case len(values) > 0 && slices.Contains(values, mt[6]):
				if mt[6] == "" && w.AllowNoValue {
					set(i, option+"\n")
					noValuePresent = true
				} else {
					set(i, assign(mt[6]))
				}
				values = slices.DeleteFunc(values, func(v string) bool { return v == mt[6] })
			case len(values) == 0 && w.AllowNoValue:
				set(i, option+"\n")
				noValuePresent = true
				break lines
			}
		}
	}
	if w.State == "present" && boolArg(w.Exclusive, true) && !w.AllowNoValue {
		for i := range sect {
			if len(values) == 0 {
				break
			}
			if !done[i] && match(w.optRE, sect[i]) != nil {
				set(i, assign(values[0]))
				values = values[1:]
			}
		}
		for i := len(sect) - 1; i > 0; i-- {
			if !done[i] && match(w.optRE, sect[i]) != nil {
				sect, done = slices.Delete(sect, i, i+1), slices.Delete(done, i, i+1)
				changed, msg = true, "option changed"
			}
		}
	}
	if w.State == "present" {
		for i := len(sect); i > 0; i-- {
			if iniNoContent.MatchString(strings.TrimSuffix(sect[i-1], "\n")) {
				continue
			}
			var add []string
			switch {
			case option != "" && len(values) > 0:
				for _, v := range values {
					add = append(add, assign(v))
				}
			case option != "" && w.AllowNoValue && !noValuePresent:
				add = []string{option + "\n"}
			}
			if len(add) > 0 {
				sect = slices.Insert(sect, i, add...)
				changed, msg = true, "option added"
			}
			break
		}
	}
	if w.State == "absent" {
		keep := func(l string) bool {
			mt := match(w.active, l)
			return mt == nil || !boolArg(w.Exclusive, true) && !slices.Contains(values, mt[6])
		}
		switch {
		case option != "" && (boolArg(w.Exclusive, true) || len(values) > 0):
			kept := slices.DeleteFunc(slices.Clone(sect), func(l string) bool { return !keep(l) })
			if !slices.Equal(kept, sect) {
				sect, changed, msg = kept, true, "option changed"
			}
		case option == "" && len(sect) > 0:
			sect, changed, msg = nil, true, "section removed"
		}
	}
	lines = append(append(before, sect...), after...)
	lines = lines[1 : len(lines)-1]
	if !within && w.State == "present" {
		lines = append(lines, "["+section+"]\n")
		msg = "section and option added"
		switch {
		case option != "" && len(values) > 0:
			for _, v := range values {
				lines = append(lines, assign(v))
			}
		case option != "" && w.AllowNoValue:
			lines = append(lines, option+"\n")
		default:
			msg = "only section added"
		}
		changed = true
	}
	switch {
	case !changed && exists:
		return old, msg, false, false
	case !changed:
		return "", msg, true, false
	}
	return strings.Join(lines, ""), msg, false, false
}
