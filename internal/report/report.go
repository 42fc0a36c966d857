// Package report turns run events into Ansible-shaped text or JSON lines.
// Reporters are safe for concurrent use: host results arrive from many
// goroutines.
package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	// Included is an include_tasks' file included for hosts: Host holds
	// their names (comma-separated, as Ansible's line), Result.Msg the file.
	Included Status = "included"
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
// is printed. It is safe for concurrent use; Add adds secrets found during a
// run.
type Redactor struct {
	mu      sync.RWMutex
	seen    map[string]bool
	secrets []string
}

// SecretName reports whether a variable of this name holds a secret whose
// value must never be printed: names with password, passwd, passphrase,
// secret or token in them, and pass as a word (ansible_ssh_pass,
// ansible_become_pass, db_pass).
func SecretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "passphrase", "secret", "token"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	for _, word := range strings.FieldsFunc(n, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if word == "pass" || word == "pw" || word == "pwd" {
			return true
		}
	}
	return false
}

// NewRedactor returns a Redactor for the given secrets; empty and very short
// strings are ignored, to keep output readable. Each secret is also hidden
// in the forms it takes inside JSON, Go-quoted (%q) and shell-quoted text,
// so that a message quoting a value does not give it away.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{seen: map[string]bool{}}
	r.Add(secrets...)
	return r
}

// Add hides more secrets from now on.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	added := false
	for _, s := range secrets {
		if len(s) < 3 {
			continue
		}
		for _, v := range escapedForms(s) {
			if !r.seen[v] {
				r.seen[v] = true
				r.secrets = append(r.secrets, v)
				added = true
			}
		}
	}
	if added {
		// Longest first, so a secret containing another is hidden whole.
		sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	}
}

// escapedForms returns s as it is and in the forms that templates, filters
// and printing give it: escaped for a PHP or SQL single-quoted string
// (backslashes doubled, a quote as \' or as ”), backslash-escaped, in a
// single-quoted shell word (Ansible's quote filter writes a quote as
// '"'"', others as '\”), URL-encoded, and as each of those appears
// inside a JSON string (with and without HTML escaping), a Go-quoted
// string, a Python repr, and with its backslashes doubled once more (a
// form printed inside another).
func escapedForms(s string) []string {
	bs := strings.NewReplacer(`\`, `\\`, `'`, `\'`, `"`, `\"`)
	bases := []string{s,
		strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`), // PHP, as templates/lnmp.php.j2
		strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''"), // SQL, as tasks/lnmp.yml
		strings.ReplaceAll(s, "'", "''"),
		strings.ReplaceAll(s, "'", `\'`),
		bs.Replace(s),
		strings.ReplaceAll(s, "'", `'\''`), strings.ReplaceAll(s, "'", `'"'"'`),
		url.QueryEscape(s), url.PathEscape(s),
	}
	inner := func(q string) string { return q[1 : len(q)-1] }
	var forms []string
	for _, b := range bases {
		forms = append(forms, b, strings.ReplaceAll(b, `\`, `\\`))
		if j, err := json.Marshal(b); err == nil {
			forms = append(forms, inner(string(j)))
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if enc.Encode(b) == nil {
			forms = append(forms, inner(strings.TrimSuffix(buf.String(), "\n")))
		}
		forms = append(forms, inner(strconv.Quote(b)), inner(strconv.QuoteToASCII(b)))
	}
	return forms
}

// holds reports whether s holds a secret in any of its forms.
func (r *Redactor) holds(s string) bool {
	if r == nil || s == "" {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			return true
		}
	}
	return false
}

// String returns s with every secret replaced by ********.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "********")
	}
	return s
}

func (r *Redactor) empty() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.secrets) == 0
}

// Value returns v with every string inside it redacted.
func (r *Redactor) Value(v any) any {
	if r == nil || r.empty() {
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
