package tmpl

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestResolveChains(t *testing.T) {
	v := map[string]any{"a": "{{ b }}-x", "b": "{{ c }}", "c": 3, "l": []any{"{{ c }}"}}
	if err := Resolve("h", v); err != nil {
		t.Fatal(err)
	}
	if v["a"] != "3-x" || v["b"] != 3 || fmt.Sprint(v["l"]) != "[3]" {
		t.Fatalf("got %#v", v)
	}
}

// TestResolveIsLazy: a variable that does not render breaks only the
// templates that use it, naming it.
func TestResolveIsLazy(t *testing.T) {
	v := map[string]any{"broken": "{{ nope }}", "me": "{{ me }}x", "ok": "{{ 1 + 1 }}"}
	if err := Resolve("rs01", v); err != nil {
		t.Fatal(err)
	}
	if v["ok"] != 2 {
		t.Fatalf("ok = %#v", v["ok"])
	}
	_, err := Render("t", "{{ broken }}", v)
	var u *UndefinedError
	if !errors.As(err, &u) || u.Name != "nope" || !strings.Contains(err.Error(), `variable "broken" of rs01`) {
		t.Fatalf("broken: %v", err)
	}
	if got, err := Render("t", "{{ broken is defined }}", v); err != nil || got != "False" {
		t.Errorf("broken is defined: %q, %v", got, err)
	}
	if _, err := Render("t", "{{ me }}", v); err == nil || !strings.Contains(err.Error(), "refers to itself") {
		t.Errorf("me: %v", err)
	}
}

// TestResolveDoublingIsBounded: variables that double each other stop at
// the size bound instead of exhausting memory.
func TestResolveDoublingIsBounded(t *testing.T) {
	v := map[string]any{"v0": strings.Repeat("x", 64)}
	for i := 1; i <= 40; i++ {
		v[fmt.Sprintf("v%d", i)] = fmt.Sprintf("{{ v%d }}{{ v%d }}", i-1, i-1)
	}
	if err := Resolve("h", v); err != nil {
		t.Fatal(err)
	}
	_, err := Render("t", "{{ v40 }}", v)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v", err)
	}
}
