package module

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"lvslab/internal/host"
)

// Debconf is Ansible's debconf: it sets the answer of one question of a
// package (name) in the debconf database, with debconf-set-selections (-u
// with unseen), the line on stdin. The answers are read with debconf-show
// NAME: the question's answer equal to value (booleans compared in lower
// case) is converged. debconf-show never shows passwords: for vtype
// password, the stored one is compared, on the host, by its SHA-256 with
// that of value, from debconf-get-selections (debconf-utils); without it,
// a password is set every time, as Ansible's does. A password is never in a
// command line, a message or a registered value (it shows as ********).
// Without question, it only reads the package's answers (current). It
// registers current (the question's new answer, or every answer when
// nothing changed) and previous; check mode says what would change; --diff
// shows the answer before and after.
type Debconf struct {
	Name     string  `yaml:"name"`
	Question string  `yaml:"question"`
	Vtype    string  `yaml:"vtype"`
	Value    *string `yaml:"value"`
	Unseen   bool    `yaml:"unseen"`
}

var debconfTypes = []string{"boolean", "error", "multiselect", "note", "password", "seen", "select", "string", "text", "title"}

// debconfWant is what a debconf task sets.
type debconfWant struct{ Debconf }

// want checks the arguments, reporting every problem.
func (m *Debconf) want() (debconfWant, error) {
	var p problems
	if m.Name == "" {
		p.add("name is required")
	}
	if strings.ContainsAny(m.Name+m.Question, " \t\n") {
		p.add("name and question must be single words")
	}
	if m.Vtype != "" && !slices.Contains(debconfTypes, m.Vtype) {
		p.add("vtype must be one of %s, not %q", strings.Join(debconfTypes, ", "), m.Vtype)
	}
	if m.Question != "" && (m.Vtype == "" || m.Value == nil) {
		p.add("when supplying a question you must supply a valid vtype and value")
	}
	if m.Value != nil && strings.ContainsAny(*m.Value, "\n") {
		p.add("value must be one line")
	}
	return debconfWant{*m}, p.err()
}

// Validate reports every problem of the arguments.
func (m *Debconf) Validate() error { _, err := m.want(); return err }

// value is the wanted answer as debconf stores it.
func (w debconfWant) value() string {
	if w.Vtype == "boolean" {
		return strings.ToLower(*w.Value)
	}
	return *w.Value
}

// shown is what a registered value says of an answer.
func (w debconfWant) shown(v string) string {
	if w.Vtype == "password" {
		return "********"
	}
	return v
}

// Apply converges the answer: one inspection, then at most one command.
func (m *Debconf) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	p := []string{probe("show", "LC_ALL=C debconf-show "+host.Quote(w.Name)+" 2>&1")}
	if w.Vtype == "password" {
		p = append(p, probe("pw", "command -v debconf-get-selections >/dev/null || exit 3; "+
			"debconf-get-selections | awk -F '\\t' -v q="+host.Quote(w.Question)+" '$2 == q { printf \"%s\", $4; f=1 } END { exit !f }' | sha256sum"))
	}
	in, err := inspect(ctx, h, "debconf "+w.Name, probes(p...))
	if err != nil {
		return Result{}, err
	}
	if !in.ok("show") {
		return Result{}, fmt.Errorf("debconf-show %s: %s", w.Name, in.text("show"))
	}
	prev := map[string]any{}
	for _, l := range outLines(in.text("show")) {
		q, v, ok := strings.Cut(strings.TrimLeft(l, "* "), ":")
		if ok {
			prev[q] = strings.TrimSpace(v)
		}
	}
	if w.Question == "" {
		return Result{Data: map[string]any{"current": prev}}, nil
	}
	old, had := prev[w.Question].(string)
	if w.Vtype == "boolean" {
		old = strings.ToLower(old)
	}
	changed := !had || old != w.value()
	if w.Vtype == "password" {
		sum := sha256.Sum256([]byte(w.value()))
		have, _, _ := strings.Cut(in.text("pw"), " ")
		changed, old, had = !in.ok("pw") || have != hex.EncodeToString(sum[:]), "", true
	}
	if !changed {
		return Result{Data: map[string]any{"current": prev}}, nil
	}
	before := map[string]any{w.Question: w.shown(old)}
	after := map[string]any{w.Question: w.shown(w.value())}
	res := Result{Changed: true, Data: map[string]any{"current": after, "previous": before}}
	if env.Diff {
		res.Diff = []FileDiff{{Path: w.Name + " " + w.Question, Before: w.shown(old) + "\n", After: w.shown(w.value()) + "\n"}}
	}
	if env.Check {
		return res, nil
	}
	cmd := "debconf-set-selections"
	if w.Unseen {
		cmd += " -u"
	}
	line := strings.Join([]string{w.Name, w.Question, w.Vtype, w.value()}, " ") + "\n"
	out, err := h.Run(ctx, cmd, host.RunOpts{Stdin: strings.NewReader(line)})
	if err != nil {
		return res, fmt.Errorf("apply debconf: %w", err)
	}
	res = applied(res, "debconf-set-selections", out)
	res.Data["msg"] = res.Data["stdout"]
	return res, nil
}
