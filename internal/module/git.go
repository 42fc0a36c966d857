package module

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"lvslab/internal/host"
)

// Git is Ansible's git, with the git of the host (none: the task fails
// saying so): repo is cloned into dest (clone, default true) at version
// (default HEAD: the remote's default branch; a branch, a tag or a commit
// id), depth making the clone shallow. An existing checkout (update,
// default true) is compared with the remote: one inspection asks the
// checkout's commit (git rev-parse HEAD), whether it has local changes,
// and the remote's commit of version (git ls-remote); equal is converged.
// Else it is fetched and moved to that commit (a branch checked out at it,
// a tag or commit id detached, HEAD reset), which local changes forbid
// unless force (they are discarded then, also on a converged commit). It registers before and after
// (commit ids) and remote_url_changed; in check mode it reports them and
// changes nothing.
type Git struct {
	Repo    string `yaml:"repo"`
	Dest    string `yaml:"dest"`
	Version string `yaml:"version"`
	Force   bool   `yaml:"force"`
	Depth   int    `yaml:"depth"`
	Update  *bool  `yaml:"update"`
	Clone   *bool  `yaml:"clone"`
	Remote  string `yaml:"remote"`
}

// gitWant is what a git task wants: its arguments with the defaults.
type gitWant struct{ Git }

var gitSHA = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// want defaults and checks the arguments, reporting every problem.
func (m *Git) want() (gitWant, error) {
	var p problems
	w := gitWant{*m}
	w.Version = orDefault(m.Version, "HEAD")
	w.Remote = orDefault(m.Remote, "origin")
	if m.Repo == "" {
		p.add("repo is required")
	}
	if !strings.HasPrefix(m.Dest, "/") {
		p.add("dest must be an absolute path")
	}
	if m.Depth < 0 {
		p.add("depth must not be negative")
	}
	if strings.HasPrefix(w.Version, "-") || strings.ContainsAny(w.Version, " \t\n") {
		p.add("version %q is not a branch, tag or commit", w.Version)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Git) Validate() error { _, err := m.want(); return err }

func (w gitWant) git(args ...string) string {
	return "git -C " + host.Quote(w.Dest) + " " + quoteWords(args)
}

// Apply converges the checkout: one inspection, then at most one command.
func (m *Git) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	refs := []string{w.Version}
	if w.Version != "HEAD" {
		refs = append(refs, "refs/heads/"+w.Version, "refs/tags/"+w.Version, "refs/tags/"+w.Version+"^{}")
	}
	in, err := inspect(ctx, h, "git "+w.Dest, probes(
		"command -v git >/dev/null 2>&1 || { echo nogit=1; exit 0; }",
		probe("before", "[ -e "+host.Quote(w.Dest+"/.git")+" ] && "+w.git("rev-parse", "HEAD")),
		probe("dirty", w.git("status", "--porcelain", "--untracked-files=no")+" 2>/dev/null"),
		probe("remote", "git ls-remote -- "+quoteWords(append([]string{w.Repo}, refs...))+" 2>&1")))
	if err != nil {
		return Result{}, err
	}
	if in.kv["nogit"] == "1" {
		return Result{}, fmt.Errorf("git: git is not installed on the host (install the git package)")
	}
	res := Result{Data: map[string]any{"before": nil, "after": nil, "remote_url_changed": false}}
	if !in.ok("remote") {
		return failRes(res, "git ls-remote %s: %s", w.Repo, in.text("remote")), nil
	}
	target, kind := gitTarget(in.text("remote"), w.Version)
	if target == "" {
		return failRes(res, "version %q not found in %s", w.Version, w.Repo), nil
	}
	before := ""
	if in.ok("before") {
		before = in.text("before")
		res.Data["before"] = before
	}
	res.Data["after"] = target
	steps, err := w.plan(before, target, kind, in.text("dirty") != "")
	if err != nil {
		return failRes(res, "%v", err), nil
	}
	if before == "" && !boolArg(w.Clone, true) {
		return res, nil
	}
	res.Changed = len(steps) > 0
	if !res.Changed {
		res.Data["after"] = before
	}
	return runSteps(ctx, h, env, "git", steps, res)
}

// gitTarget picks the commit of version from ls-remote's lines: a peeled
// tag over the tag, a branch; a commit id not among the refs is itself.
func gitTarget(lsRemote, version string) (string, string) {
	refs := map[string]string{}
	for _, l := range outLines(lsRemote) {
		if sha, ref, ok := strings.Cut(l, "\t"); ok {
			refs[ref] = sha
		}
	}
	switch {
	case version == "HEAD" && refs["HEAD"] != "":
		return refs["HEAD"], "head"
	case refs["refs/tags/"+version+"^{}"] != "":
		return refs["refs/tags/"+version+"^{}"], "tag"
	case refs["refs/tags/"+version] != "":
		return refs["refs/tags/"+version], "tag"
	case refs["refs/heads/"+version] != "":
		return refs["refs/heads/"+version], "branch"
	case gitSHA.MatchString(version):
		return version, "commit"
	}
	return "", ""
}

// plan returns the steps that bring dest to target.
func (w gitWant) plan(before, target, kind string, dirty bool) ([]string, error) {
	if before == "" {
		clone := []string{"clone", "--origin", w.Remote}
		if w.Depth > 0 {
			clone = append(clone, "--depth", fmt.Sprint(w.Depth))
		}
		if kind == "branch" || kind == "tag" {
			clone = append(clone, "--branch", w.Version)
		}
		steps := []string{"git " + quoteWords(append(clone, "--", w.Repo, w.Dest))}
		if kind == "commit" {
			steps = append(steps, w.git("checkout", "--detach", target))
		}
		return steps, nil
	}
	same := strings.HasPrefix(before, target)
	if same && !(dirty && w.Force) || !boolArg(w.Update, true) {
		return nil, nil
	}
	if same {
		return []string{w.git("reset", "--hard", "HEAD")}, nil // force: local changes discarded
	}
	if dirty && !w.Force {
		return nil, fmt.Errorf("Local modifications exist in the destination: %s (force=no)", w.Dest)
	}
	fetch := []string{"fetch", "--tags"}
	if w.Depth > 0 {
		fetch = append(fetch, "--depth", fmt.Sprint(w.Depth))
	}
	fetch = append(fetch, w.Remote)
	force := map[bool][]string{true: {"--force"}}[w.Force]
	var move string
	switch kind {
	case "branch":
		move = w.git(append(append([]string{"checkout"}, force...), "-B", w.Version, target)...)
	case "head":
		move = w.git("reset", "--hard", target)
	default:
		move = w.git(append(append([]string{"checkout"}, force...), "--detach", target)...)
	}
	return []string{w.git(fetch...), move}, nil
}
