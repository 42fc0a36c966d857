// Package report turns run events into Ansible-shaped text or JSON lines.
// Reporters are safe for concurrent use: host results arrive from many
// goroutines.
package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"lvslab/internal/module"
)

// Status is the outcome of a task on a host.
type Status string

// The statuses a task can end with on a host.
const (
	OK          Status = "ok"
	Changed     Status = "changed"
	Failed      Status = "failed"
	Skipped     Status = "skipped"
	Unreachable Status = "unreachable"
)

// Result is one task's outcome on one host (or one loop item of it).
type Result struct {
	Host     string
	Task     string
	Status   Status
	Item     any // the loop item, nil when not in a loop
	HasItem  bool
	Ignored  bool // failed, but ignore_errors was set
	NoLog    bool
	Result   module.Result
	Err      string // the failure or unreachable reason
	Duration time.Duration
}

// Stats counts one host's results for the recap.
type Stats struct {
	Host        string
	OK          int
	Changed     int
	Unreachable int
	Failed      int
	Skipped     int
	Rescued     int
	Ignored     int
}

// Reporter receives the events of a run.
type Reporter interface {
	Playbook(path string)
	Play(name string)
	Task(name string, handler bool)
	Result(r Result)
	// Running says a task is still running on a host after elapsed.
	Running(host, task string, elapsed time.Duration)
	Warn(msg string)
	Recap(stats []Stats)
}

// Redactor hides secrets (passwords, become passwords) in every string that
// is printed.
type Redactor struct {
	secrets []string
}

// NewRedactor returns a Redactor for the given secrets; empty and very short
// strings are ignored, to keep output readable. Each secret is also hidden
// in the forms it takes inside JSON, Go-quoted (%q) and shell-quoted text,
// so that a message quoting a value does not give it away.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < 3 {
			continue
		}
		for _, v := range escapedForms(s) {
			if !seen[v] {
				seen[v] = true
				r.secrets = append(r.secrets, v)
			}
		}
	}
	// Longest first, so a secret containing another is hidden whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r
}

// escapedForms returns s as it is and as it appears inside a JSON string
// (with and without HTML escaping), a Go-quoted string, and a single-quoted
// shell word (either way of writing a quote in one).
func escapedForms(s string) []string {
	forms := []string{s}
	inner := func(q string) string { return q[1 : len(q)-1] }
	if b, err := json.Marshal(s); err == nil {
		forms = append(forms, inner(string(b)))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) == nil {
		forms = append(forms, inner(strings.TrimSuffix(buf.String(), "\n")))
	}
	forms = append(forms, inner(strconv.Quote(s)), inner(strconv.QuoteToASCII(s)),
		strings.ReplaceAll(s, "'", `'\''`), strings.ReplaceAll(s, "'", `'"'"'`))
	return forms
}

// String returns s with every secret replaced by ********.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "********")
	}
	return s
}

// Value returns v with every string inside it redacted.
func (r *Redactor) Value(v any) any {
	if r == nil || len(r.secrets) == 0 {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.String(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.Value(e)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = r.String(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.Value(e)
		}
		return out
	case nil, bool, int, int64, float64:
		return v
	case []byte:
		return r.String(string(x))
	}
	// Other shapes (map[string]string, []map[string]any, structs): their
	// JSON form, redacted.
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.String:
		return r.String(rv.String())
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct, reflect.Pointer, reflect.Interface:
		b, err := json.Marshal(v)
		if err != nil {
			return "********"
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			return "********"
		}
		return r.Value(generic)
	}
	return v
}
