package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// drillThrough runs `lvslab drill` on a lab brought up with --ha: every
// step (nginx stopped and started on a real server, keepalived stopped and
// started on the MASTER, the MASTER reset and back) must recover, which
// the drill checks itself: the failed real server leaves the pool within
// keepalived's check timing (the drill's default bound) and no request
// fails after that; the BACKUP takes the VIP and answers, the real server
// and the MASTER come back. How fast the VIP moves is a figure, logged
// with the timeline, not asserted: the takeover and return bounds are a
// minute, not the drill's default of keepalived's timing plus 5s, which a
// loaded machine's emulated directors may miss. The lab must verify
// afterwards.
func drillThrough(t *testing.T, bin, inv string) {
	t.Helper()
	r := runLvslab(t, bin, "drill", "-i", inv, "--output", "json", "--takeover-bound", "1m", "--return-bound", "1m")
	var doc struct {
		Drill struct {
			Answered, Failed int64
			Seconds          float64
			Steps            []struct {
				Name            string
				OK              bool
				Skipped, Why    string
				Failed          int64
				BoundS          float64 `json:"bound_s"`
				RecoveredAfterS float64 `json:"recovered_after_s"`
			}
			Timeline []struct {
				At         float64
				Kind, Text string
			}
		}
	}
	for _, line := range strings.Split(r.out, "\n") {
		if strings.HasPrefix(line, `{"drill"`) {
			if err := json.Unmarshal([]byte(line), &doc); err != nil {
				t.Fatalf("drill JSON: %v: %s", err, line)
			}
		}
	}
	var b strings.Builder
	for _, e := range doc.Drill.Timeline {
		fmt.Fprintf(&b, "%7.1fs  %-8s %s\n", e.At, e.Kind, e.Text)
	}
	for _, s := range doc.Drill.Steps {
		fmt.Fprintf(&b, "step %-34s ok=%v recovered after %.1fs (bound %.0fs), %d failed %s%s\n", s.Name, s.OK, s.RecoveredAfterS, s.BoundS, s.Failed, s.Skipped, s.Why)
	}
	t.Logf("drill: %d answered, %d failed in %.0fs\n%s", doc.Drill.Answered, doc.Drill.Failed, doc.Drill.Seconds, b.String())
	mustOK(t, r, "drill")
	if len(doc.Drill.Steps) != 6 {
		t.Fatalf("drill ran %d steps, want 6 (nginx, keepalived, reset: each fault and its undoing):\n%s", len(doc.Drill.Steps), tail(r.out, 3000))
	}
	for _, s := range doc.Drill.Steps {
		if !s.OK || s.Skipped != "" {
			t.Errorf("step %s: ok=%v skipped=%q why=%q", s.Name, s.OK, s.Skipped, s.Why)
		}
	}
	st := runLvslab(t, bin, "status", "-i", inv)
	mustOK(t, st, "status after the drill")
	if !strings.Contains(st.out, "MASTER") || !strings.Contains(st.out, "BACKUP") {
		t.Errorf("after the drill status names no MASTER and BACKUP:\n%s", tail(st.out, 3000))
	}
	mustOK(t, runLvslab(t, bin, "verify", "-i", inv), "verify after the drill")
}
