package facts

import (
	"encoding/json"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestVirtualParse(t *testing.T) {
	f := Parse("id=debian\nvirt=kvm guest\nvirtg= kvm\nvirth=\n")
	if f["virtualization_type"] != "kvm" || f["virtualization_role"] != "guest" ||
		!reflect.DeepEqual(f["virtualization_tech_guest"], []any{"kvm"}) || !reflect.DeepEqual(f["virtualization_tech_host"], []any{}) {
		t.Fatalf("facts %v", f)
	}
	f = Parse("virt=NA NA\nvirtg=\nvirth=\n")
	if f["virtualization_type"] != "NA" || f["virtualization_role"] != "NA" {
		t.Fatalf("nothing found: %v", f)
	}
	if _, ok := Parse("id=debian\n")["virtualization_type"]; ok {
		t.Fatal("virtualization facts without the script's line")
	}
}

// TestVirtualHereMatchesAnsible runs Script and Ansible's setup on this
// machine (a docker container, a VM, a bare host: whatever it is) and
// compares the virtualization facts.
func TestVirtualHereMatchesAnsible(t *testing.T) {
	bin, err := exec.LookPath("ansible")
	if err != nil {
		t.Skip("ansible not installed: no oracle")
	}
	cmd := exec.Command(bin, "localhost", "-m", "setup", "-a", "filter=ansible_virtualization*", "-o")
	cmd.Env = append(cmd.Environ(), "ANSIBLE_LOCALHOST_WARNING=0", "ANSIBLE_NOCOLOR=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible setup: %v: %s", err, out)
	}
	_, doc, ok := strings.Cut(string(out), "=>")
	var res struct {
		Facts map[string]any `json:"ansible_facts"`
	}
	if !ok || json.Unmarshal([]byte(doc), &res) != nil || len(res.Facts) == 0 {
		t.Fatalf("ansible setup printed %s", out)
	}
	mine, err := exec.Command("sh", "-c", Script).Output()
	if err != nil {
		t.Fatalf("Script: %v", err)
	}
	f := Parse(string(mine))
	for _, k := range []string{"virtualization_type", "virtualization_role", "virtualization_tech_guest", "virtualization_tech_host"} {
		want := res.Facts["ansible_"+k]
		if l, ok := want.([]any); ok {
			slices.SortFunc(l, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		}
		if !reflect.DeepEqual(f[k], want) {
			t.Errorf("%s = %#v, setup says %#v", k, f[k], want)
		}
	}
}
