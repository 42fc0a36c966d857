package module

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"lvslab/internal/host"
)

// AptRepository is Ansible's apt_repository for one-line sources: repo is
// a line such as "deb [signed-by=/etc/apt/keyrings/nginx.gpg]
// http://nginx.org/packages/debian bookworm nginx". state present (the
// default) converges when the line (whitespace aside) is an enabled source
// in /etc/apt/sources.list or any sources.list.d/*.list; a commented-out
// copy is enabled where it is; else the line is added to
// sources.list.d/FILENAME.list, FILENAME being filename or, as Ansible names
// it, the URL's host and path with every run of other characters than
// letters and digits made one "_" (options, scheme and user:password@
// dropped): example_org_debian.list. state absent removes the line from
// every file that has it enabled, and a file left empty. mode (default
// 0644) is the mode of a file written. update_cache (default true) runs
// apt-get update after a change. One inspection reads every sources file;
// in check mode and with --diff it reports the files' before and after.
// PPAs (ppa:...) are not supported. It registers repo, state,
// sources_added and sources_removed.
type AptRepository struct {
	Repo               string    `yaml:"repo"`
	State              string    `yaml:"state"`
	Filename           string    `yaml:"filename"`
	Mode               OctalMode `yaml:"mode"`
	UpdateCache        *bool     `yaml:"update_cache"`
	UpdateCacheRetries int       `yaml:"update_cache_retries"`
	ValidateCerts      *bool     `yaml:"validate_certs"`     // accepted, as Ansible's for PPAs
	InstallPythonApt   *bool     `yaml:"install_python_apt"` // accepted: nothing to install

	sourcesDir string // /etc/apt, but for tests
}

// aptRepoWant is what an apt_repository task wants: the line normalized
// and the file it goes to.
type aptRepoWant struct {
	AptRepository
	line, file string
}

var aptSourceRE = regexp.MustCompile(`^(deb|deb-src)(\s+\[[^\]]*\])?\s+\S+://\S+(\s+\S+)+$`)

// aptRepoFileName is Ansible's _suggest_filename: the file a source goes to.
func aptRepoFileName(line string) string {
	line = regexp.MustCompile(`\[[^\]]+\]`).ReplaceAllString(line, "")
	line = regexp.MustCompile(`\w+://`).ReplaceAllString(line, "")
	var parts []string
	for _, p := range strings.Fields(line) {
		if p != "deb" && p != "deb-src" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	first := parts[0]
	if _, after, ok := strings.Cut(first, "@"); ok {
		first = after
	}
	return strings.Join(strings.Fields(regexp.MustCompile(`[^a-zA-Z0-9]`).ReplaceAllString(first, " ")), "_")
}

// want defaults and checks the arguments, reporting every problem.
func (m *AptRepository) want() (aptRepoWant, error) {
	var p problems
	w := aptRepoWant{AptRepository: *m, line: strings.Join(strings.Fields(m.Repo), " ")}
	w.State = stateArg(m.State, &p)
	w.sourcesDir = orDefault(m.sourcesDir, "/etc/apt")
	if !m.Mode.Set {
		w.Mode = OctalMode{Bits: 0o644, Set: true}
	}
	switch {
	case m.Repo == "":
		p.add("repo is required")
	case strings.HasPrefix(m.Repo, "ppa:"):
		p.add("PPA repositories are not supported by lvslab's apt_repository: give the deb line")
	case !aptSourceRE.MatchString(w.line):
		p.add("repo %q is not a one-line source: deb|deb-src [options] URI SUITE [COMPONENT...]", m.Repo)
	}
	name := orDefault(m.Filename, aptRepoFileName(w.line))
	if strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		p.add("filename %q must be a file name, not a path", name)
	}
	w.file = w.sourcesDir + "/sources.list.d/" + name + ".list"
	if m.UpdateCacheRetries < 0 {
		p.add("update_cache_retries must not be negative")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *AptRepository) Validate() error { _, err := m.want(); return err }

// Apply converges the source: one inspection, then at most one command.
func (m *AptRepository) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	d := host.Quote(w.sourcesDir)
	list := "for f in " + d + "/sources.list " + d + "/sources.list.d/*.list; do [ -f \"$f\" ] || continue; " +
		"echo \"@@lvslab:file:$f\"; cat -- \"$f\"; printf '\\n@@lvslab:rc file:%s %s\\n' \"$f\" \"$?\"; done"
	in, err := inspect(ctx, h, "apt sources", list)
	if err != nil {
		return Result{}, err
	}
	files := map[string]string{}
	var order []string
	for name, content := range in.out {
		if f, ok := strings.CutPrefix(name, "file:"); ok {
			files[f] = content
			order = append(order, f)
		}
	}
	slices.Sort(order)
	changes := w.plan(files, order)
	res := Result{Data: map[string]any{"repo": w.Repo, "state": w.State, "sources_added": []string{}, "sources_removed": []string{}}}
	var steps []string
	for _, c := range changes {
		if env.Diff {
			res.Diff = append(res.Diff, FileDiff{Path: c.path, Before: files[c.path], After: c.after})
		}
		switch {
		case c.after == "":
			steps = append(steps, "rm -f -- "+host.Quote(c.path))
			res.Data["sources_removed"] = append(res.Data["sources_removed"].([]string), c.path)
		default:
			if _, had := files[c.path]; !had {
				res.Data["sources_added"] = append(res.Data["sources_added"].([]string), c.path)
			}
			steps = append(steps, writeStep(c.path, c.after), "chmod "+w.Mode.String()+" "+host.Quote(c.path))
		}
	}
	if len(changes) > 0 && boolArg(w.UpdateCache, true) {
		steps = append(steps, w.updateCache())
		res.Data["cache_updated"] = true
	}
	res.Changed = len(changes) > 0
	return runSteps(ctx, h, env, "apt_repository", steps, res)
}

// updateCache is apt-get update, tried update_cache_retries times (default 5) while it fails.
func (w aptRepoWant) updateCache() string {
	tries := orDefault(w.UpdateCacheRetries, 5)
	return fmt.Sprintf("{ i=1; until %sapt-get update -q; do if [ $i -ge %d ]; then exit 1; fi; i=$((i+1)); sleep 1; done; }", aptEnv, tries)
}

// aptRepoChange is one sources file a task writes (after "" removes it).
type aptRepoChange struct{ path, after string }

// plan returns the files to write, given every sources file's content.
func (w aptRepoWant) plan(files map[string]string, order []string) []aptRepoChange {
	var out []aptRepoChange
	if w.State == "present" {
		for _, f := range order {
			for _, l := range strings.Split(files[f], "\n") {
				if aptSourceLine(l) == w.line {
					return nil
				}
			}
		}
		for _, f := range order {
			lines := strings.Split(files[f], "\n")
			for i, l := range lines {
				if s, ok := strings.CutPrefix(strings.TrimSpace(l), "#"); ok && aptSourceLine(s) == w.line {
					lines[i] = w.line
					return []aptRepoChange{{f, strings.Join(lines, "\n")}}
				}
			}
		}
		before := files[w.file]
		if before != "" && !strings.HasSuffix(before, "\n") {
			before += "\n"
		}
		return []aptRepoChange{{w.file, before + w.line + "\n"}}
	}
	for _, f := range order {
		lines := strings.Split(files[f], "\n")
		kept := slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return aptSourceLine(l) == w.line })
		if len(kept) == len(lines) {
			continue
		}
		after := strings.Join(kept, "\n")
		if strings.TrimSpace(after) == "" {
			after = ""
		}
		out = append(out, aptRepoChange{f, after})
	}
	return out
}

// aptSourceLine returns an enabled source line normalized, "" for any other line.
func aptSourceLine(l string) string {
	if i := strings.Index(l, "#"); i >= 0 {
		l = l[:i]
	}
	l = strings.Join(strings.Fields(l), " ")
	if !aptSourceRE.MatchString(l) {
		return ""
	}
	return l
}
