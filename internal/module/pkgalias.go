package module

import (
	"context"
	"strings"

	"lvslab/internal/host"
)

// Apt is Ansible's apt module over Package, for hosts whose package
// manager is apt (any other fails the task): name (pkg and package are
// aliases; a string, a comma-separated string or a list), state (present,
// absent, latest; installed and removed as package takes them),
// update_cache, cache_valid_time (set, it refreshes the lists when they are
// older than that many seconds, by the time of
// /var/lib/apt/periodic/update-success-stamp or else /var/lib/apt/lists, as
// Ansible does; set, it implies update_cache unless that is false),
// install_recommends (unset: apt's own setting), purge (with absent: the
// configuration files go too) and autoremove (what nothing needs any more
// is removed as well, in the same round trip; a change only when there is
// some), allow_downgrade (--allow-downgrades), allow_unauthenticated
// (--allow-unauthenticated), force (--force-yes, and both of those, as
// Ansible's), default_release (-t RELEASE on install, and the candidate
// version state latest compares with) and force_apt_get (accepted: lvslab
// always uses apt-get). deb installs .deb files instead of names (see
// aptDebWant). Idempotence and check mode are package's.
type Apt struct {
	Name                 StrList `yaml:"name"`
	Pkg                  StrList `yaml:"pkg"`
	Package              StrList `yaml:"package"`
	State                string  `yaml:"state"`
	UpdateCache          *bool   `yaml:"update_cache"`
	CacheValidTime       int     `yaml:"cache_valid_time"`
	InstallRecommends    *bool   `yaml:"install_recommends"`
	Purge                bool    `yaml:"purge"`
	Autoremove           bool    `yaml:"autoremove"`
	Deb                  string  `yaml:"deb"`
	Force                bool    `yaml:"force"`
	AllowDowngrade       bool    `yaml:"allow_downgrade"`
	AllowDowngrades      bool    `yaml:"allow_downgrades"` // alias of allow_downgrade
	AllowUnauthenticated bool    `yaml:"allow_unauthenticated"`
	DefaultRelease       string  `yaml:"default_release"`
	ForceAptGet          bool    `yaml:"force_apt_get"`
}

// pkg is the package task an apt task is.
func (a *Apt) pkg() *Package {
	update := boolArg(a.UpdateCache, a.CacheValidTime > 0)
	return &Package{
		Name: append(append(append(StrList{}, a.Name...), a.Pkg...), a.Package...), State: a.State,
		UpdateCache: update, CacheValidTime: a.CacheValidTime, managers: []string{"apt"},
		extra: pkgExtra{installRecommends: a.InstallRecommends, purge: a.Purge, autoremove: a.Autoremove,
			allowDowngrade: a.AllowDowngrade || a.AllowDowngrades, allowUnauth: a.AllowUnauthenticated,
			force: a.Force, defaultRelease: a.DefaultRelease},
	}
}

// Validate reports every problem of the arguments.
func (a *Apt) Validate() error {
	if a.Deb != "" {
		_, err := a.debWant()
		return err
	}
	return a.pkg().Validate()
}

// Apply converges the packages as Package does, or the .deb files of deb.
func (a *Apt) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	if a.Deb != "" {
		return a.applyDeb(ctx, h, env)
	}
	return a.pkg().Apply(ctx, h, env)
}

// Yum is Ansible's yum and dnf modules over Package, for hosts whose
// package manager is dnf or yum (either: Ansible's yum runs dnf where
// there is dnf): name (pkg an alias), state, update_cache (dnf/yum
// makecache first), enablerepo and disablerepo (a string, comma-separated,
// or a list: --disablerepo, then --enablerepo, on every command that reads
// the repositories), disable_gpg_check (--nogpgcheck) and allow_downgrade
// (accepted: their install takes a named older version). Idempotence and
// check mode are package's.
type Yum struct {
	Name            StrList `yaml:"name"`
	Pkg             StrList `yaml:"pkg"`
	State           string  `yaml:"state"`
	UpdateCache     bool    `yaml:"update_cache"`
	EnableRepo      StrList `yaml:"enablerepo"`
	DisableRepo     StrList `yaml:"disablerepo"`
	DisableGPGCheck bool    `yaml:"disable_gpg_check"`
	AllowDowngrade  bool    `yaml:"allow_downgrade"`
}

// pkg is the package task a yum or dnf task is.
func (y *Yum) pkg() *Package {
	return &Package{
		Name: y.Name, Pkg: y.Pkg, State: y.State, UpdateCache: y.UpdateCache, managers: []string{"dnf", "yum"},
		extra: pkgExtra{enableRepos: splitCommas(y.EnableRepo), disableRepos: splitCommas(y.DisableRepo),
			noGPGCheck: y.DisableGPGCheck, allowDowngrade: y.AllowDowngrade},
	}
}

// Validate reports every problem of the arguments.
func (y *Yum) Validate() error { return y.pkg().Validate() }

// Apply converges the packages as Package does.
func (y *Yum) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	return y.pkg().Apply(ctx, h, env)
}

// splitCommas returns the words of l, each split at commas.
func splitCommas(l StrList) []string {
	var out []string
	for _, s := range l {
		for _, w := range strings.Split(s, ",") {
			if w = strings.TrimSpace(w); w != "" {
				out = append(out, w)
			}
		}
	}
	return out
}
