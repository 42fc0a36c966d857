package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadEvents returns the "load" and "compare" events of a load --output json run.
func loadEvents(t *testing.T, out string) (runs []map[string]any, compare map[string]any) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		var ev map[string]any
		if json.Unmarshal([]byte(line), &ev) != nil {
			continue
		}
		switch ev["event"] {
		case "load":
			runs = append(runs, ev)
		case "compare":
			compare = ev
		}
	}
	return runs, compare
}

// TestE2ELoad is the write-up's last step on the lab: DR with the real
// servers capped at 10 % of a core each, `load --compare` on /lnmp.php from
// the client: the baseline (rs01 directly), then the VIP. No request may
// fail, the VIP's shares must follow the weights, and the director must
// have counted a connection for every request that went through it. The
// scale-out factor is printed, not asserted.
func TestE2ELoad(t *testing.T) {
	inv := e2eInventory(t)
	bin := e2eBinary(t)
	mustOK(t, runLvslab(t, bin, "up", "-i", inv, "--mode", "dr", "--ssl=false", "--output", "json"), "up dr")
	mustOK(t, runLvslab(t, bin, "lab", "set", "--rs-cpu", "10"), "lab set --rs-cpu 10")
	t.Cleanup(func() { runLvslab(t, bin, "lab", "set", "--rs-cpu", "0") })
	report := filepath.Join(t.TempDir(), "load.html")
	r := runLvslab(t, bin, "load", "-i", inv, "--compare", "--path", "/lnmp.php", "--duration", "10s",
		"--report", report, "--output", "json")
	if r.code != 0 {
		t.Fatalf("load --compare: exit %d\n%s", r.code, tail(r.out, 4000))
	}
	runs, compare := loadEvents(t, r.out)
	if len(runs) != 2 || compare == nil {
		t.Fatalf("load --compare printed %d load events and compare %v:\n%s", len(runs), compare, tail(r.out, 4000))
	}
	for i, want := range []string{"rs01", "vip"} {
		run := runs[i]
		sum := run["summary"].(map[string]any)
		t.Logf("%s: sent %v, completed %v, failed %v, %.1f req/s, p99 %.1f ms, servers %v", run["label"], sum["sent"], sum["completed"],
			sum["failed"], sum["rps"], sum["latency"].(map[string]any)["p99_ms"], sum["servers"])
		if run["target"] != want {
			t.Errorf("run %d is %v, want %s", i, run["target"], want)
		}
		if sum["failed"].(float64) != 0 || sum["completed"].(float64) == 0 {
			t.Errorf("%s: %v failed of %v sent, want none", run["label"], sum["failed"], sum["sent"])
		}
		if run["shares_ok"] != true {
			t.Errorf("%s: shares off the prediction: %v", run["label"], run["shares"])
		}
	}
	vip := runs[1]
	sent := vip["summary"].(map[string]any)["sent"].(float64)
	var conns, outPkts float64
	for _, svc := range vip["director"].([]any) {
		conns += svc.(map[string]any)["conns"].(float64)
		outPkts += svc.(map[string]any)["out_pkts"].(float64)
	}
	t.Logf("director: %v connections for %v requests, %v packets out (DR: replies bypass it)", conns, sent, outPkts)
	if conns < sent || conns > sent+5 {
		t.Errorf("the director counted %v connections for %v requests through the VIP", conns, sent)
	}
	if outPkts != 0 {
		t.Errorf("DR: the director saw %v reply packets, want 0", outPkts)
	}
	t.Logf("scale-out: %.2f (rs01 %.1f req/s, VIP %.1f req/s with %v real servers)", compare["factor"], compare["baseline_rps"], compare["vip_rps"], compare["real_servers"])
	if st, err := os.Stat(report); err != nil || st.Size() == 0 {
		t.Errorf("--report %s: %v", report, err)
	}
	// Bad input is refused before any load is sent.
	for _, args := range [][]string{
		{"--to", "rs99"},
		{"--rate", "0"},
		{"--duration", "0s"},
	} {
		bad := runLvslab(t, bin, append([]string{"load", "-i", inv}, args...)...)
		if bad.code != exitBadInput {
			t.Errorf("load %s: exit %d, want %d\n%s", strings.Join(args, " "), bad.code, exitBadInput, tail(bad.out, 1000))
		}
	}
}
