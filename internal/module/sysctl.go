package module

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"lvslab/internal/host"
)

var sysctlNameRE = regexp.MustCompile(`^[A-Za-z0-9_./:@-]+$`)

// Sysctl sets a kernel parameter at runtime (sysctl -w) and persists it as
// one `name = value` line in sysctl_file (default /etc/sysctl.conf, as
// Ansible; lvslab's own tasks use /etc/sysctl.d/99-lvslab.conf; an existing
// line for the key is replaced in
// place, duplicates removed). It is changed when either differs. The runtime
// value and the file are read in one round trip. A runtime value that
// differs is set first (with sysctl_set, default true, or with reload and a
// changed file): a value the kernel refuses fails the task with the
// kernel's message and the file is left as it was. With reload (default
// true) a changed file is then applied with `sysctl -p FILE`. A key the kernel does not
// have (an ipvs key before ip_vs is loaded, say) fails unless both are false
// (in check mode it is reported as a change: an earlier task may load the
// module).
//
// state absent removes the key's line from the file only: the runtime value
// is left as it is (the kernel has no "unset"; reboot or set it explicitly).
//
// These are ansible.posix.sysctl's arguments (key and val are its aliases
// of name and value), with ignoreerrors: a key the kernel does not have is
// written to the file without failing the task, its runtime value left
// alone, and the file reloaded with `sysctl -e -p`. Unlike Ansible,
// sysctl_set defaults to true.
type Sysctl struct {
	Name         string `yaml:"name"`
	Key          string `yaml:"key"`
	Value        string `yaml:"value"`
	Val          string `yaml:"val"`
	IgnoreErrors bool   `yaml:"ignoreerrors"`
	State        string `yaml:"state"`
	SysctlFile   string `yaml:"sysctl_file"`
	Reload       *bool  `yaml:"reload"`
	SysctlSet    *bool  `yaml:"sysctl_set"`
}

// sysctlWant is what a sysctl task wants: its arguments with the defaults
// filled in.
type sysctlWant struct {
	Sysctl
	reload, set bool
}

// want defaults and checks the arguments, reporting every problem.
func (m *Sysctl) want() (sysctlWant, error) {
	var p problems
	w := sysctlWant{Sysctl: *m, reload: boolArg(m.Reload, true), set: boolArg(m.SysctlSet, true)}
	if m.Name != "" && m.Key != "" || m.Value != "" && m.Val != "" {
		p.add("give name or key, value or val, not both")
	}
	// Ansible strips both ("net.core.somaxconn " in a public role).
	w.Name, w.Value = strings.TrimSpace(orDefault(m.Name, m.Key)), strings.TrimSpace(orDefault(m.Value, m.Val))
	if !sysctlNameRE.MatchString(w.Name) {
		p.add("invalid name %q", w.Name)
	}
	w.State = orDefault(m.State, "present")
	switch w.State {
	case "present":
		if strings.TrimSpace(w.Value) == "" || strings.ContainsAny(w.Value, "\n") {
			p.add("state present needs a one-line value")
		}
	case "absent":
	default:
		p.add("state %q: want present or absent", w.State)
	}
	w.SysctlFile = orDefault(m.SysctlFile, "/etc/sysctl.conf")
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Sysctl) Validate() error { _, err := m.want(); return err }

// sysctlPlan is what a sysctl task does: the file's new content (when it
// changes), the runtime value (when it is set), and the command that
// applies them.
type sysctlPlan struct {
	content    string // the file's new content
	writeFile  bool
	runtime    string // the value the kernel has, or "(not available)"
	setRuntime bool
	setFirst   string   // sysctl -w NAME=VALUE, run before the file is written
	steps      []string // sysctl -p FILE, run after the file is written
	msg        string
}

// Apply converges the runtime value and the file: one inspect command,
// then the runtime value set, the file written and reloaded, each when
// needed.
func (m *Sysctl) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	st, err := probeFile(ctx, h, "sysctl "+w.Name, sysctlRead(w.Name)+probeScript(w.SysctlFile, probeOpts{Content: true, Limit: -1, Follow: true}))
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"name": w.Name, "sysctl_file": w.SysctlFile}}
	runtime, known := sysctlValue(st.Extra["sysctl_value"]), st.Extra["sysctl_rc"] == "0"
	if w.State == "present" && !known && (w.set || w.reload) && !env.Check && !w.IgnoreErrors {
		return failRes(res, "sysctl %s is not available on this host: %s", w.Name, runtime), nil
	}
	plan := w.plan(st, runtime, known)
	res.Data["value"] = plan.runtime
	if st.Other != "" {
		return failRes(res, "%s is a %s, not a file", w.SysctlFile, st.Other), nil
	}
	if plan.setFirst != "" && !env.Check {
		// The kernel has the last word on a value: set it before the file
		// holds it, so a refused value is never persisted.
		out, err := h.Run(ctx, plan.setFirst, host.RunOpts{})
		if err != nil {
			return res, fmt.Errorf("apply %s: %w", plan.setFirst, err)
		}
		if res = applied(res, plan.setFirst, out); res.Failed {
			return res, nil
		}
	}
	if plan.writeFile {
		wres, err := writeFile(ctx, h, env, st, writeOpts{DefaultMode: 0644}, bytesPayload([]byte(plan.content)))
		if err != nil || wres.Failed {
			wres.Data["name"] = w.Name
			return wres, err
		}
		res.Diff = wres.Diff
	}
	if plan.setRuntime {
		res.Data["value"] = w.value()
		if env.Diff {
			res.Diff = append(res.Diff, FileDiff{Path: "sysctl " + w.Name + " (runtime)", Before: plan.runtime + "\n", After: w.value() + "\n"})
		}
	}
	res.Changed, res.Msg = plan.msg != "", plan.msg
	return runSteps(ctx, h, env, strings.Join(plan.steps, ""), plan.steps, res)
}

// value is the wanted value, its white space normalised.
func (w sysctlWant) value() string { return sysctlValue(w.Value) }

// plan compares the file (st) and the runtime value with what w wants.
func (w sysctlWant) plan(st fileState, runtime string, known bool) sysctlPlan {
	present := w.State == "present"
	p := sysctlPlan{runtime: runtime}
	if !known {
		p.runtime = "(not available)"
	}
	p.setRuntime = present && w.set && p.runtime != w.value() && (known || !w.IgnoreErrors)
	p.content = sysctlEdit(string(st.Content), w.Name, w.value(), present)
	p.writeFile = p.content != string(st.Content) || (present && !st.Exists)
	reload := p.writeFile && w.reload && present
	if p.setRuntime || (reload && p.runtime != w.value() && (known || !w.IgnoreErrors)) {
		p.setFirst = "sysctl -w " + host.Quote(w.Name+"="+w.value())
	}
	if reload {
		p.steps = []string{"sysctl -p " + host.Quote(w.SysctlFile)}
		if w.IgnoreErrors {
			p.steps[0] = "sysctl -e -p " + host.Quote(w.SysctlFile)
		}
	}
	var msgs []string
	if p.writeFile {
		msgs = append(msgs, w.SysctlFile+" updated")
	}
	if p.setRuntime {
		msgs = append(msgs, fmt.Sprintf("runtime %s -> %s", p.runtime, w.value()))
	}
	p.msg = strings.Join(msgs, ", ")
	return p
}

// sysctlRead prints sysctl_rc and sysctl_value (on one line) of key. A key
// written with dots only is read from its file under /proc/sys by the
// shell's read, without starting sysctl (tens of milliseconds on a slow
// host): the first line, which is the whole value of every key but a few
// tables that nobody sets. sysctl -n reads the others, and any key whose
// file cannot be read, for its error.
func sysctlRead(key string) string {
	q := host.Quote(key)
	viaSysctl := fmt.Sprintf("v=$(sysctl -n %s 2>&1); echo \"sysctl_rc=$?\"; echo \"sysctl_value=$(printf '%%s' \"$v\" | tr '\\n\\t' '  ')\"\n", q)
	if strings.ContainsAny(key, "/*?[ ") || strings.Contains(key, "..") || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") {
		return viaSysctl
	}
	f := host.Quote("/proc/sys/" + strings.ReplaceAll(key, ".", "/"))
	return "if [ -f " + f + " ] && { IFS= read -r v; } 2>/dev/null <" + f + "; then\n" +
		"  echo sysctl_rc=0; echo \"sysctl_value=$v\"\nelse\n  " + strings.ReplaceAll(strings.TrimSuffix(viaSysctl, "\n"), "\n", "\n  ") + "\nfi\n"
}

// sysctlValue normalises a value's white space (sysctl -n separates the
// parts of a vector value with tabs).
func sysctlValue(v string) string { return strings.Join(strings.Fields(v), " ") }

// sysctlKey normalises a key: a/b/c and a.b.c are the same key.
func sysctlKey(k string) string {
	return strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(k), "-"), "/", ".")
}

// sysctlEdit returns content with the key's line set to `name = value` (the
// first one replaced in place when its value differs, later ones removed, or
// appended), or with every line of the key removed.
func sysctlEdit(content, name, value string, present bool) string {
	lines := strings.SplitAfter(content, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	key := sysctlKey(name)
	out := lines[:0:0]
	found := false
	for _, line := range lines {
		t := strings.TrimSpace(line)
		k, v, ok := strings.Cut(t, "=")
		if !ok || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") || sysctlKey(k) != key {
			out = append(out, line)
			continue
		}
		if !present || found {
			continue
		}
		found = true
		if sysctlValue(v) == value {
			out = append(out, line)
		} else {
			out = append(out, name+" = "+value+"\n")
		}
	}
	if present && !found {
		if n := len(out); n > 0 && !strings.HasSuffix(out[n-1], "\n") {
			out[n-1] += "\n"
		}
		out = append(out, name+" = "+value+"\n")
	}
	return strings.Join(out, "")
}
