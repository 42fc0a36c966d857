// Package tmpl renders Jinja2 strings and evaluates Jinja2 conditions over one
// host's variables, as Ansible does: on the gonja engine with strict
// undefined, Ansible's filters, tests and lookups (package jinja), templates
// compiled once per run, native types where a string is one expression, and
// variables that refer to other variables resolved lazily.
package tmpl

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"

	"lvslab/internal/infile"
	"lvslab/internal/jinja"
	"lvslab/internal/pos"
)

// MaxOutput bounds what one rendering may produce.
const MaxOutput = 16 << 20

// UndefinedError reports a variable a template or expression used but the
// host does not have.
type UndefinedError struct {
	Name string // the variable, or its attribute path ("site.root")
	// Template is the template's or expression's name; "" where a
	// *pos.Error around this one gives the place (ValueAt, RenderNode).
	Template string
	Line     int // the line of the template's text that used it, from 1; 0 unknown
	Err      error
}

func (e *UndefinedError) Error() string {
	at := e.Template
	switch {
	case e.Line > 0 && dirOf(e.Template) != "": // a template file: its line
		at = fmt.Sprintf("%s:%d", e.Template, e.Line)
	case e.Line > 1:
		at = strings.TrimPrefix(fmt.Sprintf("%s (line %d of the string)", e.Template, e.Line), " ")
	}
	if at == "" {
		return fmt.Sprintf("undefined variable %q", e.Name)
	}
	return fmt.Sprintf("%s: undefined variable %q", at, e.Name)
}

// Unwrap returns the underlying error.
func (e *UndefinedError) Unwrap() error { return e.Err }

// Root is the variable an attribute path starts with ("site" of "site.root").
func (e *UndefinedError) Root() string {
	if i := strings.IndexAny(e.Name, ".["); i >= 0 {
		return e.Name[:i]
	}
	return e.Name
}

// Error is a template that does not parse or fails while rendering for a
// reason other than an undefined variable.
type Error struct {
	Template string // the template's name
	// Line and Col are the place of a syntax error in the template's text
	// (from 1), when the engine gives one.
	Line, Col int
	Msg       string
	Err       error // the engine's error
}

func (e *Error) Error() string {
	at := e.Template
	switch {
	case e.Line > 0 && dirOf(e.Template) != "": // a file: its own line
		at = fmt.Sprintf("%s:%d:%d", e.Template, e.Line, e.Col)
	case e.Line > 1:
		at = strings.TrimPrefix(fmt.Sprintf("%s (line %d of the string)", e.Template, e.Line), " ")
	}
	if at == "" {
		return e.Msg
	}
	return at + ": " + e.Msg
}

// Unwrap returns the engine's error.
func (e *Error) Unwrap() error { return e.Err }

var (
	environment = &exec.Environment{
		Context:           jinja.Globals().Update(exec.NewContext(map[string]any{backslash: `\`, condGlobal: condCall})),
		Filters:           jinja.Filters(),
		Tests:             jinja.Tests(),
		ControlStructures: builtins.ControlStructures,
		Methods:           builtins.Methods,
	}
	// Ansible's templar: trim_blocks on, trailing newlines kept.
	defaultConfig = func() *config.Config {
		c := config.New()
		c.StrictUndefined = true
		c.TrimBlocks = true
		c.KeepTrailingNewline = true
		return c
	}()
)

// compiled is a parsed template.
type compiled struct {
	tpl    *exec.Template
	cfg    *config.Config
	loader loaders.Loader
	single *nodes.Output // the output when the text is exactly one expression
	// spaced: the single expression has whitespace around it.
	spaced bool
}

// cache holds compiled templates by their directory and text; parsing
// dominates the cost of rendering the short strings of task arguments.
var cache sync.Map // cacheKey -> *compiled

type cacheKey struct{ dir, text string }

// Has reports whether s contains template markup.
func Has(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// Parse parses text as a template named name and reports syntax errors.
func Parse(name, text string) error {
	_, err := compile(name, text)
	return err
}

// dirOf is the directory that {% include %} and {% import %} of a template
// named name resolve against: the template file's own when name is one.
func dirOf(name string) string {
	if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
		return filepath.Dir(name)
	}
	return ""
}

func compile(name, text string) (*compiled, error) {
	key := cacheKey{dirOf(name), text}
	if c, ok := cache.Load(key); ok {
		return c.(*compiled), nil
	}
	if hint := oldForm(text); hint != "" {
		return nil, &Error{Template: name, Msg: hint}
	}
	cfg, body := header(text)
	body, err := condExprs(jinja.RewriteTests(fqcnNames(normalize(body)), cfg)) // fqcn.go
	if err != nil {
		return nil, &Error{Template: name, Msg: err.Error(), Err: err}
	}
	ld := &loader{root: body, dir: key.dir}
	tpl, err := exec.NewTemplate(rootID, cfg, ld, environment)
	if err != nil {
		if e := collectionPlugin(name, body, cfg); e != nil {
			return nil, e
		}
		return nil, syntaxError(name, err)
	}
	if err := checkNames(name, body, cfg); err != nil {
		return nil, err
	}
	c := &compiled{tpl: tpl, cfg: cfg, loader: ld}
	if ns := tpl.Root().Nodes; len(ns) <= 3 {
		c.single, c.spaced = singleExpression(ns)
	}
	cache.Store(key, c)
	return c, nil
}

// checkNames reports a filter or test the environment lacks, at compile
// time as Jinja2 does ("No filter named 'x'"), not when the template runs.
func checkNames(name, body string, cfg *config.Config) error {
	st := tokens.LexAll(body, cfg)
	var prev *tokens.Token
	for ; !st.End(); st.Next() {
		tok := st.Current()
		if tok.Type == tokens.Not && prev != nil && prev.Type == tokens.Is {
			continue // `is not x`: x is the test
		}
		if tok.Type == tokens.Name && prev != nil {
			switch {
			case prev.Type == tokens.Pipe && !environment.Filters.Exists(tok.Val):
				return &Error{Template: name, Line: tok.Line, Col: tok.Col, Msg: fmt.Sprintf("no filter named %q", tok.Val)}
			case prev.Type == tokens.Is && !environment.Tests.Exists(tok.Val):
				return &Error{Template: name, Line: tok.Line, Col: tok.Col, Msg: fmt.Sprintf("no test named %q", tok.Val)}
			}
		}
		prev = tok
	}
	return nil
}

// collectionPlugin reports a filter or test named by a collection whose
// plugins lvslab does not have (`| sensu.sensu_go.package_name(x)`):
// fqcnNames keeps such a name, which gonja's parser cannot read (a
// filter's name is one identifier), so without this the error would be a
// syntax error near the dot.
func collectionPlugin(name, body string, cfg *config.Config) error {
	var toks []*tokens.Token
	for st := tokens.LexAll(body, cfg); !st.End(); st.Next() {
		if t := st.Current(); t.Type != tokens.Whitespace {
			toks = append(toks, t)
		}
	}
	for i := 0; i+5 < len(toks); i++ {
		kind := "filter"
		switch toks[i].Type {
		case tokens.Pipe:
		case tokens.Is:
			kind = "test"
		default:
			continue
		}
		q := toks[i+1:]
		if q[0].Type == tokens.Not && kind == "test" {
			q = q[1:]
		}
		if len(q) < 5 || q[0].Type != tokens.Name || q[1].Type != tokens.Dot || q[2].Type != tokens.Name ||
			q[3].Type != tokens.Dot || q[4].Type != tokens.Name {
			continue
		}
		coll := q[0].Val + "." + q[2].Val
		return &Error{Template: name, Line: q[0].Line, Col: q[0].Col, Msg: fmt.Sprintf(
			"no %s named %q: a plugin of the collection %s, which lvslab does not have "+
				"(it has Ansible's own filters and tests, ansible.utils' ipaddr family and community.general's)",
			kind, coll+"."+q[4].Val, coll)}
	}
	return nil
}

// singleExpression returns the output of a template that is one expression
// ({{ x }}, {{ a if b else c }}), alone or between whitespace.
func singleExpression(ns []nodes.Node) (*nodes.Output, bool) {
	var out *nodes.Output
	for _, n := range ns {
		switch x := n.(type) {
		case *nodes.Output:
			if out != nil {
				return nil, false
			}
			out = x
		case *nodes.Data:
			if strings.TrimSpace(x.Data.Val) != "" {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	if out == nil {
		return nil, false
	}
	return out, len(ns) > 1
}

var goTemplate = regexp.MustCompile(`\{\{-?\s*(\.[A-Za-z_]|\$|(if|range|with|end|else|printf|index|len|toJson|toYaml)\s|end\s*\}\})`)

// oldForm explains a string in lvslab's former Go-template form.
func oldForm(text string) string {
	m := goTemplate.FindString(text)
	if m == "" {
		return ""
	}
	return fmt.Sprintf("%q is Go template syntax, which lvslab no longer reads: templates are Jinja2, as in Ansible (write {{ vip }} for {{ .vip }}, {%% if x %%}…{%% endif %%} for {{ if .x }}…{{ end }}, {{ x | to_json }} for {{ toJson .x }})", m)
}

var headerLine = regexp.MustCompile(`^#jinja2:([^\n]*)\n`)

// header applies a "#jinja2: trim_blocks: False, lstrip_blocks: True" first
// line to the configuration, as Ansible's template module does.
func header(text string) (*config.Config, string) {
	m := headerLine.FindStringSubmatch(text)
	if m == nil {
		return defaultConfig, text
	}
	cfg := defaultConfig.Inherit()
	for _, kv := range strings.Split(m[1], ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			continue
		}
		on := strings.EqualFold(strings.TrimSpace(v), "true")
		switch strings.TrimSpace(k) {
		case "trim_blocks":
			cfg.TrimBlocks = on
		case "lstrip_blocks":
			cfg.LeftStripBlocks = on
		case "keep_trailing_newline":
			cfg.KeepTrailingNewline = on
		}
	}
	return cfg, text[len(m[0]):]
}

// normalize prepares text for gonja's lexer, inside {{ }} and {% %}: a
// newline (outside string literals) becomes a space, since gonja's parser
// stops at a newline after `and`/`or` where Jinja2 reads on; and a string
// literal is read with Python's escapes (\\, \n, \t, \xhh …), which gonja
// does not know (it ends '\\' at the second backslash): a literal that holds
// a backslash or a control character becomes a concatenation gonja reads as
// the same string. Text outside tags is unchanged.
func normalize(text string) string {
	if !strings.ContainsAny(text, "\n\\") {
		return text
	}
	var b strings.Builder
	inTag := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case !inTag:
			if i+1 < len(text) && c == '{' && (text[i+1] == '{' || text[i+1] == '%') {
				inTag = true
				b.WriteString(text[i : i+2])
				i++
				continue
			}
		case c == '\'' || c == '"':
			lit, n := pyString(text[i:])
			if n == 0 { // unterminated: gonja reports it
				b.WriteString(text[i:])
				return b.String()
			}
			b.WriteString(gonjaString(text[i:i+n], lit))
			i += n - 1
			continue
		case i+1 < len(text) && (c == '}' || c == '%') && text[i+1] == '}':
			inTag = false
			b.WriteString(text[i : i+2])
			i++
			continue
		case c == '\n':
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}

// pyString reads the Python string literal at the start of s (its quote
// first) and returns its value and its length in s; 0 when it does not end.
func pyString(s string) (string, int) {
	q := s[0]
	var v strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return v.String(), i + 1
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case '\\', '\'', '"':
				v.WriteByte(e)
			case 'n':
				v.WriteByte('\n')
			case 't':
				v.WriteByte('\t')
			case 'r':
				v.WriteByte('\r')
			case '0':
				v.WriteByte(0)
			case 'x':
				if i+2 < len(s) {
					if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
						v.WriteByte(byte(n))
						i += 2
						continue
					}
				}
				v.WriteString("\\x")
			case '\n': // a line continuation
			default: // Python keeps an unknown escape as it is
				v.WriteByte('\\')
				v.WriteByte(e)
			}
		default:
			v.WriteByte(c)
		}
	}
	return "", 0
}

// backslash is the global that stands for a backslash in literals gonja
// cannot read (see normalize).
const backslash = "__lvslab_backslash"

// gonjaString writes lit, the value of the literal raw, as gonja reads it:
// raw itself when gonja reads raw as lit, else a parenthesized
// concatenation of plain literals and the backslash global.
func gonjaString(raw, lit string) string {
	if !strings.ContainsAny(lit, "\\\n\t\r\x00") && !strings.Contains(raw, "\\") {
		return raw
	}
	if strings.ContainsRune(lit, 0) || strings.ContainsAny(lit, "\n\t\r") || strings.Contains(lit, "\\") {
		var parts []string
		for _, p := range strings.Split(lit, "\\") {
			parts = append(parts, "'"+strings.ReplaceAll(p, "'", "\\'")+"'")
		}
		return "(" + strings.Join(parts, " ~ "+backslash+" ~ ") + ")"
	}
	return "'" + strings.ReplaceAll(lit, "'", "\\'") + "'"
}

var syntaxPos = regexp.MustCompile(`^failed to parse template '(?s:.*)': `)

// syntaxError is the engine's parse error with its place.
func syntaxError(name string, err error) *Error {
	e := &Error{Template: name, Err: err}
	var se *parser.SyntaxError
	if errors.As(err, &se) {
		e.Line, e.Col = se.Line, se.Column
		e.Msg = fmt.Sprintf("template syntax: %s (near %q)", se.Message, se.Raw)
		return e
	}
	e.Msg = "template syntax: " + syntaxPos.ReplaceAllString(err.Error(), "")
	return e
}

// Render executes text as a template over vars. An undefined variable is an
// *UndefinedError naming the variable and name.
func Render(name, text string, vars map[string]any) (string, error) {
	if !Has(text) {
		return text, nil
	}
	c, err := compile(name, text)
	if err != nil {
		return "", err
	}
	w := &boundedWriter{}
	if err := c.tpl.Execute(w, exec.NewContext(vars)); err != nil {
		return "", explain(name, err)
	}
	return w.b.String(), nil
}

// Value renders text; when text is exactly one expression (`{{ sites }}`) the
// expression's value is returned with its type (a list stays a list, a number
// a number) instead of its string form. Whitespace around the expression is
// part of a string: only a list or a mapping drops it.
func Value(name, text string, vars map[string]any) (any, error) {
	if !Has(text) {
		return text, nil
	}
	c, err := compile(name, text)
	if err != nil {
		return nil, err
	}
	if c.single == nil {
		return Render(name, text, vars)
	}
	v, err := c.eval(vars)
	if err != nil {
		return nil, explain(name, err)
	}
	if c.spaced {
		switch v.(type) {
		case []any, map[string]any:
		default:
			return Render(name, text, vars)
		}
	}
	return v, nil
}

// eval evaluates the template's single expression to a plain Go value.
func (c *compiled) eval(vars map[string]any) (any, error) {
	e := &exec.Evaluator{
		Config: c.cfg,
		Environment: &exec.Environment{
			Context:           environment.Context.Inherit().Update(exec.NewContext(vars)),
			Filters:           environment.Filters,
			Tests:             environment.Tests,
			ControlStructures: environment.ControlStructures,
			Methods:           environment.Methods,
		},
		Loader: c.loader,
	}
	v := evalOutput(e, c.single)
	if v.IsError() {
		return nil, v
	}
	out := v.ToGoSimpleType(false)
	if err, ok := out.(error); ok {
		return nil, err
	}
	return out, nil
}

// evalOutput evaluates an output's expression, choosing by its condition
// when it has one (a if b else c; without else, None).
func evalOutput(e *exec.Evaluator, o *nodes.Output) *exec.Value {
	if o.Condition == nil {
		return e.Eval(o.Expression)
	}
	cond := e.Eval(o.Condition)
	switch {
	case cond.IsError():
		return cond
	case jinja.Truth(cond.ToGoSimpleType(false)):
		return e.Eval(o.Expression)
	case o.Alternative != nil:
		return e.Eval(o.Alternative)
	}
	return exec.AsValue(nil)
}

// ValueAt is Value for text at a place in a file, named by that place. An
// error is a *pos.Error at at.
func ValueAt(at pos.Pos, text string, vars map[string]any) (any, error) {
	v, err := Value("", text, vars)
	if err != nil {
		return nil, &pos.Error{Pos: at, Err: err}
	}
	return v, nil
}

// boundedWriter collects a rendering up to MaxOutput.
type boundedWriter struct{ b strings.Builder }

var errTooLarge = fmt.Errorf("the rendering is larger than %d MiB", MaxOutput>>20)

func (w *boundedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > MaxOutput {
		return 0, errTooLarge
	}
	return w.b.Write(p)
}

// rootID names a string template for the loader; other names are files.
const rootID = "\x00root"

// loader serves a string template and, for {% include %} and {% import %},
// the files beside it, each up to infile.Max.
type loader struct {
	root string
	dir  string
}

func (l *loader) Read(path string) (io.Reader, error) {
	if path == rootID {
		return strings.NewReader(l.root), nil
	}
	p, _ := l.Resolve(path)
	b, err := infile.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(string(b)), nil
}

func (l *loader) Resolve(path string) (string, error) {
	if path == rootID || filepath.IsAbs(path) {
		return path, nil
	}
	return filepath.Join(l.dir, path), nil
}

func (l *loader) Inherit(from string) (loaders.Loader, error) {
	if from == "" || from == rootID {
		return l, nil
	}
	p, _ := l.Resolve(from)
	return &loader{root: l.root, dir: filepath.Dir(p)}, nil
}

var (
	// gonja flattens some errors into their message (a filter's
	// argument): the undefined name may be anywhere in it.
	undefinedName = regexp.MustCompile(`Unable to evaluate name "([^"]*)"`)
	undefinedAttr = regexp.MustCompile(`^(?i:unable to evaluate) (.*): (?:attribute|item) '.*' not found$`)
	renderedAt    = regexp.MustCompile(`^Unable to render (?:expression|condition) at line \d+: `)
	atLine        = regexp.MustCompile(` at line (\d+)`)
)

// explain turns the engine's error into an *UndefinedError, the error of a
// variable that failed to resolve, or an *Error with the engine's innermost
// message.
func explain(name string, err error) error {
	chain := causes(err)
	for _, e := range chain {
		if ve, ok := e.(*VarError); ok {
			return &VarUseError{Template: name, Var: ve}
		}
	}
	last := chain[len(chain)-1]
	msg := last.Error()
	line := 0 // the innermost line the engine names
	for _, e := range chain {
		if m := atLine.FindAllStringSubmatch(e.Error(), -1); m != nil {
			line, _ = strconv.Atoi(m[len(m)-1][1])
		}
	}
	if m := undefinedName.FindAllStringSubmatch(msg, -1); m != nil {
		return &UndefinedError{Name: m[len(m)-1][1], Template: name, Line: line, Err: err}
	}
	if m := undefinedAttr.FindStringSubmatch(msg); m != nil {
		return &UndefinedError{Name: m[1], Template: name, Line: line, Err: err}
	}
	if errors.Is(err, errTooLarge) {
		return &Error{Template: name, Msg: errTooLarge.Error(), Err: err}
	}
	// The innermost message with the expression it came from, when the
	// engine names one.
	for _, e := range chain {
		if s := e.Error(); renderedAt.MatchString(s) {
			expr, _, _ := strings.Cut(renderedAt.ReplaceAllString(s, ""), ": ")
			if expr != "" && !strings.HasPrefix(msg, expr) {
				msg = expr + ": " + msg
			}
			break
		}
	}
	return &Error{Template: name, Msg: msg, Err: err}
}

// causes lists err and what it wraps, innermost last, looking into gonja's
// error values (which wrap an error without unwrapping to it).
func causes(err error) []error {
	var out []error
	for err != nil && len(out) < 1000 {
		out = append(out, err)
		if v, ok := err.(*exec.Value); ok {
			inner, _ := v.Interface().(error)
			if inner == nil || inner == err {
				break
			}
			err = inner
			continue
		}
		err = errors.Unwrap(err)
	}
	return out
}
