package module

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"lvslab/internal/host"
)

// This file is the worked example of doc.go: a complete module in the
// shape every module has, with the tests a module gets. It is not
// registered in builtins; its test registers it in a registry of its own.

// Hostname sets the host's name, at runtime (hostname) and for the next
// boot (/etc/hostname). It is changed when either differs; in check mode it
// says so and changes nothing.
type Hostname struct {
	Name string `yaml:"name"`
}

var hostnameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// hostnameWant is what a hostname task wants (its arguments need no defaults).
type hostnameWant struct{ Hostname }

// want checks the arguments, reporting every problem.
func (m *Hostname) want() (hostnameWant, error) {
	var p problems
	if !hostnameRE.MatchString(m.Name) {
		p.add("name %q is not a host name", m.Name)
	}
	return hostnameWant{*m}, p.err()
}

// Validate reports every problem of the arguments.
func (m *Hostname) Validate() error { _, err := m.want(); return err }

// Apply converges the name: one inspect command, then at most one command.
func (m *Hostname) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "hostname", probes(
		probe("now", "hostname"),
		probe("file", catFile("/etc/hostname"))))
	if err != nil {
		return Result{}, err
	}
	steps := w.plan(in)
	res := Result{Changed: len(steps) > 0, Msg: "hostname " + in.text("now") + " -> " + w.Name, Data: map[string]any{"commands": steps}}
	if len(steps) == 0 {
		res.Msg = ""
	}
	return runSteps(ctx, h, env, "hostname", steps, res)
}

// plan returns the steps that give the host its name.
func (w hostnameWant) plan(in inspection) []string {
	var steps []string
	if in.text("now") != w.Name {
		steps = append(steps, "hostname "+host.Quote(w.Name))
	}
	if in.out["file"] != w.Name+"\n" {
		steps = append(steps, writeStep("/etc/hostname", w.Name+"\n"))
	}
	return steps
}

func TestExampleModule(t *testing.T) {
	r := NewRegistry()
	r.Register("hostname", func() Module { return &Hostname{} })
	newHostname := func(args string) Module {
		m, err := r.New("hostname", yamlNode(t, args))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	converged := probeOutput(fakeProbe{"now", "rs01", 0}, fakeProbe{"file", "rs01\n", 0})
	renamed := probeOutput(fakeProbe{"now", "localhost", 0}, fakeProbe{"file", "localhost\n", 0})
	for _, check := range []bool{false, true} {
		env := familyEnv("Debian")
		env.Check = check
		f := probeFake(converged)
		if res := apply(t, newHostname("name: rs01"), f, env); res.Changed || len(f.Calls) != 1 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		f = probeFake(renamed)
		res := apply(t, newHostname("name: rs01"), f, env)
		if !res.Changed || res.Msg != "hostname localhost -> rs01" || len(f.Calls) != map[bool]int{false: 2, true: 1}[check] {
			t.Errorf("renamed, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "lab/hostname_example", f.Calls, true)
		}
	}
	f := probeFake(renamed).On(`^hostname `, host.Result{ExitCode: 1, Stderr: "hostname: you must be root to change the host name"})
	if res := apply(t, newHostname("name: rs01"), f, familyEnv("Debian")); !res.Failed || !strings.Contains(res.Msg, "you must be root") {
		t.Errorf("failure: %+v", res)
	}
	if _, err := r.New("hostname", yamlNode(t, "name: Not_A_Name")); err == nil || !strings.Contains(err.Error(), "not a host name") {
		t.Errorf("validation: %v", err)
	}
}
