package module

import (
	"context"
	"fmt"
	"regexp"
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
// trip; when nothing is to do that is all it costs.
//
// update_cache refreshes the package lists first (apt: only when they are
// older than cache_valid_time seconds, when that is given; dnf/yum ignore
// cache_valid_time, their metadata expiry rules); a refresh alone does not
// count as a change. apt runs non-interactively and keeps changed
// configuration files; a held dpkg lock is waited for (up to two minutes).
type Package struct {
	Name           StrList `yaml:"name"`
	Pkg            StrList `yaml:"pkg"` // alias of name
	State          string  `yaml:"state"`
	UpdateCache    bool    `yaml:"update_cache"`
	CacheValidTime int     `yaml:"cache_valid_time"`

	names []string
}

// Validate splits the names, maps state aliases and checks the names.
func (p *Package) Validate() error {
	var errs []string
	for _, n := range append(append([]string{}, p.Name...), p.Pkg...) {
		for _, w := range strings.Split(n, ",") {
			if w = strings.TrimSpace(w); w == "" {
				continue
			}
			if !pkgNameRE.MatchString(w) {
				errs = append(errs, fmt.Sprintf("invalid package name %q", w))
			}
			p.names = append(p.names, w)
		}
	}
	switch p.State {
	case "", "installed":
		p.State = "present"
	case "removed":
		p.State = "absent"
	case "present", "absent", "latest":
	default:
		errs = append(errs, fmt.Sprintf("state %q: want present, absent or latest", p.State))
	}
	if len(p.names) == 0 && !p.UpdateCache {
		errs = append(errs, "name is required (or update_cache alone)")
	}
	if p.CacheValidTime < 0 {
		errs = append(errs, "cache_valid_time must not be negative")
	}
	return joinErrs("package", errs)
}

// Apply converges the packages.
func (p *Package) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	f, err := hostFacts(ctx, h, env)
	if err != nil {
		return Result{}, err
	}
	mgr := factStr(f["pkg_mgr"])
	if !oneOf(mgr, "apt", "dnf", "yum") {
		return Result{}, fmt.Errorf("package: unsupported package manager %q (want apt, dnf or yum)", mgr)
	}
	var names []string
	for _, n := range p.names {
		names = append(names, PackageName(n, f)...)
	}
	res := Result{Data: map[string]any{"packages": names, "pkg_mgr": mgr}}
	out, err := h.Run(ctx, p.queryCmd(mgr, names), host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("package: querying %s: %w", strings.Join(names, ", "), err)
	}
	kv, _, _ := parseKV(out.Stdout, "")
	var install, upgrade, remove []string
	for _, n := range names {
		installed := kv["pkg:"+n] == "installed"
		switch {
		case p.State == "absent" && installed:
			remove = append(remove, n)
		case p.State != "absent" && !installed:
			install = append(install, n)
		case p.State == "latest" && kv["new:"+n] == "1":
			upgrade = append(upgrade, n)
		}
	}
	refresh := p.UpdateCache
	if age, err := strconv.Atoi(kv["cache_age"]); err == nil && p.CacheValidTime > 0 && age >= 0 && age < p.CacheValidTime {
		refresh = false
	}
	todo := len(install)+len(upgrade)+len(remove) > 0
	if !todo && !refresh {
		return res, nil
	}
	if env.Check {
		res.Changed = todo
		res.Msg = "would " + pkgMsg(false, install, upgrade, remove)
		if !todo {
			res.Msg = "would update the package cache"
		}
		return res, nil
	}
	var steps []string
	if refresh {
		steps = append(steps, map[string]string{"apt": aptEnv + "apt-get update -q", "dnf": "dnf makecache -q", "yum": "yum makecache -q"}[mgr])
		res.Data["cache_updated"] = true
	}
	steps = append(steps, pkgActions(mgr, install, upgrade, remove)...)
	act, err := runPkg(ctx, h, mgr, strings.Join(steps, " && "))
	if err != nil {
		return res, fmt.Errorf("package: %w", err)
	}
	stdout, stderr := trimNL(act.Stdout), trimNL(act.Stderr)
	res.Data["rc"], res.Data["stdout"], res.Data["stderr"] = act.ExitCode, stdout, stderr
	res.Data["stdout_lines"] = outLines(stdout)
	if act.ExitCode != 0 {
		detail := strings.TrimSpace(stderr)
		if detail == "" {
			detail = lastLines(stdout, 5)
		}
		return failRes(res, "%s failed (exit %d): %s", mgr, act.ExitCode, detail), nil
	}
	res.Changed = todo && pkgChanged(mgr, act.Stdout)
	if res.Changed {
		res.Msg = pkgMsg(true, install, upgrade, remove)
	}
	return res, nil
}

// queryCmd prints pkg:NAME=installed|absent per name, new:NAME=1 for
// upgradable names (state latest) and cache_age=SECONDS (apt with
// cache_valid_time).
func (p *Package) queryCmd(mgr string, names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = host.Quote(n)
	}
	list := strings.Join(quoted, " ")
	var b strings.Builder
	if mgr == "apt" && p.UpdateCache && p.CacheValidTime > 0 {
		b.WriteString(`echo "cache_age=$(( $(date +%s) - $(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0) ))"` + "\n")
	}
	if len(names) == 0 {
		return b.String() + "true\n"
	}
	if mgr == "apt" {
		fmt.Fprintf(&b, "for p in %s; do case \"$(dpkg-query -W -f '${Status}\\n' \"$p\" 2>/dev/null)\" in *' ok installed'*) echo \"pkg:$p=installed\";; *) echo \"pkg:$p=absent\";; esac; done\n", list)
		if p.State == "latest" {
			fmt.Fprintf(&b, "LC_ALL=C apt-cache policy %s 2>/dev/null | awk '/^[^ ].*:$/ {n=$1; sub(/:$/, \"\", n)} /^  Installed:/ {i=$2} /^  Candidate:/ {if ($2 != i && $2 != \"(none)\") print \"new:\" n \"=1\"}'\n", list)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "for p in %s; do if rpm -q --quiet \"$p\"; then echo \"pkg:$p=installed\"; else echo \"pkg:$p=absent\"; fi; done\n", list)
	if p.State == "latest" {
		fmt.Fprintf(&b, "for p in %s; do if %s -q check-update \"$p\" >/dev/null 2>&1; then :; elif [ $? -eq 100 ]; then echo \"new:$p=1\"; fi; done\n", list, mgr)
	}
	return b.String()
}

// pkgActions returns the commands that install, upgrade and remove.
func pkgActions(mgr string, install, upgrade, remove []string) []string {
	words := func(ns []string) string {
		q := make([]string, len(ns))
		for i, n := range ns {
			q[i] = host.Quote(n)
		}
		return strings.Join(q, " ")
	}
	var steps []string
	if mgr == "apt" {
		if all := append(append([]string{}, install...), upgrade...); len(all) > 0 {
			steps = append(steps, aptEnv+"apt-get install "+aptOpts+" "+words(all))
		}
		if len(remove) > 0 {
			steps = append(steps, aptEnv+"apt-get remove "+aptOpts+" "+words(remove))
		}
		return steps
	}
	if len(install) > 0 {
		steps = append(steps, mgr+" install -y "+words(install))
	}
	if len(upgrade) > 0 {
		steps = append(steps, mgr+" upgrade -y "+words(upgrade))
	}
	if len(remove) > 0 {
		steps = append(steps, mgr+" remove -y "+words(remove))
	}
	return steps
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

// pkgMsg says what is (done: was) to be done: "install a, b; remove c".
func pkgMsg(done bool, install, upgrade, remove []string) string {
	var parts []string
	for _, p := range []struct {
		verb  string
		names []string
	}{{"install", install}, {"upgrade", upgrade}, {"remove", remove}} {
		if len(p.names) > 0 {
			verb := p.verb
			if done {
				verb = strings.TrimSuffix(verb, "e") + "ed"
			}
			parts = append(parts, verb+" "+strings.Join(p.names, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
