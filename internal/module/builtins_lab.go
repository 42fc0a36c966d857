package module

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// labModules are the LVS lab modules (ipvs, iptables, ip_address, route, cert, http_check).
func labModules() map[string]Factory {
	return map[string]Factory{
		"ipvs":       func() Module { return &IPVS{} },
		"iptables":   func() Module { return &IPTables{} },
		"ip_address": func() Module { return &IPAddress{} },
		"route":      func() Module { return &Route{} },
		"cert":       func() Module { return &Cert{} },
		"http_check": func() Module { return &HTTPCheck{} },
	}
}

// The lab modules inspect a host with ONE command made of probes: each probe
// prints a marker line, its output, and a line with its exit status, so that
// one round trip answers every question a module has.
const labMarker = "@@lvslab:"

// labProbe returns the shell text of one probe named name running cmd. The
// newline printed before the exit status line is removed by the parser, so
// that output without a final newline (a file) is recovered exactly.
func labProbe(name, cmd string) string {
	return fmt.Sprintf("echo '%s%s'; { %s; }; printf '\\n%src %s %%s\\n' \"$?\"", labMarker, name, cmd, labMarker, name)
}

// labCat is cat of one regular file, byte for byte (a last line without a
// newline too), done by the shell's read and printf: a probe then starts no
// process, tens of milliseconds each on a slow host such as the lab's
// emulated director. It fails, printing nothing, when file is no regular
// file or cannot be read.
func labCat(file string) string {
	f := host.Quote(file)
	return "[ -f " + f + " ] && { while IFS= read -r l; do printf '%s\\n' \"$l\"; done; printf '%s' \"$l\"; } 2>/dev/null <" + f
}

// labProbes joins probes into one inspect command.
func labProbes(probes ...string) string { return strings.Join(probes, "; ") }

// labProbeResult is the parsed output of an inspect command.
type labProbeResult struct {
	out map[string]string
	rc  map[string]int
}

// text returns the output of probe name without trailing newlines; out holds it exactly.
func (p labProbeResult) text(name string) string { return strings.TrimRight(p.out[name], "\n") }

// ok reports whether probe name ran and exited 0.
func (p labProbeResult) ok(name string) bool {
	rc, ran := p.rc[name]
	return ran && rc == 0
}

func labParseProbes(stdout string) labProbeResult {
	res := labProbeResult{out: map[string]string{}, rc: map[string]int{}}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur != "" {
			res.out[cur] = b.String()
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(stdout, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		if !strings.HasPrefix(trimmed, labMarker) {
			if cur != "" {
				b.WriteString(line)
			}
			continue
		}
		rest := strings.TrimPrefix(trimmed, labMarker)
		if f := strings.Fields(rest); len(f) == 3 && f[0] == "rc" {
			if n, err := strconv.Atoi(f[2]); err == nil {
				if f[1] == cur {
					res.out[cur] = strings.TrimSuffix(b.String(), "\n")
					b.Reset()
					cur = ""
				}
				res.rc[f[1]] = n
				continue
			}
		}
		flush()
		cur = rest
	}
	flush()
	return res
}

// labInspect runs an inspect command and parses its probes.
func labInspect(ctx context.Context, h host.Executor, what, cmd string) (labProbeResult, error) {
	res, err := h.Run(ctx, cmd, host.RunOpts{})
	if err != nil {
		return labProbeResult{}, fmt.Errorf("inspect %s: %w", what, err)
	}
	return labParseProbes(res.Stdout), nil
}

// labApplyScript runs the mutation steps as one command, stopping at the first
// failing step. It returns a failed Result (not an error) when a step failed.
func labApplyScript(ctx context.Context, h host.Executor, what string, steps []string) (host.Result, *Result, error) {
	res, err := h.Run(ctx, labScript(steps), host.RunOpts{})
	if err != nil {
		return res, nil, fmt.Errorf("apply %s: %w", what, err)
	}
	if res.ExitCode != 0 {
		msg := strings.TrimSpace(res.Stderr)
		if msg == "" {
			msg = strings.TrimSpace(res.Stdout)
		}
		return res, &Result{Failed: true, Msg: fmt.Sprintf("%s: command exited %d: %s", what, res.ExitCode, msg),
			Data: map[string]any{"rc": res.ExitCode, "stdout": res.Stdout, "stderr": res.Stderr, "commands": steps}}, nil
	}
	return res, nil, nil
}

// labScript joins mutation steps into one command that stops at the first failure.
func labScript(steps []string) string { return strings.Join(steps, " && ") }

// labFamilyProbe prints Debian or RedHat from the release files, for hosts
// whose facts were not gathered.
const labFamilyProbe = "if [ -f /etc/debian_version ]; then echo Debian; elif [ -f /etc/redhat-release ]; then echo RedHat; else echo unknown; fi"

// labProbeFamilies returns the families whose saved state an inspect
// command probes: the gathered os_family when it is Debian or RedHat, else
// both.
func labProbeFamilies(env *Env) []string {
	if env != nil {
		if f, ok := env.Facts["os_family"].(string); ok && (f == "Debian" || f == "RedHat") {
			return []string{f}
		}
	}
	return []string{"Debian", "RedHat"}
}

// labFamily returns the host's os_family: the fact when gathered, else what
// the family probe printed, else Debian.
func labFamily(env *Env, probed string) string {
	if env != nil {
		if f, ok := env.Facts["os_family"].(string); ok && f != "" {
			return f
		}
	}
	if p := strings.TrimSpace(probed); p == "RedHat" {
		return p
	}
	return "Debian"
}

// labWriteFile returns a shell step writing content to path atomically (temp
// file in the same directory, then rename) with the current umask.
func labWriteFile(path, content string) string {
	tmp := path + ".lvslab-tmp"
	return fmt.Sprintf("printf '%%s' %s > %s && mv -f %s %s", host.Quote(content), host.Quote(tmp), host.Quote(tmp), host.Quote(path))
}

// labState validates a state argument, defaulting to present.
func labState(s *string) error {
	switch *s {
	case "":
		*s = "present"
	case "present", "absent":
	default:
		return fmt.Errorf("state must be present or absent, not %q", *s)
	}
	return nil
}

// labBool returns *p, or def when p is nil.
func labBool(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// labIfName reports whether s is a valid Linux interface name (or label).
func labIfName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '/' || r > '~' || strings.ContainsRune(`'"\$;&|<>*?[]{}()`+"`", r) {
			return false
		}
	}
	return true
}
