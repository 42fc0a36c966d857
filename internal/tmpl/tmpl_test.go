package tmpl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"text/template"

	"gopkg.in/yaml.v3"
)

var vars = map[string]any{
	"vip":   "172.17.1.6",
	"port":  80,
	"sites": []any{map[string]any{"name": "a.example"}, map[string]any{"name": "b.example"}},
	"out":   map[string]any{"stdout": "rule added", "rc": 0},
}

func TestRender(t *testing.T) {
	got, err := Render("t", "{{ .vip }}:{{ .port }} {{ upper \"x\" }}", vars)
	if err != nil || got != "172.17.1.6:80 X" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestRenderUndefinedNamesVariable(t *testing.T) {
	_, err := Render("play.yml:3:5", "{{ .nope }}", vars)
	var u *UndefinedError
	if !errors.As(err, &u) || u.Name != "nope" || u.Template != "play.yml:3:5" {
		t.Fatalf("got %v", err)
	}
	if err.Error() != `play.yml:3:5: undefined variable "nope"` {
		t.Fatalf("message %q", err)
	}
}

func TestValueKeepsTypes(t *testing.T) {
	v, err := Value("t", "{{ .sites }}", vars)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := v.([]any); !ok || len(l) != 2 {
		t.Fatalf("got %#v", v)
	}
	v, _ = Value("t", "{{ .port }}", vars)
	if v != 80 {
		t.Fatalf("got %#v", v)
	}
	v, _ = Value("t", "x{{ .port }}", vars)
	if v != "x80" {
		t.Fatalf("got %#v", v)
	}
	if _, err := Value("t", "{{ .missing }}", vars); err == nil {
		t.Fatal("undefined variable accepted")
	}
}

func TestRenderNodeFillsInt(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("port: \"{{ .port }}\"\nhost: '{{ .vip }}'\nkeep: \"08\"\n"), &doc); err != nil {
		t.Fatal(err)
	}
	n, err := RenderNode("f", doc.Content[0], vars)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Port int
		Host string
		Keep string
	}
	if err := n.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Port != 80 || out.Host != "172.17.1.6" || out.Keep != "08" {
		t.Fatalf("got %+v", out)
	}
}

func TestEval(t *testing.T) {
	for src, want := range map[string]bool{
		`port == 80`:                             true,
		`out.stdout contains "added"`:            true,
		`out.rc != 0`:                            false,
		`"vip" in $env && vip != ""`:             true,
		`"nope" in $env`:                         false,
		`let p = port; p > 10`:                   true,
		`all(sites, {.name endsWith "example"})`: true,
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
	if _, err := EvalBool("t", `port`, vars); err == nil {
		t.Fatal("non-boolean accepted")
	}
	if err := CompileExpr(`port ==`); err == nil {
		t.Fatal("syntax error accepted")
	}
}

func TestRenderValue(t *testing.T) {
	got, err := RenderValue("t", map[string]any{"a": []any{"{{ .port }}", "x"}}, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": []any{80, "x"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

// TestRenderErrorKeepsCause: a template's error says what text/template
// said, without its "template: " prefix, and still is that error.
func TestRenderErrorKeepsCause(t *testing.T) {
	_, err := Render("t.yml:1:1", "{{ fail \"boom\" }}", vars)
	var ee template.ExecError
	if !errors.As(err, &ee) || strings.Contains(err.Error(), "template: ") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("exec error: %v (%T)", err, err)
	}
	_, err = Render("t.yml:2:1", "{{ .x ", vars)
	if err == nil || strings.Contains(err.Error(), "template: ") || errors.Unwrap(errors.Unwrap(err)) == nil {
		t.Errorf("parse error: %v", err)
	}
}
