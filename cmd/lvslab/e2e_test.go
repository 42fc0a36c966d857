package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The end-to-end test runs the lab's modes on a live lab: LVSLAB_E2E=1, and
// LVSLAB_E2E_INVENTORY (default: the local lab's .lvslab/inventory.yml).
// It changes the lab's hosts; it never creates or destroys the lab.
func e2eInventory(t *testing.T) string {
	if os.Getenv("LVSLAB_E2E") != "1" {
		t.Skip("set LVSLAB_E2E=1 to run the end-to-end test on a live lab")
	}
	inv := os.Getenv("LVSLAB_E2E_INVENTORY")
	if inv == "" {
		inv = filepath.Join(root, ".lvslab/inventory.yml")
	}
	abs, err := filepath.Abs(inv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Skipf("no lab inventory: %v (lvslab lab create makes one)", err)
	}
	return abs
}

// e2eBinary builds lvslab once per test.
func e2eBinary(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "lvslab")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // a static binary: it is also the load agent on the client
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runResult is what one lvslab run printed in --output json.
type runResult struct {
	code    int
	recap   map[string]map[string]int
	verify  map[string]any
	changed []string // host: task of every changed result
	failed  []string
	out     string
}

func runLvslab(t *testing.T, bin string, args ...string) runResult {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := runResult{out: stdout.String() + stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev map[string]any
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		switch ev["event"] {
		case "recap":
			b, _ := json.Marshal(ev["hosts"])
			_ = json.Unmarshal(b, &r.recap)
		case "verify":
			r.verify = ev
		case "result":
			id, _ := ev["host"].(string)
			id += ": " + strings.TrimSpace(ev["task"].(string))
			if item, ok := ev["item"]; ok && item != nil {
				b, _ := json.Marshal(item)
				id += " " + string(b)
			}
			switch ev["status"] {
			case "changed":
				r.changed = append(r.changed, id)
			case "failed", "unreachable":
				msg, _ := ev["msg"].(string)
				r.failed = append(r.failed, id+": "+msg)
			}
		}
	}
	t.Logf("lvslab %s: exit %d in %s", strings.Join(args, " "), r.code, time.Since(start).Round(time.Second))
	if r.verify != nil {
		b, _ := json.MarshalIndent(r.verify, "", "  ")
		t.Logf("verify: %s", b)
	}
	return r
}

func (r runResult) totalChanged() int {
	n := 0
	for _, s := range r.recap {
		n += s["changed"]
	}
	return n
}

func mustOK(t *testing.T, r runResult, what string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nfailed: %s\n%s", what, r.code, strings.Join(r.failed, "\n"), tail(r.out, 4000))
	}
	if r.verify != nil && r.verify["ok"] != true {
		t.Fatalf("%s: verify failed", what)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// upTwice brings a mode up (with verify), then again, which must change
// nothing.
func upTwice(t *testing.T, bin, inv string, extra ...string) {
	args := append([]string{"up", "-i", inv, "--output", "json"}, extra...)
	mustOK(t, runLvslab(t, bin, args...), "up "+strings.Join(extra, " "))
	again := runLvslab(t, bin, append(args, "--no-verify")...)
	mustOK(t, again, "second up")
	if n := again.totalChanged(); n != 0 {
		t.Errorf("second up %s: changed=%d, want 0:\n  %s", strings.Join(extra, " "), n, strings.Join(again.changed, "\n  "))
	}
}

func TestE2EModes(t *testing.T) {
	inv := e2eInventory(t)
	bin := e2eBinary(t)
	for _, mode := range []string{"nat", "dr"} {
		t.Run(mode, func(t *testing.T) {
			upTwice(t, bin, inv, "--mode", mode, "--ssl=false")
			mustOK(t, runLvslab(t, bin, "status", "-i", inv), "status")
			mustOK(t, runLvslab(t, bin, "down", "-i", inv, "--output", "json"), "down")
			again := runLvslab(t, bin, "down", "-i", inv, "--output", "json")
			mustOK(t, again, "second down")
			if n := again.totalChanged(); n != 0 {
				t.Errorf("second down: changed=%d, want 0:\n  %s", n, strings.Join(again.changed, "\n  "))
			}
		})
	}
	t.Run("fwmark-ssl", func(t *testing.T) {
		upTwice(t, bin, inv, "--mode", "fwmark", "--ssl")
	})
	t.Run("switch-fwmark-to-nat", func(t *testing.T) {
		upTwice(t, bin, inv, "--mode", "nat", "--ssl")
		mustOK(t, runLvslab(t, bin, "down", "-i", inv), "down")
	})
}

// TestE2EWeights brings NAT and DR up with weights 3:1 (a copy of the
// inventory) and requires the predicted 75%/25% shares.
func TestE2EWeights(t *testing.T) {
	inv := e2eInventory(t)
	bin := e2eBinary(t)
	data, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	rs := doc["all"].(map[string]any)["children"].(map[string]any)["realservers"].(map[string]any)["hosts"].(map[string]any)
	first := true
	for _, name := range []string{"rs01", "rs02"} {
		h, ok := rs[name].(map[string]any)
		if !ok {
			t.Fatalf("inventory has no %s", name)
		}
		h["weight"] = map[bool]int{true: 3, false: 1}[first]
		first = false
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	weighted := filepath.Join(filepath.Dir(inv), "inventory-weights-3-1.yml")
	if err := os.WriteFile(weighted, out, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(weighted)
	for _, mode := range []string{"nat", "dr"} {
		r := runLvslab(t, bin, "up", "-i", weighted, "--mode", mode, "--ssl=false", "--requests", "80", "--tolerance", "5", "--output", "json")
		mustOK(t, r, "up "+mode+" with weights 3:1")
		for _, row := range r.verify["shares"].([]any) {
			m := row.(map[string]any)
			t.Logf("%s %s: weight %v, %v answers, share %.3f (expected %v)", mode, m["server"], m["weight"], m["answers"], m["share"], m["expected"])
		}
	}
	mustOK(t, runLvslab(t, bin, "down", "-i", weighted), "down")
}

// TestE2EReboot brings fwmark with ssl up, reboots the director and the real
// servers, and verifies again without running any playbook: the IPVS rules,
// marks, addresses, routes and sysctls must come back by themselves.
func TestE2EReboot(t *testing.T) {
	inv := e2eInventory(t)
	bin := e2eBinary(t)
	mustOK(t, runLvslab(t, bin, "up", "-i", inv, "--mode", "fwmark", "--ssl", "--output", "json"), "up fwmark --ssl")
	pb := filepath.Join(t.TempDir(), "reboot.yml")
	reboot := `- name: reboot
  hosts: director:realservers
  gather_facts: false
  tasks:
    - name: reboot in two seconds, after this task returns
      shell: 'nohup sh -c "sleep 2; systemctl reboot" >/dev/null 2>&1 &'
`
	if err := os.WriteFile(pb, []byte(reboot), 0o644); err != nil {
		t.Fatal(err)
	}
	mustOK(t, runLvslab(t, bin, "run", "-i", inv, pb), "reboot")
	time.Sleep(20 * time.Second)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		r := runLvslab(t, bin, "verify", "-i", inv, "-T", "20s", "--output", "json")
		if r.code == 0 && r.verify["ok"] == true {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify after the reboot: exit %d\n%s", r.code, tail(r.out, 4000))
		}
		time.Sleep(15 * time.Second)
	}
}
