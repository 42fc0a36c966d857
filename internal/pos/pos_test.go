package pos

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestErrorAndList(t *testing.T) {
	cause := fs.ErrNotExist
	e := Errorf(Pos{File: "a.yml", Line: 3, Col: 7}, "vars_files: %w", cause)
	if e.Error() != "a.yml:3:7: vars_files: file does not exist" || !errors.Is(e, fs.ErrNotExist) {
		t.Errorf("Errorf: %q", e)
	}
	if got := Errorf(Pos{Line: 2, Col: 5}, "unknown key").Error(); got != "line 2:5: unknown key" {
		t.Errorf("without a file: %q", got)
	}
	var l List
	if l.OrNil() != nil {
		t.Error("an empty List is not nil")
	}
	l.Errorf(Pos{File: "inv.yml"}, "no line")
	l = append(l, e)
	if got := l.Error(); got != "inv.yml:1:1: no line\na.yml:3:7: vars_files: file does not exist" {
		t.Errorf("List: %q", got)
	}
	var pe *Error
	if !errors.As(l.OrNil(), &pe) || pe.Pos.File != "inv.yml" || !errors.Is(l, fs.ErrNotExist) {
		t.Errorf("List does not unwrap: %v", pe)
	}
}

func TestPlace(t *testing.T) {
	at := Pos{File: "p.yml", Line: 4, Col: 9}
	placed := Errorf(Pos{File: "p.yml", Line: 5, Col: 14}, "undefined variable %q", "x")
	for _, c := range []struct {
		err  error
		want string
	}{
		{errors.New("module copy: bad"), "p.yml:4:9: module copy: bad"},
		{placed, "p.yml:5:14: undefined variable \"x\""},
		{List{placed, placed}, "p.yml:5:14: undefined variable \"x\"\np.yml:5:14: undefined variable \"x\""},
		{Errorf(Pos{Line: 1, Col: 2}, "unknown key"), "p.yml:4:9: line 1:2: unknown key"}, // no file: not placed
		{fmt.Errorf("hosts: %w", placed), "p.yml:4:9: hosts: p.yml:5:14: undefined variable \"x\""},
		{List{}, "p.yml:4:9: "},
	} {
		if got := Place(at, c.err).Error(); got != c.want {
			t.Errorf("Place(%q) = %q, want %q", c.err, got, c.want)
		}
	}
	if Place(at, nil) != nil {
		t.Error("Place(nil) is not nil")
	}
}

func TestAt(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a:\n  b: c\n"), &doc); err != nil {
		t.Fatal(err)
	}
	b := doc.Content[0].Content[1].Content[1]
	if got := At("f.yml", b); got != (Pos{File: "f.yml", Line: 2, Col: 6}) {
		t.Errorf("At: %+v", got)
	}
}

// TestFromYAML: yaml.v3 counts the lines of its parser errors from 0 and
// those of its scanner errors from 1; both are placed from 1, column 1.
func TestFromYAML(t *testing.T) {
	for src, want := range map[string]string{
		"- a\n- [unclosed\n":     "f.yml:2:1: did not find expected ',' or ']'",
		"a: {b: 1\n":             "f.yml:2:1: did not find expected ',' or '}'",
		"a: \"open\n":            "f.yml:2:1: found unexpected end of stream",
		"a: 1\n b: 2\n":          "f.yml:2:1: mapping values are not allowed in this context",
		"- x\n\t- y\n":           "f.yml:2:1: found a tab character that violates indentation",
		"a: &x 1\nb: *y\n":       "f.yml:1:1: unknown anchor 'y' referenced",
		"%YAML 1.1\n%YAML 1.1\n": "f.yml:2:1: found duplicate %YAML directive",
	} {
		var v any
		err := yaml.Unmarshal([]byte(src), &v)
		if err == nil {
			t.Fatalf("%q parses", src)
		}
		got := FromYAML("f.yml", err)
		if got.Error() != want {
			t.Errorf("%q: %q, want %q", src, got, want)
		}
		if !errors.Is(got, err) {
			t.Errorf("%q: the yaml error is not kept", src)
		}
	}
}

func TestYAMLCause(t *testing.T) {
	var v struct{ N int }
	err := yaml.Unmarshal([]byte("n: x\n"), &v)
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		t.Fatalf("not a TypeError: %v", err)
	}
	c := YAMLCause(err)
	if got := c.Error(); got != "line 1: cannot unmarshal !!str `x` into int" {
		t.Errorf("YAMLCause: %q", got)
	}
	if !errors.As(c, &te) {
		t.Error("YAMLCause drops its cause")
	}
}

func TestYAMLAtAndRelative(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: 1\nb: [x]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	n := doc.Content[0]
	var v struct {
		A int
		B string
	}
	err := n.Decode(&v)
	e := YAMLAt(n, err)
	if got := e.Error(); got != "line 2:4: cannot unmarshal !!seq into string" {
		t.Errorf("YAMLAt: %q", got)
	}
	var te *yaml.TypeError
	if !errors.As(e, &te) {
		t.Error("YAMLAt drops its cause")
	}
	at, rest := Relative(Pos{File: "pb.yml", Line: 1, Col: 1}, fmt.Errorf("decode: %w", e))
	if at != (Pos{File: "pb.yml", Line: 2, Col: 4}) || rest != e.Err {
		t.Errorf("Relative: %v, %v", at, rest)
	}
	other := errors.New("other")
	if at, rest := Relative(Pos{File: "pb.yml", Line: 1, Col: 1}, other); at.Line != 1 || rest != other {
		t.Errorf("Relative of an unplaced error: %v, %v", at, rest)
	}
}
