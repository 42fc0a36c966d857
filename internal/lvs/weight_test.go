package lvs

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeTools writes ipvsadm, keepalived and systemctl stand-ins into a
// directory put first on PATH: ipvsadm -S -n prints table, every other
// call is logged, keepalived -t fails when the file holds "nosuch".
func fakeTools(t *testing.T, table string) (dir, calls string) {
	t.Helper()
	dir = t.TempDir()
	calls = filepath.Join(dir, "calls")
	scripts := map[string]string{
		"ipvsadm":    "#!/bin/sh\nif [ \"$1\" = -S ]; then cat " + filepath.Join(dir, "table") + "; exit 0; fi\necho \"ipvsadm $*\" >> " + calls + "\n",
		"keepalived": "#!/bin/sh\necho \"keepalived $*\" >> " + calls + "\n! grep -q nosuch \"$3\"\n",
		"systemctl":  "#!/bin/sh\necho \"systemctl $*\" >> " + calls + "\n",
	}
	for name, s := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "table"), []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, calls
}

func runWeight(t *testing.T, dir, rip string, w int, conf string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", WeightScript(rip, w, conf))
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestWeightIpvsadm(t *testing.T) {
	table := "-A -t 172.17.1.6:80 -s wrr\n-a -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 3\n-a -t 172.17.1.6:80 -r 192.168.30.7:80 -m -w 1\n" +
		"-A -f 99 -s rr -p 300\n-a -f 99 -r 192.168.30.107:0 -g -w 3\n"
	dir, calls := fakeTools(t, table)
	out, err := runWeight(t, dir, "192.168.30.107", 0, filepath.Join(dir, "no-keepalived.conf"))
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got, found, err := ParseWeight(out)
	want := []WeightChange{{"ipvsadm", "TCP 172.17.1.6:80", "80", 3, 0}, {"ipvsadm", "FWM 99", "0", 3, 0}}
	if err != nil || !found || !reflect.DeepEqual(got, want) {
		t.Fatalf("changes %+v found %v err %v; output:\n%s", got, found, err, out)
	}
	log, _ := os.ReadFile(calls)
	if string(log) != "ipvsadm -e -t 172.17.1.6:80 -r 192.168.30.107:80 -m -w 0\nipvsadm -e -f 99 -r 192.168.30.107:0 -g -w 0\n" {
		t.Errorf("ipvsadm calls:\n%s", log)
	}
	// The same weight again changes nothing; an unknown address is not found.
	os.Remove(calls)
	if out, _ := runWeight(t, dir, "192.168.30.7", 1, "/nonexistent"); !strings.Contains(out, "|1|1") {
		t.Errorf("same weight: %s", out)
	}
	if _, err := os.Stat(calls); err == nil {
		t.Error("ipvsadm called for an unchanged weight")
	}
	out, _ = runWeight(t, dir, "192.168.30.8", 1, "/nonexistent")
	if _, found, _ := ParseWeight(out); found {
		t.Errorf("unknown real server found: %s", out)
	}
}

func TestWeightKeepalived(t *testing.T) {
	dir, calls := fakeTools(t, "")
	conf := filepath.Join(dir, "keepalived.conf")
	text := "! Managed by lvslab (templates/keepalived.conf.j2)\nvirtual_server 172.17.1.6 80 {\n    lb_algo wrr\n\n    real_server 192.168.30.107 80 {\n        weight 3\n        HTTP_GET {\n            connect_port 80\n        }\n    }\n\n    real_server 192.168.30.7 80 {\n        weight 1\n    }\n}\n"
	if err := os.WriteFile(conf, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	out, err := runWeight(t, dir, "192.168.30.107", 5, conf)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got, found, _ := ParseWeight(out)
	if !found || !reflect.DeepEqual(got, []WeightChange{{"keepalived", "172.17.1.6 80", "80", 3, 5}}) {
		t.Fatalf("changes %+v; output:\n%s", got, out)
	}
	b, _ := os.ReadFile(conf)
	if string(b) != strings.Replace(text, "weight 3", "weight 5", 1) {
		t.Errorf("configuration:\n%s", b)
	}
	if log, _ := os.ReadFile(calls); !strings.Contains(string(log), "keepalived -t -f "+conf+".lvslab-weight") || !strings.Contains(string(log), "systemctl reload keepalived") {
		t.Errorf("calls:\n%s", log)
	}
	// A configuration keepalived -t refuses is never installed.
	bad := strings.Replace(text, "wrr", "nosuch", 1)
	os.WriteFile(conf, []byte(bad), 0o640)
	if out, err := runWeight(t, dir, "192.168.30.7", 2, conf); err == nil || !strings.Contains(out, "refuses") {
		t.Errorf("a refused configuration: err %v, %s", err, out)
	}
	if b, _ := os.ReadFile(conf); string(b) != bad {
		t.Error("the refused configuration replaced the old one")
	}
	if m, _ := filepath.Glob(conf + ".lvslab-weight*"); len(m) > 0 {
		t.Errorf("left behind: %v", m)
	}
}
