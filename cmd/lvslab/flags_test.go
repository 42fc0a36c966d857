package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExtraVars(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.yml")
	os.WriteFile(f, []byte("weight: 3\nsites: [{name: a}]\n"), 0o644)
	got, err := extraVars([]string{"lvs_mode=dr port=8080 ssl=true", "@" + f, `{"vip": "10.0.0.1"}`,
		`a="hello, world" b='x y' c="8080" d={{ x | default("a b") }}`, "db_password=Secr3t,lvs_mode=dr", `e=c4n"a'r$y`,
		`{"list": [{"name": "a"}, {"name": "b"}]}`, "yml: {k: [1, 2]}\nother: 2"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"lvs_mode": "dr", "port": 8080, "ssl": true, "weight": 3,
		"sites": []any{map[string]any{"name": "a"}}, "vip": "10.0.0.1",
		"a": "hello, world", "b": "x y", "c": "8080", "d": `{{ x | default("a b") }}`,
		"db_password": "Secr3t,lvs_mode=dr", "e": `c4n"a'r$y`,
		"list": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}},
		"yml":  map[string]any{"k": []any{1, 2}}, "other": 2}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	for _, bad := range []string{"novalue", "a=1 Secr3t", "pw='Secr3t", `pw="Secr3t"x`, "{pw: [Secr3t}", "- Secr3t", ""} {
		_, err := extraVars([]string{"ok=1", bad})
		if err == nil {
			t.Errorf("accepted %q", bad)
			continue
		}
		if !strings.Contains(err.Error(), "-e #2") || strings.Contains(err.Error(), "Secr3t") || strings.Contains(err.Error(), "novalue") {
			t.Errorf("%q: error %q does not name -e #2 or quotes the value", bad, err)
		}
	}
}

func TestTagList(t *testing.T) {
	if got := tagList([]string{"a,b", "c"}); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("got %q", got)
	}
}

func TestFlagsFirst(t *testing.T) {
	app := newApp()
	got := flagsFirst(app, []string{"lvslab", "run", "site.yml", "-i", "inv.yml", "--check", "-e", "a=1", "more.yml"})
	want := []string{"lvslab", "run", "-i", "inv.yml", "--check", "-e", "a=1", "--", "site.yml", "more.yml"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}
