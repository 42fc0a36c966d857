package playbook

import (
	"fmt"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"

	"lvslab/internal/ansible"
	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// Templated is a keyword given as a template (`become: "{{ x }}"`): it is
// rendered per host, and per loop item, when the task runs, and typed as
// Ansible types the keyword (Task.Resolve).
type Templated struct {
	pos.Pos
	Src string
}

// keywordType is how a templated keyword's value is typed and set.
type keywordType struct {
	name string // "a boolean", as its errors say
	set  func(t *Task, v any) error
}

func boolKeyword(set func(*Task, bool)) keywordType {
	return keywordType{"a boolean", func(t *Task, v any) error {
		b, ok := ansible.ParseBool(v)
		if !ok {
			return fmt.Errorf("%s is not a valid boolean; valid booleans include yes, no, true, false, on, off, 1, 0", describeValue(v))
		}
		set(t, b)
		return nil
	}}
}

func intKeyword(set func(*Task, int)) keywordType {
	return keywordType{"an integer", func(t *Task, v any) error {
		n, err := toInt(v)
		if err == nil {
			set(t, n)
		}
		return err
	}}
}

// templatedKeywords are the keywords that may be templates, and their types.
var templatedKeywords = map[string]keywordType{
	"become":             boolKeyword(func(t *Task, b bool) { t.Become = &b }),
	"ignore_errors":      boolKeyword(func(t *Task, b bool) { t.IgnoreErrors = b }),
	"no_log":             boolKeyword(func(t *Task, b bool) { t.NoLog = b }),
	"run_once":           boolKeyword(func(t *Task, b bool) { t.RunOnce = b }),
	"check_mode":         boolKeyword(func(t *Task, b bool) { t.CheckMode = &b }),
	"diff":               boolKeyword(func(t *Task, b bool) { t.DiffMode = &b }),
	"any_errors_fatal":   boolKeyword(func(t *Task, b bool) { t.AnyErrorsFatal = &b }),
	"ignore_unreachable": boolKeyword(func(t *Task, b bool) { t.IgnoreUnreachable = b }),
	"delegate_facts":     boolKeyword(func(t *Task, b bool) { t.DelegateFacts = b }),
	"retries":            intKeyword(func(t *Task, n int) { t.Retries = n }),
	"delay":              intKeyword(func(t *Task, n int) { t.Delay = n }),
	"throttle":           intKeyword(func(t *Task, n int) { t.Throttle = n }),
	"remote_user": {"a string", func(t *Task, v any) error {
		t.RemoteUser = fmt.Sprint(v)
		return nil
	}},
}

// templatedKeyword records the keyword k given as the template v on t,
// and reports whether it was one.
func (p *parser) templatedKeyword(file string, k, v *yaml.Node, templated *map[string]Templated) bool {
	if _, ok := templatedKeywords[k.Value]; !ok || v.Kind != yaml.ScalarNode || !tmpl.Has(v.Value) {
		return false
	}
	p.templates(file, v)
	if *templated == nil {
		*templated = map[string]Templated{}
	}
	(*templated)[k.Value] = Templated{Pos: pos.At(file, v), Src: v.Value}
	return true
}

// inheritTemplated gives t the templated keywords of from that t sets
// neither as a value nor as a template of its own.
func inheritTemplated(t *Task, from map[string]Templated) {
	if len(from) == 0 {
		return
	}
	own := t.Templated
	t.Templated = make(map[string]Templated, len(own)+len(from))
	for k, e := range own {
		t.Templated[k] = e
	}
	for k, e := range from {
		if _, ok := own[k]; !ok && !t.setsKeyword(k) {
			t.Templated[k] = e
		}
	}
}

// setsKeyword reports whether t gives the keyword k a value of its own
// (for the keywords a false value can be told from none of).
func (t *Task) setsKeyword(k string) bool {
	switch k {
	case "become":
		return t.Become != nil
	case "check_mode":
		return t.CheckMode != nil
	case "diff":
		return t.DiffMode != nil
	case "any_errors_fatal":
		return t.AnyErrorsFatal != nil
	case "remote_user":
		return t.RemoteUser != ""
	}
	return false
}

// Resolve returns t with its templated keywords valued (value renders a
// template to its native value, as Ansible's templar does), typed as
// Ansible types them: a boolean from Ansible's spellings (yes, true, 1,
// on ...), an integer, a string; a value of the wrong type is an error
// naming the keyword at its file:line. t itself is returned when it has
// no templated keyword.
func (t *Task) Resolve(value func(Templated) (any, error)) (*Task, error) {
	if len(t.Templated) == 0 {
		return t, nil
	}
	keys := make([]string, 0, len(t.Templated))
	for k := range t.Templated {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c := *t
	for _, k := range keys {
		e := t.Templated[k]
		v, err := value(e)
		if err != nil {
			return t, err
		}
		kt := templatedKeywords[k]
		if err := kt.set(&c, v); err != nil {
			return t, pos.Errorf(e.Pos, "the field '%s' has an invalid value (%s), and could not be converted to %s: %v", k, e.Src, kt.name, err)
		}
	}
	return &c, nil
}

func toInt(v any) (int, error) {
	if n, ok := ansible.ParseInt(v); ok {
		return n, nil
	}
	return 0, fmt.Errorf("%s is not an integer", describeValue(v))
}

func describeValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v (%T)", v, v)
}
