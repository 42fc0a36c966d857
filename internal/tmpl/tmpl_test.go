package tmpl

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var vars = map[string]any{
	"vip":   "172.17.1.6",
	"port":  80,
	"none":  nil,
	"sites": []any{map[string]any{"name": "a.example"}, map[string]any{"name": "b.example"}},
	"out":   map[string]any{"stdout": "rule added", "rc": 0},
}

func TestRender(t *testing.T) {
	got, err := Render("t", "{{ vip }}:{{ port }} {{ 'x' | upper }}{% if port > 10 %} big{% endif %}", vars)
	if err != nil || got != "172.17.1.6:80 X big" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestRenderUndefinedNamesVariable(t *testing.T) {
	_, err := Render("play.yml:3:5", "{{ nope }}", vars)
	var u *UndefinedError
	if !errors.As(err, &u) || u.Name != "nope" || u.Template != "play.yml:3:5" {
		t.Fatalf("got %v", err)
	}
	if err.Error() != `play.yml:3:5: undefined variable "nope"` {
		t.Fatalf("message %q", err)
	}
	_, err = Render("t", "{{ sites[0].root }}", vars)
	if !errors.As(err, &u) || u.Name != "sites[0].root" || u.Root() != "sites" {
		t.Fatalf("attribute: got %v", err)
	}
}

// TestUndefinedIsNotNone: None is a value: defined, kept by default.
func TestUndefinedIsNotNone(t *testing.T) {
	for text, want := range map[string]any{
		"{{ none is defined }}":         true,
		"{{ nope is defined }}":         false,
		"{{ nope | default('d') }}":     "d",
		"{{ sites[0].x | default(3) }}": 3,
	} {
		got, err := Value("t", text, vars)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, %v; want %#v", text, got, err, want)
		}
	}
}

func TestValueKeepsTypes(t *testing.T) {
	v, err := Value("t", "{{ sites }}", vars)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := v.([]any); !ok || len(l) != 2 {
		t.Fatalf("got %#v", v)
	}
	for text, want := range map[string]any{
		"{{ port }}": 80, "x{{ port }}": "x80", "{{ port + 1 }}": 81, "{{ [1, 'a'] }}": []any{1, "a"},
		"{{ {'k': port} }}": map[string]any{"k": 80}, "{{ port > 1 }}": true,
	} {
		got, err := Value("t", text, vars)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, %v; want %#v", text, got, err, want)
		}
	}
	if _, err := Value("t", "{{ missing }}", vars); err == nil {
		t.Fatal("undefined variable accepted")
	}
}

func TestRenderNodeFillsInt(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("port: \"{{ port }}\"\nhost: '{{ vip }}'\nkeep: \"08\"\nempty: \"{{ '' }}\"\n"), &doc); err != nil {
		t.Fatal(err)
	}
	n, err := RenderNode("f", doc.Content[0], vars)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Port  int
		Host  string
		Keep  string
		Empty *string
	}
	if err := n.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Port != 80 || out.Host != "172.17.1.6" || out.Keep != "08" || out.Empty == nil || *out.Empty != "" {
		t.Fatalf("got %+v", out)
	}
}

// TestRenderNodeAliasBomb: an alias chain in task arguments is refused
// with its place, not expanded to gigabytes.
func TestRenderNodeAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("a" + string(rune('0'+i%10)) + string(rune('a'+i)) + ": &a" + strings.Repeat("z", i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			if i == 1 {
				b.WriteString("*a0")
			} else {
				b.WriteString("*a" + strings.Repeat("z", i-1))
			}
		}
		b.WriteString("]\n")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	_, err := RenderNode("bomb.yml", doc.Content[0], vars)
	if err == nil || !strings.Contains(err.Error(), "bomb.yml:") || !strings.Contains(err.Error(), "aliases") {
		t.Fatalf("got %v", err)
	}
}

func TestEval(t *testing.T) {
	for src, want := range map[string]bool{
		`port == 80`:                   true,
		`'added' in out.stdout`:        true,
		`out.rc != 0`:                  false,
		`vip is defined and vip != ''`: true,
		`nope is defined`:              false,
		"port > 10 and\n  vip != ''":   true,
		`sites | map(attribute='name') | list | length == 2`: true,
		`{{ port == 80 }}`: true,
		`port`:             true,
		`none`:             false,
	} {
		got, err := EvalBool("t", src, vars)
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v", src, got, err)
		}
	}
	_, err := EvalBool("t", `nope == 1`, vars)
	var u *UndefinedError
	if !errors.As(err, &u) || u.Name != "nope" {
		t.Fatalf("got %v", err)
	}
	if err := CompileExpr(`port ==`); err == nil {
		t.Fatal("syntax error accepted")
	}
}

// TestBareVariableIsACondition: when: flag with flag "false" is false, as
// Ansible reads a bare variable's string value as the condition.
func TestBareVariableIsACondition(t *testing.T) {
	v := map[string]any{"flag": "false", "on": "port == 80", "port": 80}
	for src, want := range map[string]bool{"flag": false, "on": true, "not flag": false} {
		got, err := EvalBool("t", src, v)
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v", src, got, err)
		}
	}
}

func TestNames(t *testing.T) {
	got, err := Names(`a == 1 and b.c is defined or d | default(2) > e.f[g] and h is version('1', '<')`)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "e", "g", "h"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestOldFormExplained: lvslab's former Go-template and expr forms are
// errors that show the Jinja2 form.
func TestOldFormExplained(t *testing.T) {
	for _, text := range []string{"{{ .vip }}", "{{ if .ssl }}x{{ end }}", "a {{ toJson .sites }}"} {
		err := Parse("t", text)
		if err == nil || !strings.Contains(err.Error(), "Jinja2") || !strings.Contains(err.Error(), "{{ vip }}") {
			t.Errorf("%s: %v", text, err)
		}
	}
	for _, src := range []string{`a && b`, `"x" in $env`, `out.stdout contains "x"`, `!ok`} {
		err := CompileExpr(src)
		if err == nil || !strings.Contains(err.Error(), "Jinja2") {
			t.Errorf("%s: %v", src, err)
		}
	}
}

func TestRenderValue(t *testing.T) {
	got, err := RenderValue("t", map[string]any{"a": []any{"{{ port }}", "x"}}, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": []any{80, "x"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

// TestRenderErrors: a syntax error and a failing filter name the template
// and say what went wrong, without the engine's wrapping.
func TestRenderErrors(t *testing.T) {
	_, err := Render("t.yml:1:1", "{{ vip | nosuchfilter }}", vars)
	var te *Error
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "nosuchfilter") || !strings.HasPrefix(err.Error(), "t.yml:1:1: ") {
		t.Errorf("filter error: %v (%T)", err, err)
	}
	_, err = Render("t.yml:2:1", "{{ vip ", vars)
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "syntax") || strings.Contains(err.Error(), "failed to parse") {
		t.Errorf("parse error: %v", err)
	}
}

// TestRenderIsBounded: a template cannot produce more than MaxOutput.
func TestRenderIsBounded(t *testing.T) {
	_, err := Render("t", "{% for i in range(100000) %}{{ '"+strings.Repeat("x", 1000)+"' }}{% endfor %}", vars)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v", err)
	}
}

func TestHeaderAndTrim(t *testing.T) {
	v := map[string]any{"l": []any{1, 2}}
	got, err := Render("t", "{% for x in l %}\n{{ x }}\n{% endfor %}\n", v)
	if err != nil || got != "1\n2\n" {
		t.Errorf("trim_blocks: %q, %v", got, err)
	}
	got, err = Render("t", "#jinja2: trim_blocks: False\n{% for x in l %}\n{{ x }}{% endfor %}\n", v)
	if err != nil || got != "\n1\n2\n" {
		t.Errorf("header: %q, %v", got, err)
	}
}

// TestPythonStringLiterals: literals read Python's escapes, which gonja's
// lexer does not ('\\' ended the literal early).
func TestPythonStringLiterals(t *testing.T) {
	v := map[string]any{"s": `a'b\c`}
	for src, want := range map[string]string{
		`{{ s | replace('\\', '\\\\') | replace("'", "\\'") }}`: `a\'b\\c`,
		`{{ 'a\nb' }}`:                     "a\nb",
		`{{ 'it\'s' ~ "" }}`:               "it's",
		`{{ '\x41\t' }}`:                   "A\t",
		`{{ 'keep \d' }}`:                  `keep \d`,
		"{{ s is defined and\n s != '' }}": "True",
	} {
		got, err := Render("t", src, v)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
}

// TestUnknownFilterAtCompileTime: an unknown filter or test is an error
// when the template is parsed (lint), as in Jinja2.
func TestUnknownFilterAtCompileTime(t *testing.T) {
	for text, want := range map[string]string{
		"a\n{{ x | nosuch }}":                                `no filter named "nosuch"`,
		"{% if x is nosuchtest %}{% endif %}":                `no test named "nosuchtest"`,
		"{{ x is not nosuchtest }}":                          `no test named "nosuchtest"`,
		"{{ 'apt' | sensu.sensu_go.package_name(item, v) }}": `t: no filter named "sensu.sensu_go.package_name": a plugin of the collection sensu.sensu_go`,
		"a\n{{ x is not acme.net.reachable }}":               `t (line 2 of the string): no test named "acme.net.reachable"`,
	} {
		if err := Parse("t", text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", text, err)
		}
	}
	for _, text := range []string{"{{ x | default(1) | int }}", "{{ x is defined }}", "{{ x is not none }}", "{% filter upper %}a{% endfilter %}"} {
		if err := Parse("t", text); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}

// TestUndefinedInFileNamesLine: an undefined variable in a template file is
// reported at its line of the file.
func TestUndefinedInFileNamesLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "site.conf.j2")
	text := "a\n{% for s in sites %}\n{{ s.name }}\n{% endfor %}\nroot {{ nope }}\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Render(p, text, vars)
	var u *UndefinedError
	if !errors.As(err, &u) || u.Name != "nope" || err.Error() != p+`:5: undefined variable "nope"` {
		t.Fatalf("got %v", err)
	}
	_, err = Render(p, "{% for s in sites %}\n{{ s.nope }}\n{% endfor %}\n", vars)
	if !errors.As(err, &u) || u.Line != 2 {
		t.Fatalf("in a loop: %v (line %d)", err, u.Line)
	}
}

// TestConditionalExpressions: a if b else c anywhere an expression goes,
// evaluating only the branch chosen (the other may be undefined).
func TestConditionalExpressions(t *testing.T) {
	v := map[string]any{"ok": true, "no": false, "n": 2, "l": []any{1, 2}}
	for text, want := range map[string]any{
		"{{ ('a' if ok else 'b') | upper }}":                  "A",
		"{{ ('a' if no else nope) }}":                         nil, // fails: nope undefined
		"{{ ('a' if ok else nope) }}":                         "a",
		"{{ [1 if ok else 2, 3] }}":                           []any{1, 3},
		"{{ {'k': 'x' if no else 'y'} }}":                     map[string]any{"k": "y"},
		"{{ nope2 | default('d' if ok else 'e') }}":           "d",
		"{{ (n if n > 5 else (0 if no else -1)) }}":           -1,
		"{{ ('a' if no else 'b' if ok else 'c') }}":           "b",
		"{{ 'top' if ok else 'x' }}":                          "top",
		"{{ ('x' if no) is none }}":                           true,
		"{% for i in (l if ok else []) %}{{ i }}{% endfor %}": "12",
		"{{ ('ifx' ~ 'else') }}":                              "ifxelse",
		"{{ (modified if ok else 1) }}":                       nil,
	} {
		got, err := Value("t", text, v)
		if want == nil {
			if err == nil {
				t.Errorf("%s = %#v, want an error", text, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, %v; want %#v", text, got, err, want)
		}
	}
}
