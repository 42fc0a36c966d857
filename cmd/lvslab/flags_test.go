package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestExtraVars(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.yml")
	os.WriteFile(f, []byte("weight: 3\nsites: [{name: a}]\n"), 0o644)
	got, err := extraVars([]string{"lvs_mode=dr port=8080 ssl=true", "@" + f, `{"vip": "10.0.0.1"}`})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"lvs_mode": "dr", "port": 8080, "ssl": true, "weight": 3,
		"sites": []any{map[string]any{"name": "a"}}, "vip": "10.0.0.1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if _, err := extraVars([]string{"novalue"}); err == nil {
		t.Fatal("accepted a bare word")
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
