package module

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"lvslab/internal/host/hosttest"
	"lvslab/internal/pos"
)

func TestAssert(t *testing.T) {
	env := testEnv(debian12, map[string]any{"lvs_mode": "dr", "weight": 3})
	f := hosttest.New()
	res := apply(t, newModule(t, "assert", "that:\n  - lvs_mode in ['nat', 'dr', 'fwmark']\n  - weight > 0\nsuccess_msg: fine"), f, env)
	if res.Failed || res.Changed || res.Msg != "fine" {
		t.Fatalf("res %+v", res)
	}
	res = apply(t, newModule(t, "assert", "that: [weight > 0, lvs_mode == 'nat']"), f, env)
	if !res.Failed || res.Msg != "assertion failed: lvs_mode == 'nat'" || res.Data["assertion"] != "lvs_mode == 'nat'" {
		t.Fatalf("res %+v", res)
	}
	// Jinja2's truth, as Ansible's assert: a number or a string is true
	// unless zero or empty.
	res = apply(t, newModule(t, "assert", "that: [weight, \"lvs_mode ~ 'x'\"]"), f, env)
	if res.Failed {
		t.Fatalf("res %+v", res)
	}
	res = apply(t, newModule(t, "assert", "that: weight - 3\nfail_msg: weight must not be 3"), f, env)
	if !res.Failed || res.Msg != "weight must not be 3" || res.Data["evaluated_to"] != false {
		t.Fatalf("res %+v", res)
	}
	if _, err := newModule(t, "assert", "that: nosuchvar == 1").Apply(t.Context(), f, env); err == nil || !strings.Contains(err.Error(), "nosuchvar") {
		t.Fatalf("undefined: %v", err)
	}
	if _, err := newModuleErr("assert", "fail_msg: x"); err == nil {
		t.Fatal("assert without that validated")
	}
	if len(f.Commands()) != 0 {
		t.Fatalf("assert touched the host: %q", f.Commands())
	}
}

func TestDebugFailSetFact(t *testing.T) {
	env := testEnv(debian12, map[string]any{"sites": []any{map[string]any{"name": "www.along.com"}}})
	f := hosttest.New()
	if res := apply(t, newModule(t, "debug", "msg: hello"), f, env); res.Msg != "hello" || res.Changed {
		t.Fatalf("res %+v", res)
	}
	if res := apply(t, newModule(t, "debug", "msg: [1, 2]"), f, env); res.Msg != "[1,2]" {
		t.Fatalf("res %+v", res)
	}
	if res := apply(t, newModule(t, "debug", "var: sites[0].name"), f, env); res.Msg != "sites[0].name: www.along.com" {
		t.Fatalf("res %+v", res)
	}
	if res := apply(t, newModule(t, "debug", ""), f, env); res.Msg != "Hello world!" {
		t.Fatalf("res %+v", res)
	}
	if _, err := newModuleErr("debug", "msg: a\nvar: b"); err == nil {
		t.Fatal("msg and var validated")
	}
	if res := apply(t, newModule(t, "fail", "msg: wrong mode"), f, env); !res.Failed || res.Msg != "wrong mode" {
		t.Fatalf("res %+v", res)
	}
	if res := apply(t, newModule(t, "fail", ""), f, env); !res.Failed || res.Msg != "Failed as requested from task" {
		t.Fatalf("res %+v", res)
	}
	res := apply(t, newModule(t, "set_fact", "rip: 192.168.30.107\nweight: 2\nports: [80, 443]"), f, env)
	want := map[string]any{"rip": "192.168.30.107", "weight": 2, "ports": []any{80, 443}}
	if !reflect.DeepEqual(res.Facts, want) || res.Changed {
		t.Fatalf("facts %#v", res.Facts)
	}
	for args, msg := range map[string]string{"[a]": "mapping", "'bad-name': 1": "invalid fact name", "{}": "no facts"} {
		if _, err := newModuleErr("set_fact", args); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v", args, err)
		}
	}
	if len(f.Commands()) != 0 {
		t.Fatalf("touched the host: %q", f.Commands())
	}
}

func TestCoreModulesRegistered(t *testing.T) {
	r := Default()
	for _, n := range []string{"command", "shell", "copy", "template", "file", "lineinfile", "package", "service", "sysctl", "wait_for", "assert", "debug", "fail", "set_fact"} {
		if !r.Has(n) {
			t.Errorf("%s not registered", n)
		}
	}
	// Unknown keys are reported with their position, also for free-form modules.
	if _, err := newModuleErr("shell", "cmd: ls\nchdr: /tmp"); err == nil || !strings.Contains(err.Error(), `line 2:1: unknown key "chdr"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := newModuleErr("copy", "dest: /x\ncontent: y\nmod: 1"); err == nil || !strings.Contains(err.Error(), `unknown key "mod"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestArgErrorsPlaced: a bad argument value is one error at the value's
// line and column (relative to the arguments' file), said once.
func TestArgErrorsPlaced(t *testing.T) {
	for _, c := range []struct{ module, args, want string }{
		{"copy", "dest: /x\ncontent: hi\nmode: [1]", "line 3:7: mode: want an octal mode like 0644, got a list"},
		{"copy", "dest: /x\ncontent: hi\nmode: 9z", `line 3:7: mode: want an octal mode like 0644, got a string`},
		{"package", "name: [{a: 1}]", "line 1:8: want a string, got a mapping"},
		{"set_fact", "[1, 2]", "line 1:1: set_fact takes a mapping of names to values"},
		{"shell", "[ls]", "line 1:1: want a command string or a mapping, got a list"},
		{"copy", "content: hi\ndest: [1]", "line 2:7: dest: want a string, got a list"},
	} {
		_, err := newModuleErr(c.module, c.args)
		var pe *pos.Error
		if !errors.As(err, &pe) || err.Error() != c.want {
			t.Errorf("%s %q: %v, want %s (a *pos.Error)", c.module, c.args, err, c.want)
		}
	}
}
