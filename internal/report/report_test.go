package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"lvslab/internal/module"
)

func TestRecapIsAnsibleShaped(t *testing.T) {
	var b bytes.Buffer
	NewText(&b, false, 0, false, nil).Recap([]Stats{{Host: "rs02", OK: 3, Changed: 1}, {Host: "rs01", OK: 2, Failed: 1}})
	out := b.String()
	want := "rs01                       : ok=2    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0\n" +
		"rs02                       : ok=3    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0\n"
	if !strings.Contains(out, "PLAY RECAP *") || !strings.Contains(out, want) {
		t.Fatalf("recap:\n%s", out)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	canary := `p@ss"w'$r*d.[x]+`
	red := NewRedactor(canary)
	res := Result{Host: "rs01", Task: "t", Status: Failed, Err: "sudo failed for " + canary,
		Result: module.Result{Msg: canary, Data: map[string]any{"stdout": "x" + canary, "list": []any{canary}}}}
	for v := 0; v <= 3; v++ {
		var b bytes.Buffer
		NewText(&b, false, v, true, red).Result(res)
		var j bytes.Buffer
		NewJSON(&j, red).Result(res)
		if strings.Contains(b.String(), canary) || strings.Contains(j.String(), canary) {
			t.Fatalf("secret leaked at -v%d:\n%s\n%s", v, b.String(), j.String())
		}
	}
}

func TestNoLogHidesOutput(t *testing.T) {
	res := Result{Host: "a", Task: "t", Status: Failed, NoLog: true, Err: "token=abc123",
		Result: module.Result{Data: map[string]any{"stdout": "token=abc123"}}}
	var b, j bytes.Buffer
	NewText(&b, false, 3, false, nil).Result(res)
	NewJSON(&j, nil).Result(res)
	if strings.Contains(b.String()+j.String(), "abc123") {
		t.Fatalf("no_log output leaked:\n%s\n%s", b.String(), j.String())
	}
}

func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	r := NewJSON(&b, nil)
	r.Task("x", false)
	r.Result(Result{Host: "a", Task: "x", Status: Changed, Result: module.Result{Changed: true}})
	r.Recap([]Stats{{Host: "a", OK: 1, Changed: 1}})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines: %q", lines)
	}
	var recap struct {
		Event string
		Hosts map[string]map[string]int
	}
	if err := json.Unmarshal([]byte(lines[2]), &recap); err != nil || recap.Event != "recap" || recap.Hosts["a"]["changed"] != 1 {
		t.Fatalf("recap %q: %v", lines[2], err)
	}
}

func TestUnified(t *testing.T) {
	got := Unified("f", "a\nb\nc\n", "a\nB\nc\n")
	want := "--- f (before)\n+++ f (after)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
	if got != want {
		t.Fatalf("got\n%s", got)
	}
	if Unified("f", "same", "same") != "" {
		t.Fatal("diff of equal texts")
	}
}
