package tmpl

import (
	"errors"
	"strings"
	"testing"
)

// Fuzz targets for Jinja2 in playbooks: templates in strings and
// expressions in when/until/changed_when/failed_when. The corpus is
// kept in testdata/fuzz; run them with
//
//	go test -run '^$' -fuzz FuzzTemplate -fuzztime 60s ./internal/tmpl
//	go test -run '^$' -fuzz FuzzExpr -fuzztime 60s ./internal/tmpl

// fuzzVars are the variables fuzzed templates and expressions run over.
func fuzzVars() map[string]any {
	return map[string]any{
		"vip": "172.17.1.6", "port": 80, "weight": 2.5, "ssl": true, "none": nil,
		"vip_ports": []any{80, 443},
		"sites":     []any{map[string]any{"name": "www.along.com", "root": "/app/website1"}},
		"facts":     map[string]any{"os_family": "Debian", "distribution_major_version": "12"},
		"out":       map[string]any{"rc": 0, "stdout": "added\nok", "stdout_lines": []any{"added", "ok"}},
	}
}

// heavy is what a fuzzed template or expression may not use: functions
// whose cost grows with a number in the input (a playbook may ask for a
// billion spaces; that is its author's business, not a parser bug), and
// lookups, which read files and run commands on the controller.
var heavy = []string{"range", "*", "center", "indent", "wordwrap", "ljust", "rjust", "zfill", "expandtabs",
	"lookup", "query", "q(", "format", "password_hash", "random", "shuffle", "file", "exists", "expanduser", "realpath"}

func isHeavy(s string) bool {
	for _, h := range heavy {
		if strings.Contains(s, h) {
			return true
		}
	}
	return len(s) > 512
}

// FuzzTemplate: no template text makes Parse, Render, Value or RenderValue
// panic; an error names the template (an *UndefinedError names the
// variable); a text without markup renders as itself; Value of a text that
// renders is that rendering or, for one action, its typed value.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"", "plain", "{{ vip }}", "{{ vip }}:{{ port }}\n", "{{ vip_ports }}", "  {{ port }}", "{{- vip -}}",
		"{% if ssl %}443{% else %}80{% endif %}", "{% for s in sites %}{{ s.name }} {% endfor %}", "{{ facts['os_family'] }}",
		"{{ missing }}", "{{ facts.nope }}", "{{ vip | upper | quote }}", "{{ sites | to_json }}", "{{ sites | to_yaml }}",
		"{# c #}", "{{ vip ", "{% endif %}", "{% macro m(x) %}{{ x }}{% endmacro %}{{ m(1) }}", "{% set x = vip %}{{ x }}",
		"{{ '%d' | format(port) }}", "{{ port + 1 }}", "{{ none }}", "{{ sites) (vip }}", "{{ .vip }}",
		"{{ vip_ports[5] }}", "{{ missing | default('a') }}", "{{{{ vip }}}}", "{{ vip if ssl else port }}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if isHeavy(text) {
			t.Skip()
		}
		vars := fuzzVars()
		perr := Parse("fuzz.yml:1:1", text)
		out, err := Render("fuzz.yml:1:1", text, vars)
		if err != nil {
			checkTemplateErr(t, text, err)
		} else if perr != nil {
			t.Fatalf("%q renders but does not parse: %v", text, perr)
		}
		if !Has(text) && (err != nil || out != text) {
			t.Fatalf("%q without markup rendered as %q, %v", text, out, err)
		}
		v, verr := Value("fuzz.yml:1:1", text, vars)
		if verr != nil {
			checkTemplateErr(t, text, verr)
			if err == nil {
				t.Fatalf("%q renders (%q) but its value fails: %v", text, out, verr)
			}
			return
		}
		if err != nil {
			if _, isString := v.(string); isString {
				t.Fatalf("%q fails to render (%v) but has the string value %q", text, err, v)
			}
			return
		}
		if s, ok := v.(string); ok && s != out && strings.TrimSpace(text) == text {
			t.Fatalf("%q: Value %q, Render %q", text, s, out)
		}
		if _, err := RenderValue("fuzz.yml:1:1", []any{text, map[string]any{"k": text}}, vars); err != nil {
			checkTemplateErr(t, text, err)
		}
	})
}

func checkTemplateErr(t *testing.T, text string, err error) {
	t.Helper()
	var u *UndefinedError
	if errors.As(err, &u) {
		if u.Name == "" || u.Template != "fuzz.yml:1:1" || !strings.Contains(err.Error(), "undefined variable") {
			t.Fatalf("%q: bad undefined-variable error %#v", text, u)
		}
		return
	}
	if !strings.Contains(err.Error(), "fuzz.yml:1:1") {
		t.Fatalf("%q: error does not name the template: %v", text, err)
	}
}

// FuzzExpr: no expression makes CompileExpr, Names, Eval or EvalBool panic;
// they agree on what compiles; an error names the expression; a variable
// reported missing is one Names lists, and with every listed name defined
// no variable is missing.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		`lvs_mode == "dr"`, `'added' in out.stdout`, `vip_dr is defined`, `port > 0 and ssl`, `not ssl`,
		`facts.os_family == "Debian" and facts.distribution_major_version | int >= 12`, `vip_ports | length == 2`,
		`rc != 3`, `vip_ports | select('gt', 0) | list`, `vip_ports[5]`, `missing.field`, `a ==`,
		`(`, `sites[0].name`, `out.stdout_lines[1] == "ok"`, `none`, `1 if ssl else 2`, `"a" + 1`, `vip | int`, `a && b`,
		`sites | selectattr('name', 'match', 'www') | list`, `1 / 0`, `port | default(3)`, `none.x`, `vip | upper`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if isHeavy(src) {
			t.Skip()
		}
		cerr := CompileExpr(src)
		names, nerr := Names(src)
		if (cerr == nil) != (nerr == nil) {
			t.Fatalf("%q: CompileExpr %v, Names %v", src, cerr, nerr)
		}
		vars := fuzzVars()
		_, err := Eval("fuzz.yml:1:1", src, vars)
		if cerr != nil {
			if err == nil {
				t.Fatalf("%q does not compile (%v) but evaluates", src, cerr)
			}
		}
		if err != nil {
			var u *UndefinedError
			switch {
			case errors.As(err, &u):
				if !contains(names, u.Root()) {
					t.Fatalf("%q: undefined %q is not among its names %v", src, u.Name, names)
				}
			case !strings.HasPrefix(err.Error(), "fuzz.yml:1:1: "):
				t.Fatalf("%q: error does not name the expression: %v", src, err)
			}
		}
		if cerr == nil {
			for _, n := range names {
				if _, ok := vars[n]; !ok {
					vars[n] = 1
				}
			}
			_, err := Eval("fuzz.yml:1:1", src, vars)
			var u *UndefinedError
			if errors.As(err, &u) && u.Name == u.Root() {
				t.Fatalf("%q: %q undefined with every name %v defined", src, u.Name, names)
			}
		}
		_, _ = EvalBool("fuzz.yml:1:1", src, vars)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
