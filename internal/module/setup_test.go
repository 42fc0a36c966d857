package module

import (
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"lvslab/internal/facts"
	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func setupFake(t *testing.T) *hosttest.Fake {
	out, err := os.ReadFile("../facts/testdata/script-output.txt")
	if err != nil {
		t.Fatal(err)
	}
	return hosttest.New().On(`os-release`, host.Result{Stdout: string(out)})
}

func factNames(res Result) string {
	af, _ := res.Data["ansible_facts"].(map[string]any)
	names := make([]string, 0, len(af))
	for k := range af {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

func TestSetup(t *testing.T) {
	for _, check := range []bool{false, true} {
		env := familyEnv("Debian")
		env.Check = check
		f := setupFake(t)
		res := apply(t, newModule(t, "setup", ""), f, env)
		if res.Changed || res.Failed || len(f.Calls) != 1 || f.Calls[0] != facts.Script {
			t.Fatalf("check=%v: %+v %q", check, res, f.Calls)
		}
		names := factNames(res)
		for _, want := range []string{"ansible_os_family", "ansible_default_ipv4", "ansible_eth0", "ansible_processor_count", "ansible_memtotal_mb", "ansible_ipvs", "gather_subset", "module_setup"} {
			if !strings.Contains(" "+names+" ", " "+want+" ") {
				t.Errorf("all facts lack %s: %s", want, names)
			}
		}
		got := FactsOf(res)
		if got["os_family"] != "Debian" || got["ansible_os_family"] != nil || got["module_setup"] != true {
			t.Errorf("FactsOf: %v", got)
		}
	}
	for args, want := range map[string]string{
		"filter: ansible_distribution*":                           "ansible_distribution ansible_distribution_major_version ansible_distribution_minor_version ansible_distribution_release ansible_distribution_version",
		"{gather_subset: '!all,!min', filter: ansible_os_family}": "",
		"gather_subset: '!all,!min'":                              "gather_subset module_setup",
		"gather_subset: '!min'":                                   "gather_subset module_setup",
		"{gather_subset: [network], filter: [ansible_default_ipv4, ansible_processor_count]}":                      "ansible_default_ipv4",
		"{gather_subset: default_ipv4, filter: 'ansible_eth*'}":                                                    "ansible_eth0",
		"{gather_subset: '!hardware', filter: ['ansible_memtotal_mb', 'ansible_os_family', 'ansible_interfaces']}": "ansible_os_family",
		"{gather_subset: 'all,!hardware', filter: ['ansible_memtotal_mb', 'ansible_interfaces']}":                  "ansible_interfaces",
		"{gather_subset: hardware, filter: ['ansible_memtotal_mb', 'ansible_interfaces']}":                         "ansible_memtotal_mb",
	} {
		res := apply(t, newModule(t, "setup", args), setupFake(t), familyEnv("Debian"))
		if got := factNames(res); got != want {
			t.Errorf("%s: %s, want %s", args, got, want)
		}
	}
	res := apply(t, newModule(t, "setup", "gather_subset: [network, '!min']"), setupFake(t), familyEnv("Debian"))
	if af := res.Data["ansible_facts"].(map[string]any); af["ansible_os_family"] != nil || af["ansible_interfaces"] == nil || !slices.Equal(af["gather_subset"].([]string), []string{"network", "!min"}) {
		t.Errorf("network without min: %v", factNames(res))
	}
	if FactsOf(Result{Failed: true, Data: res.Data}) != nil || FactsOf(Result{}) != nil {
		t.Error("FactsOf of a failure or of no facts")
	}
	_, err := newModuleErr("setup", "{gather_subset: [bogus, '!nope'], filter: '[', gather_timeout: -1}")
	for _, want := range []string{`bad subset "bogus"`, `bad subset "nope"`, "virtualization_type", "gather_timeout must not be negative", `filter "["`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	f := hosttest.New().On(`os-release`, host.Result{ExitCode: 2, Stderr: "sh: bad"})
	if _, err := newModule(t, "setup", "").Apply(t.Context(), f, familyEnv("Debian")); err == nil || !strings.Contains(err.Error(), "gathering facts: exit 2") {
		t.Errorf("failed script: %v", err)
	}
}
