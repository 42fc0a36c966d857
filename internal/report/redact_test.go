package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"lvslab/internal/module"
)

const redactCanary = `c4n"a'r$y*.[x]+<&>`

// TestRedactorEscapedForms: a secret is hidden raw and as JSON, Go quoting
// and shell quoting print it, so messages that quote values do not leak.
func TestRedactorEscapedForms(t *testing.T) {
	r := NewRedactor("pw-"+redactCanary, "ab", "")
	j, _ := json.Marshal(map[string]string{"password": "pw-" + redactCanary})
	var noHTML bytes.Buffer
	enc := json.NewEncoder(&noHTML)
	enc.SetEscapeHTML(false)
	enc.Encode([]string{"pw-" + redactCanary})
	for _, s := range []string{
		"pw-" + redactCanary,
		string(j),
		noHTML.String(),
		fmt.Sprintf("parsing %q: invalid syntax", "pw-"+redactCanary),
		fmt.Sprintf("%+q", "pw-"+redactCanary),
		"sh -c 'echo " + strings.ReplaceAll("pw-"+redactCanary, "'", `'\''`) + "'",
		"sh -c 'echo " + strings.ReplaceAll("pw-"+redactCanary, "'", `'"'"'`) + "'",
	} {
		if got := r.String(s); strings.Contains(got, "c4n") || !strings.Contains(got, "********") {
			t.Errorf("String(%s) = %s", s, got)
		}
	}
	if got := r.String("ab"); got != "ab" {
		t.Errorf("a two-letter secret is redacted: %q", got)
	}
}

type wrapped struct{ Pass string }

type label string

// TestRedactorValueShapes: every shape a module's data takes is redacted,
// not only strings, []any and map[string]any.
func TestRedactorValueShapes(t *testing.T) {
	sec := "pw-" + redactCanary
	r := NewRedactor(sec)
	for _, v := range []any{
		sec,
		[]string{sec},
		map[string]string{"k": sec},
		[]map[string]any{{"k": sec}},
		map[string][]string{"k": {sec}},
		wrapped{Pass: sec},
		&wrapped{Pass: sec},
		label(sec),
		[]byte(sec),
		[]any{map[string]any{"k": []any{sec}}},
	} {
		b, _ := json.Marshal(r.Value(v))
		if strings.Contains(string(b), "c4n") {
			t.Errorf("Value(%#v) = %s", v, b)
		}
	}
	for _, v := range []any{nil, true, 3, 2.5, int64(4)} {
		if got := r.Value(v); got != v {
			t.Errorf("Value(%#v) = %#v", v, got)
		}
	}
}

// TestReportersHideEscapedSecrets: the text (every verbosity, with diffs)
// and JSON reporters print no form of a secret held in messages, data,
// loop items and diffs.
func TestReportersHideEscapedSecrets(t *testing.T) {
	sec := "pw-" + redactCanary
	red := NewRedactor(sec)
	q, _ := json.Marshal(map[string]string{"password": sec})
	res := Result{Host: "h", Task: "t", Status: Failed, Err: "value " + string(q), HasItem: true,
		Item: map[string]any{"pw": sec}, Result: module.Result{Msg: fmt.Sprintf("%q", sec),
			Data: map[string]any{"cmd": []string{"echo", sec}, "env": map[string]string{"P": sec}, "stdout": sec},
			Diff: []module.FileDiff{{Path: "/f", Before: "old\n", After: sec + "\n"}}}}
	var outs []string
	for v := range 4 {
		var b bytes.Buffer
		tx := NewText(&b, false, v, true, red)
		tx.Result(res)
		ok := res
		ok.Status = Changed
		tx.Result(ok)
		tx.Warn(string(q))
		tx.Running("h", sec, 0)
		outs = append(outs, b.String())
	}
	var b bytes.Buffer
	js := NewJSON(&b, red)
	js.Result(res)
	js.Warn(fmt.Sprintf("%q", sec))
	outs = append(outs, b.String())
	for i, out := range outs {
		if strings.Contains(out, "c4n") {
			t.Errorf("output %d holds the secret:\n%s", i, out)
		}
	}
}

func TestSecretName(t *testing.T) {
	for _, n := range []string{"ansible_password", "ansible_ssh_pass", "ansible_become_pass", "ansible_become_password",
		"lnmp_db_password", "DB_PASSWD", "key_passphrase", "api_token", "app_secret", "db_pass", "admin-pw", "mysql.pwd"} {
		if !SecretName(n) {
			t.Errorf("%s is not a secret's name", n)
		}
	}
	for _, n := range []string{"ansible_host", "ansible_ssh_private_key_file", "passive", "bypass_cache", "compass", "vip", "port"} {
		if SecretName(n) {
			t.Errorf("%s is a secret's name", n)
		}
	}
}

// TestRedactorAddConcurrently: secrets added while results are printed
// (the runner adds play variables as it renders them) are hidden from then
// on; -race checks the locking.
func TestRedactorAddConcurrently(t *testing.T) {
	r := NewRedactor()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() { defer wg.Done(); r.Add(fmt.Sprintf("secret-%d-%s", i, redactCanary)) }()
		go func() { defer wg.Done(); _ = r.Value(map[string]any{"k": []any{"x"}}); _ = r.String("x") }()
	}
	wg.Wait()
	for i := range 8 {
		if got := r.String(fmt.Sprintf("a secret-%d-%s b", i, redactCanary)); got != "a ******** b" {
			t.Errorf("%d: %q", i, got)
		}
	}
}

// TestRedactorTemplateForms: a secret with a backslash and quotes is hidden
// in the forms templates and filters give it: PHP-escaped as
// templates/lnmp.php.j2, SQL as tasks/lnmp.yml, the quote filter's shell
// word, JSON, URL-encoded, and those with backslashes doubled again.
func TestRedactorTemplateForms(t *testing.T) {
	sec := `pw-c4n"a'r\y $&?%`
	r := NewRedactor(sec)
	php := strings.ReplaceAll(strings.ReplaceAll(sec, `\`, `\\`), "'", `\'`)
	sql := strings.ReplaceAll(strings.ReplaceAll(sec, `\`, `\\`), "'", "''")
	j, _ := json.Marshal(sec)
	for _, s := range []string{
		"$db = new mysqli('h', 'u', '" + php + "');",
		"IDENTIFIED BY '" + sql + "';",
		"IDENTIFIED BY '" + strings.ReplaceAll(sec, "'", "''") + "';",
		"export MYSQL_PWD='" + strings.ReplaceAll(sec, "'", `'"'"'`) + "'",
		"json=" + string(j),
		"url=" + url.QueryEscape(sec), "path=" + url.PathEscape(sec),
		"twice=" + strings.ReplaceAll(php, `\`, `\\`),
		fmt.Sprintf("%q", php),
	} {
		if got := r.String(s); strings.Contains(got, "c4n") {
			t.Errorf("String(%s) = %s", s, got)
		}
	}
}

// TestDiffRedaction: every changed line of a diff whose old or new content
// holds a secret is hidden (the old password with it), unchanged lines
// stay; without a known secret only changed lines that name one are.
func TestDiffRedaction(t *testing.T) {
	r := NewRedactor("new-s3cret")
	d := r.Diff(module.FileDiff{Path: "/f", Before: "a\npw=old-0ld\nb\n", After: "a\npw=new-s3cret\nb\n"})
	if got := Unified(d.Path, d.Before, d.After); strings.Contains(got, "0ld") || strings.Contains(got, "s3cret") ||
		!strings.Contains(got, "-"+HiddenOld+"\n+"+HiddenNew+"\n") || !strings.Contains(got, " a\n") {
		t.Errorf("diff:\n%s", got)
	}
	var none *Redactor
	d = none.Diff(module.FileDiff{Path: "/f", Before: "user=a\npassword=0ld\nport=1\n", After: "user=b\nport=1\n"})
	if got := Unified(d.Path, d.Before, d.After); strings.Contains(got, "0ld") || !strings.Contains(got, "-user=a\n") || !strings.Contains(got, HiddenOld) {
		t.Errorf("diff:\n%s", got)
	}
}
