package module

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// PamLimits is community.general's pam_limits: one limit of one domain in
// limits.conf(5) (/etc/security/limits.conf, or a /etc/security/limits.d
// file as dest). The line of domain, limit_type and limit_item is given
// value, or appended as `domain<TAB>type<TAB>item<TAB>value` when there is
// none; the other lines are kept as they are.
//
// Arguments: domain, limit_type (soft, hard or -), limit_item (core, nofile,
// nproc, memlock, ... as Ansible lists them) and value (a number, or
// unlimited, infinity or -1; -20..19 for nice and priority), all required;
// use_max / use_min keep the larger / smaller of value and the line's
// (unlimited being the largest); dest (default /etc/security/limits.conf,
// created empty when missing in an existing directory); comment (added
// after the value as `<TAB>#comment`); backup.
//
// Idempotent: the file is written only when the value differs. The
// message is the limit's line as it is afterwards, as Ansible's. Check
// mode and --diff as the other file modules. The edit is Ansible's line
// for line, its quirks too: a line's comment becomes the comment of a
// changed limit when none is given, and a limit appended to a file whose
// last line has no newline is joined to that line.
type PamLimits struct {
	Domain    string `yaml:"domain"`
	LimitType string `yaml:"limit_type"`
	LimitItem string `yaml:"limit_item"`
	Value     string `yaml:"value"`
	UseMax    bool   `yaml:"use_max"`
	UseMin    bool   `yaml:"use_min"`
	Backup    bool   `yaml:"backup"`
	Dest      string `yaml:"dest"`
	Comment   string `yaml:"comment"`
}

// pamItems are the limit items Ansible's pam_limits accepts.
var pamItems = []string{"core", "data", "fsize", "memlock", "nofile", "rss", "stack", "cpu", "nproc", "as", "maxlogins",
	"maxsyslogins", "priority", "locks", "sigpending", "msgqueue", "nice", "rtprio", "chroot"}

// pamLimitsWant is what a pam_limits task wants: the arguments with dest
// defaulted.
type pamLimitsWant struct{ PamLimits }

// want fills the default and checks every argument.
func (m *PamLimits) want() (pamLimitsWant, error) {
	var p problems
	w := pamLimitsWant{*m}
	w.Dest = orDefault(m.Dest, "/etc/security/limits.conf")
	if m.Domain == "" {
		p.add("domain is required")
	}
	if !slices.Contains([]string{"soft", "hard", "-"}, m.LimitType) {
		p.add("limit_type %q: want soft, hard or -", m.LimitType)
	}
	if !slices.Contains(pamItems, m.LimitItem) {
		p.add("limit_item %q: want one of %s", m.LimitItem, strings.Join(pamItems, ", "))
	}
	if m.UseMax && m.UseMin {
		p.add("Cannot use use_min and use_max at the same time.")
	}
	if msg := pamBadValue(m.LimitItem, m.Value); msg != "" {
		p.add("%s", msg)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *PamLimits) Validate() error { _, err := m.want(); return err }

// Apply converges the limit: one probe that reads dest, the edit, then at
// most one upload.
func (m *PamLimits) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	e := textEdit{path: w.Dest, attrs: FileAttrs{Backup: w.Backup}, create: true, plainMsg: true, edit: w.edit}
	return e.run(ctx, h, env, "pam_limits")
}

// pamSpace is a run of whitespace, as Python's \s+.
var pamSpace = regexp.MustCompile(`\s+`)

// edit is Ansible's pam_limits on the file's content.
func (w pamLimitsWant) edit(old string, _ bool) (string, string, bool, bool) {
	var b strings.Builder
	found, newValue, comment, msg := false, w.Value, w.Comment, ""
	for _, line := range strings.SplitAfter(old, "\n") {
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			b.WriteString(line)
			continue
		}
		fields := strings.TrimSpace(pamSpace.ReplaceAllString(line, " "))
		if fields == "" {
			b.WriteString(line)
			continue
		}
		fields, _, _ = strings.Cut(fields, "#")
		oldComment := ""
		if _, c, ok := strings.Cut(line, "#"); ok {
			oldComment = c
		}
		if comment == "" {
			comment = oldComment
		}
		f := strings.Split(strings.TrimRight(fields, " \t\r\n\v\f"), " ")
		if len(f) != 4 {
			b.WriteString(line)
			continue
		}
		if bad := pamBadValue(f[2], f[3]); bad != "" {
			return old, fmt.Sprintf("Invalid configuration found in '%s'. %s", w.Dest, bad), true, true
		}
		if f[0] != w.Domain || f[1] != w.LimitType || f[2] != w.LimitItem {
			b.WriteString(line)
			continue
		}
		found = true
		actual := f[3]
		if w.Value == actual {
			msg = line
			b.WriteString(line)
			continue
		}
		newValue = w.pick(actual)
		if newValue == actual {
			msg = line
			b.WriteString(line)
			continue
		}
		msg = w.line(newValue, comment)
		b.WriteString(msg)
	}
	if !found {
		msg = w.line(newValue, comment)
		b.WriteString(msg)
	}
	return b.String(), msg, false, false
}

// pick is the value use_max or use_min leave of value and the line's.
func (w pamLimitsWant) pick(actual string) string {
	unlimited := func(v string) bool { return v == "unlimited" || v == "infinity" || v == "-1" }
	a, _ := strconv.Atoi(actual)
	v, _ := strconv.Atoi(w.Value)
	switch {
	case w.UseMax && unlimited(actual):
		return actual
	case w.UseMax && unlimited(w.Value):
		return w.Value
	case w.UseMax:
		return strconv.Itoa(max(a, v))
	case w.UseMin && unlimited(actual) && unlimited(w.Value):
		return actual
	case w.UseMin && unlimited(actual):
		return w.Value
	case w.UseMin && unlimited(w.Value):
		return actual
	case w.UseMin:
		return strconv.Itoa(min(a, v))
	}
	return w.Value
}

// line is the limit's line as Ansible writes it.
func (w pamLimitsWant) line(value, comment string) string {
	if comment != "" {
		comment = "\t#" + comment
	}
	return w.Domain + "\t" + w.LimitType + "\t" + w.LimitItem + "\t" + value + comment + "\n"
}

// pamBadValue is Ansible's message for a value limits.conf does not take
// for item, or "".
func pamBadValue(item, value string) string {
	if item == "nice" || item == "priority" {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(value), "+"))
		if err == nil && n >= -20 && n <= 19 {
			return ""
		}
		return fmt.Sprintf("Value of '%s' for item '%s' is invalid. Value must be a number in the range -20 to 19 inclusive. "+
			"Refer to the limits.conf(5) manual pages for more details.", value, item)
	}
	if value == "unlimited" || value == "infinity" || value == "-1" || (value != "" && strings.Trim(value, "0123456789") == "") {
		return ""
	}
	return fmt.Sprintf("Value of '%s' for item '%s' is invalid. Value must either be 'unlimited', 'infinity' or -1, all of "+
		"which indicate no limit, or a limit of 0 or larger. Refer to the limits.conf(5) manual pages for more details.", value, item)
}
