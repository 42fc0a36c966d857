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
// one `name = value` line in sysctl_file (default
// /etc/sysctl.d/99-lvslab.conf; an existing line for the key is replaced in
// place, duplicates removed). It is changed when either differs. The runtime
// value and the file are read in one round trip. With reload (default true)
// a changed file is applied with `sysctl -p FILE`; with sysctl_set (default
// true) the runtime value is set when it differs. A key the kernel does not
// have (an ipvs key before ip_vs is loaded, say) fails unless both are false
// (in check mode it is reported as a change: an earlier task may load the
// module).
//
// state absent removes the key's line from the file only: the runtime value
// is left as it is (the kernel has no "unset"; reboot or set it explicitly).
type Sysctl struct {
	Name       string `yaml:"name"`
	Value      string `yaml:"value"`
	State      string `yaml:"state"`
	SysctlFile string `yaml:"sysctl_file"`
	Reload     *bool  `yaml:"reload"`
	SysctlSet  *bool  `yaml:"sysctl_set"`
}

// Validate fills defaults and checks name and value.
func (s *Sysctl) Validate() error {
	var errs []string
	if !sysctlNameRE.MatchString(s.Name) {
		errs = append(errs, fmt.Sprintf("invalid name %q", s.Name))
	}
	if s.State == "" {
		s.State = "present"
	}
	switch s.State {
	case "present":
		if strings.TrimSpace(s.Value) == "" || strings.ContainsAny(s.Value, "\n") {
			errs = append(errs, "state present needs a one-line value")
		}
	case "absent":
	default:
		errs = append(errs, fmt.Sprintf("state %q: want present or absent", s.State))
	}
	if s.SysctlFile == "" {
		s.SysctlFile = "/etc/sysctl.d/99-lvslab.conf"
	}
	t := true
	if s.Reload == nil {
		s.Reload = &t
	}
	if s.SysctlSet == nil {
		s.SysctlSet = &t
	}
	return joinErrs("sysctl", errs)
}

// Apply converges the runtime value and the file.
func (s *Sysctl) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	script := sysctlRead(s.Name) + probeScript(s.SysctlFile, probeOpts{Content: true, Limit: -1, Follow: true})
	out, err := h.Run(ctx, script, host.RunOpts{})
	if err != nil {
		return Result{}, fmt.Errorf("sysctl %s: %w", s.Name, err)
	}
	if out.ExitCode != 0 {
		return Result{}, cmdErr("sysctl "+s.Name, out, nil)
	}
	st, err := parseProbe(out.Stdout)
	if err != nil {
		return Result{}, fmt.Errorf("sysctl %s: %w", s.Name, err)
	}
	res := Result{Data: map[string]any{"name": s.Name, "sysctl_file": s.SysctlFile}}
	runtime, known := sysctlValue(st.Extra["sysctl_value"]), st.Extra["sysctl_rc"] == "0"
	want := sysctlValue(s.Value)
	present := s.State == "present"
	if present && !known && (*s.SysctlSet || *s.Reload) && !env.Check {
		return failRes(res, "sysctl %s is not available on this host: %s", s.Name, runtime), nil
	}
	if !known {
		runtime = "(not available)"
	}
	res.Data["value"] = runtime
	setRuntime := present && *s.SysctlSet && runtime != want
	if st.Other != "" {
		return failRes(res, "%s is a %s, not a file", s.SysctlFile, st.Other), nil
	}
	content := string(st.Content)
	newContent := sysctlEdit(content, s.Name, want, present)
	var fileChanged bool
	if newContent != content || (present && !st.Exists) {
		wres, err := writeFile(ctx, h, env, st, writeOpts{DefaultMode: 0644}, bytesPayload([]byte(newContent)))
		if err != nil || wres.Failed {
			wres.Data["name"] = s.Name
			return wres, err
		}
		fileChanged = true
		res.Diff = wres.Diff
	}
	if setRuntime {
		res.Data["value"] = want
		if env.Diff {
			res.Diff = append(res.Diff, FileDiff{Path: "sysctl " + s.Name + " (runtime)", Before: runtime + "\n", After: want + "\n"})
		}
	}
	var msgs []string
	if fileChanged {
		msgs = append(msgs, s.SysctlFile+" updated")
	}
	if setRuntime {
		msgs = append(msgs, fmt.Sprintf("runtime %s -> %s", runtime, want))
	}
	res.Changed, res.Msg = len(msgs) > 0, strings.Join(msgs, ", ")
	var cmd string
	switch {
	case fileChanged && *s.Reload && present:
		cmd = "sysctl -p " + host.Quote(s.SysctlFile)
	case setRuntime:
		cmd = "sysctl -w " + host.Quote(s.Name+"="+want)
	}
	if env.Check || cmd == "" {
		return res, nil
	}
	act, err := h.Run(ctx, cmd, host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("sysctl %s: %w", s.Name, err)
	}
	if act.ExitCode != 0 {
		return failRes(res, "%s failed (exit %d): %s", cmd, act.ExitCode, strings.TrimSpace(act.Stderr+"\n"+act.Stdout)), nil
	}
	return res, nil
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
