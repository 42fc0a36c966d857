package module

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"lvslab/internal/host"
)

// The apt lock: a command that finds it taken is retried aptLockTries times,
// aptLockWait apart (tests shorten the wait).
var (
	aptLockTries = 60
	aptLockWait  = 2 * time.Second
)

var (
	pkgNameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+:~_=*@-]*$`)
	aptSummary  = regexp.MustCompile(`(\d+) upgraded, (\d+) newly installed, (\d+) to remove`)
	aptLockMsgs = []string{"Could not get lock", "Unable to acquire the dpkg frontend lock", "Unable to lock the administration directory"}
)

const aptEnv = "DEBIAN_FRONTEND=noninteractive "
const aptOpts = "-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

// Package installs, upgrades or removes packages with apt, dnf or yum (from
// the pkg_mgr fact, probed when facts were not gathered). name is one name,
// a comma-separated string or a list; logical names go through PackageName
// (php-fpm is php8.2-fpm on Debian 12). All names are queried in one round
// trip; when nothing is to do that is all it costs. The apt, yum and dnf
// modules (pkgalias.go) are package with their own options.
//
// update_cache refreshes the package lists first (apt: only when they are
// older than cache_valid_time seconds, when that is given; dnf/yum ignore
// cache_valid_time, their metadata expiry rules); a refresh alone does not
// count as a change. apt runs non-interactively and keeps changed
// configuration files; a held dpkg lock is waited for (up to two minutes).
//
// Ansible's package hands its other options to the host's module; these
// are taken: allow_downgrade (apt: --allow-downgrades; dnf and yum: their
// install, which takes a named older version), and, for yum and dnf hosts
// only (on an apt host they fail the task, as apt's module refuses them),
// disablerepo, enablerepo and disable_gpg_check (--nogpgcheck).
type Package struct {
	Name            StrList `yaml:"name"`
	Pkg             StrList `yaml:"pkg"` // alias of name
	State           string  `yaml:"state"`
	UpdateCache     bool    `yaml:"update_cache"`
	CacheValidTime  int     `yaml:"cache_valid_time"`
	AllowDowngrade  bool    `yaml:"allow_downgrade"`
	DisableRepo     StrList `yaml:"disablerepo"`
	EnableRepo      StrList `yaml:"enablerepo"`
	DisableGPGCheck bool    `yaml:"disable_gpg_check"`

	// What the apt, yum and dnf modules (pkgalias.go) add.
	managers []string // the package managers the task takes ("": any)
	extra    pkgExtra
}

// pkgExtra are the options of apt, yum and dnf beyond package's.
type pkgExtra struct {
	installRecommends *bool    // apt: --install-recommends / --no-install-recommends
	purge             bool     // apt: remove with --purge
	autoremove        bool     // apt: also remove what nothing needs any more
	enableRepos       []string // yum, dnf: --enablerepo
	disableRepos      []string // yum, dnf: --disablerepo
	noGPGCheck        bool     // yum, dnf: --nogpgcheck
	allowDowngrade    bool     // apt: --allow-downgrades
	allowUnauth       bool     // apt: --allow-unauthenticated
	force             bool     // apt: --force-yes (and the two above)
	defaultRelease    string   // apt: -t RELEASE, and the candidate of state latest
}

// packageWant is what a package task wants: its arguments with the state
// aliases resolved, and every name.
type packageWant struct {
	Package
	names []string // as given (logical names), split at commas
}

// want defaults and checks the arguments, reporting every problem.
func (m *Package) want() (packageWant, error) {
	var p problems
	w := packageWant{Package: *m}
	w.extra.allowDowngrade = w.extra.allowDowngrade || m.AllowDowngrade
	w.extra.noGPGCheck = w.extra.noGPGCheck || m.DisableGPGCheck
	w.extra.disableRepos = append(slices.Clone(w.extra.disableRepos), splitCommas(m.DisableRepo)...)
	w.extra.enableRepos = append(slices.Clone(w.extra.enableRepos), splitCommas(m.EnableRepo)...)
	for _, word := range splitCommas(slices.Concat(m.Name, m.Pkg)) {
		if !pkgNameRE.MatchString(word) {
			p.add("invalid package name %q", word)
		}
		w.names = append(w.names, word)
	}
	switch m.State {
	case "", "installed":
		w.State = "present"
	case "removed":
		w.State = "absent"
	case "present", "absent", "latest":
	default:
		p.add("state %q: want present, absent or latest", m.State)
	}
	if len(w.names) == 0 && !m.UpdateCache && !m.extra.autoremove {
		p.add("name is required (or update_cache alone)")
	}
	if m.CacheValidTime < 0 {
		p.add("cache_valid_time must not be negative")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Package) Validate() error { _, err := m.want(); return err }

// Apply converges the packages: the facts (when not gathered), one query,
// then at most one command.
func (m *Package) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	f, mgr, err := packageManager(ctx, h, env)
	if err != nil {
		return Result{}, err
	}
	if len(m.managers) > 0 && !slices.Contains(m.managers, mgr) {
		return Result{}, fmt.Errorf("the host's package manager is %s, not %s", mgr, strings.Join(m.managers, " or "))
	}
	if mgr == "apt" && (len(m.DisableRepo) > 0 || len(m.EnableRepo) > 0 || m.DisableGPGCheck) {
		return Result{}, fmt.Errorf("package: disablerepo, enablerepo and disable_gpg_check are options of yum and dnf; the host's package manager is apt")
	}
	var names []string
	for _, n := range w.names {
		names = append(names, PackageName(n, f)...)
	}
	res := Result{Data: map[string]any{"packages": names, "pkg_mgr": mgr}}
	in, err := inspect(ctx, h, "packages "+strings.Join(names, ", "), w.queryCmd(mgr, names))
	if err != nil {
		return res, err
	}
	plan := w.plan(in, names)
	switch {
	case !plan.todo() && !plan.refresh:
		return res, nil
	case env.Check:
		res.Changed, res.Msg = plan.todo(), "would "+plan.msg(false)
		if !plan.todo() {
			res.Msg = "would update the package cache"
		}
		return res, nil
	}
	if plan.refresh {
		res.Data["cache_updated"] = true
	}
	out, err := runPkg(ctx, h, mgr, strings.Join(plan.steps(mgr), " && "))
	if err != nil {
		return res, fmt.Errorf("apply package: %w", err)
	}
	res = applied(res, mgr, out)
	res.Data["stdout_lines"] = outLines(trimNL(out.Stdout))
	if !res.Failed && plan.todo() && pkgChanged(mgr, out.Stdout) {
		res.Changed, res.Msg = true, plan.msg(true)
	}
	return res, nil
}

// packageManager returns the host's facts and its package manager: apt,
// dnf or yum.
func packageManager(ctx context.Context, h host.Executor, env *Env) (map[string]any, string, error) {
	f, err := hostFacts(ctx, h, env)
	if err != nil {
		return nil, "", err
	}
	mgr := factStr(f["pkg_mgr"])
	if !slices.Contains([]string{"apt", "dnf", "yum"}, mgr) {
		return nil, "", fmt.Errorf("package: unsupported package manager %q (want apt, dnf or yum)", mgr)
	}
	return f, mgr, nil
}

// queryCmd prints pkg:NAME=installed|absent per name, new:NAME=1 for
// upgradable names (state latest) and cache_age=SECONDS (apt with
// cache_valid_time).
func (w packageWant) queryCmd(mgr string, names []string) string {
	list := quoteWords(names)
	var b strings.Builder
	if mgr == "apt" && w.UpdateCache && w.CacheValidTime > 0 {
		b.WriteString(`echo "cache_age=$(( $(date +%s) - $(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0) ))"` + "\n")
	}
	if mgr == "apt" && w.extra.autoremove {
		b.WriteString(`echo "autoremove=$(LC_ALL=C apt-get -s autoremove 2>/dev/null | grep -c '^Remv ')"` + "\n")
	}
	if len(names) == 0 {
		return b.String() + "true\n"
	}
	if mgr == "apt" {
		fmt.Fprintf(&b, "for p in %s; do case \"$(dpkg-query -W -f '${Status}\\n' \"$p\" 2>/dev/null)\" in *' ok installed'*) echo \"pkg:$p=installed\";; *) echo \"pkg:$p=absent\";; esac; done\n", list)
		if w.State == "latest" {
			fmt.Fprintf(&b, "LC_ALL=C apt-cache%s policy %s 2>/dev/null | awk '/^[^ ].*:$/ {n=$1; sub(/:$/, \"\", n)} /^  Installed:/ {i=$2} /^  Candidate:/ {if ($2 != i && $2 != \"(none)\") print \"new:\" n \"=1\"}'\n", w.extra.defaultReleaseOpt(), list)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "for p in %s; do if rpm -q --quiet \"$p\"; then echo \"pkg:$p=installed\"; else echo \"pkg:$p=absent\"; fi; done\n", list)
	if w.State == "latest" {
		fmt.Fprintf(&b, "for p in %s; do if %s -q%s check-update \"$p\" >/dev/null 2>&1; then :; elif [ $? -eq 100 ]; then echo \"new:$p=1\"; fi; done\n", list, mgr, w.extra.repoOpts())
	}
	return b.String()
}

// packagePlan is what a package task does: the names to install, upgrade
// and remove, and whether the package lists are refreshed first.
type packagePlan struct {
	install, upgrade, remove []string
	autoremove               int // packages apt-get autoremove removes
	refresh                  bool
	extra                    pkgExtra
}

func (p packagePlan) todo() bool {
	return len(p.install)+len(p.upgrade)+len(p.remove)+p.autoremove > 0
}

// plan compares the query's answers for names with what w wants.
func (w packageWant) plan(in inspection, names []string) packagePlan {
	p := packagePlan{extra: w.extra}
	for _, n := range names {
		installed := in.kv["pkg:"+n] == "installed"
		switch {
		case w.State == "absent" && installed:
			p.remove = append(p.remove, n)
		case w.State != "absent" && !installed:
			p.install = append(p.install, n)
		case w.State == "latest" && in.kv["new:"+n] == "1":
			p.upgrade = append(p.upgrade, n)
		}
	}
	if w.extra.autoremove {
		p.autoremove, _ = strconv.Atoi(in.kv["autoremove"])
	}
	p.refresh = w.UpdateCache
	if age, err := strconv.Atoi(in.kv["cache_age"]); err == nil && w.CacheValidTime > 0 && age >= 0 && age < w.CacheValidTime {
		p.refresh = false
	}
	return p
}

// steps returns the commands of the plan.
func (p packagePlan) steps(mgr string) []string {
	var steps []string
	if p.refresh {
		steps = append(steps, map[string]string{"apt": aptEnv + "apt-get update -q", "dnf": "dnf makecache -q", "yum": "yum makecache -q"}[mgr])
	}
	return append(steps, pkgActions(mgr, p)...)
}

// msg says what is (done: was) to be done: "install a, b; remove c".
func (p packagePlan) msg(done bool) string {
	var parts []string
	for _, a := range []struct {
		verb  string
		names []string
	}{{"install", p.install}, {"upgrade", p.upgrade}, {"remove", p.remove}} {
		if len(a.names) > 0 {
			verb := a.verb
			if done {
				verb = strings.TrimSuffix(verb, "e") + "ed"
			}
			parts = append(parts, verb+" "+strings.Join(a.names, ", "))
		}
	}
	if p.autoremove > 0 {
		parts = append(parts, fmt.Sprintf("autoremove%s %d packages", map[bool]string{true: "d"}[done], p.autoremove))
	}
	return strings.Join(parts, "; ")
}

// pkgActions returns the commands that install, upgrade and remove.
func pkgActions(mgr string, p packagePlan) []string {
	var steps []string
	if mgr == "apt" {
		install := aptEnv + "apt-get install " + aptOpts + p.extra.aptInstallOpts()
		remove := aptEnv + "apt-get remove " + aptOpts
		if p.extra.force {
			remove += " --force-yes"
		}
		if p.extra.purge {
			remove += " --purge"
		}
		if all := slices.Concat(p.install, p.upgrade); len(all) > 0 {
			steps = append(steps, install+" "+quoteWords(all))
		}
		if len(p.remove) > 0 {
			steps = append(steps, remove+" "+quoteWords(p.remove))
		}
		if p.autoremove > 0 || p.extra.autoremove && len(p.remove) > 0 {
			steps = append(steps, strings.Replace(remove, " remove ", " autoremove ", 1))
		}
		return steps
	}
	repos := p.extra.repoOpts()
	for _, a := range []struct {
		verb  string
		names []string
	}{{"install", p.install}, {"upgrade", p.upgrade}, {"remove", p.remove}} {
		if len(a.names) > 0 {
			steps = append(steps, mgr+" "+a.verb+" -y"+repos+" "+quoteWords(a.names))
		}
	}
	return steps
}

// aptInstallOpts are the options of apt-get install beyond aptOpts.
func (e pkgExtra) aptInstallOpts() string {
	var b strings.Builder
	if r := e.installRecommends; r != nil {
		b.WriteString(map[bool]string{true: " --install-recommends", false: " --no-install-recommends"}[*r])
	}
	if e.force {
		b.WriteString(" --force-yes")
	}
	if e.allowUnauth || e.force {
		b.WriteString(" --allow-unauthenticated")
	}
	if e.allowDowngrade || e.force {
		b.WriteString(" --allow-downgrades")
	}
	return b.String() + e.defaultReleaseOpt()
}

// defaultReleaseOpt is apt's -t RELEASE, or "".
func (e pkgExtra) defaultReleaseOpt() string {
	if e.defaultRelease == "" {
		return ""
	}
	return " -t " + host.Quote(e.defaultRelease)
}

// repoOpts are the --enablerepo, --disablerepo and --nogpgcheck options
// of yum and dnf.
func (e pkgExtra) repoOpts() string {
	var b strings.Builder
	if e.noGPGCheck {
		b.WriteString(" --nogpgcheck")
	}
	for _, r := range e.disableRepos {
		b.WriteString(" --disablerepo=" + host.Quote(r))
	}
	for _, r := range e.enableRepos {
		b.WriteString(" --enablerepo=" + host.Quote(r))
	}
	return b.String()
}

// runPkg runs cmd, waiting while apt's lock is held by someone else.
func runPkg(ctx context.Context, h host.Executor, mgr, cmd string) (host.Result, error) {
	for try := 1; ; try++ {
		out, err := h.Run(ctx, cmd, host.RunOpts{})
		if err != nil || out.ExitCode == 0 || mgr != "apt" || !aptLocked(out) || try >= aptLockTries {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(aptLockWait):
		}
	}
}

func aptLocked(out host.Result) bool {
	for _, m := range aptLockMsgs {
		if strings.Contains(out.Stderr, m) || strings.Contains(out.Stdout, m) {
			return true
		}
	}
	return false
}

// pkgChanged reads the package manager's output for "nothing was done".
func pkgChanged(mgr, out string) bool {
	if mgr == "apt" {
		ms := aptSummary.FindAllStringSubmatch(out, -1)
		if len(ms) == 0 {
			return true
		}
		for _, m := range ms {
			if m[1] != "0" || m[2] != "0" || m[3] != "0" {
				return true
			}
		}
		return false
	}
	return !strings.Contains(out, "Nothing to do")
}
