package module

import (
	"context"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"lvslab/internal/facts"
	"lvslab/internal/host"
)

// Setup is Ansible's setup: it gathers the host's facts (facts.Script, one
// round trip, no Python) and returns them as Ansible does, in ansible_facts
// under their ansible_ names (lvslab's own facts, addresses and ipvs, as
// ansible_addresses and ansible_ipvs), with gather_subset (the list as
// given) and module_setup: true. The runner merges ansible_facts into the
// host's facts (FactsOf).
//
// gather_subset (default all) picks the facts as Ansible 2.14 does: the
// minimal subset (distribution, os_family, platform, pkg_mgr, service_mgr,
// ...) always, unless !min; all, hardware (processor_*, mem*_mb), network
// (interfaces, default_ipv4, all_ipv4_addresses, one entry per interface)
// and any of Ansible's subset names (a fact name such as default_ipv4 picks
// its collector) add; !NAME and !all take away; only exclusions give the
// minimal subset. A name Ansible does not know is an error listing the
// ones it does. filter (shell-style patterns, a string or a list) keeps
// only the facts whose ansible_ name matches one. gather_timeout (seconds)
// bounds the gathering. It is never changed and runs in check mode too.
type Setup struct {
	GatherSubset  StrList `yaml:"gather_subset"`
	Filter        StrList `yaml:"filter"`
	GatherTimeout *int    `yaml:"gather_timeout"`
}

// setupSubsets are Ansible 2.14's gather_subset names, each with the
// collector lvslab's facts of it come from: min, hardware, network, or none
// (a subset lvslab gathers nothing of).
var setupSubsets = map[string]string{
	"all_ipv4_addresses": "network", "all_ipv6_addresses": "network", "apparmor": "min", "architecture": "min",
	"caps": "min", "chroot": "min", "cmdline": "min", "date_time": "min", "default_ipv4": "network",
	"default_ipv6": "network", "devices": "hardware", "distribution": "min", "distribution_major_version": "min",
	"distribution_release": "min", "distribution_version": "min", "dns": "min", "effective_group_ids": "min",
	"effective_user_id": "min", "env": "min", "facter": "", "fibre_channel_wwn": "", "fips": "min",
	"hardware": "hardware", "interfaces": "network", "is_chroot": "min", "iscsi": "", "kernel": "min",
	"kernel_version": "min", "loadavg": "min", "local": "min", "lsb": "min", "machine": "min", "machine_id": "min",
	"mounts": "hardware", "network": "network", "nvme": "", "ohai": "", "os_family": "min", "pkg_mgr": "min",
	"platform": "min", "processor": "hardware", "processor_cores": "hardware", "processor_count": "hardware",
	"python": "min", "python_version": "min", "real_user_id": "min", "selinux": "min", "service_mgr": "min",
	"ssh_host_key_dsa_public": "min", "ssh_host_key_ecdsa_public": "min", "ssh_host_key_ed25519_public": "min",
	"ssh_host_key_rsa_public": "min", "ssh_host_pub_keys": "min", "ssh_pub_keys": "min", "system": "min",
	"system_capabilities": "min", "system_capabilities_enforced": "min", "user": "min", "user_dir": "min",
	"user_gecos": "min", "user_gid": "min", "user_id": "min", "user_shell": "min", "user_uid": "min",
	"virtual": "", "virtualization_role": "", "virtualization_tech_guest": "", "virtualization_tech_host": "",
	"virtualization_type": "",
}

// setupWant is what a setup task gathers: the collectors and the patterns.
type setupWant struct {
	Setup
	collectors map[string]bool // min, hardware, network
	subset     []string
}

// want works the collectors out of gather_subset, reporting every problem.
func (m *Setup) want() (setupWant, error) {
	var p problems
	w := setupWant{Setup: *m, collectors: map[string]bool{}, subset: splitCommas(m.GatherSubset)}
	if len(m.GatherSubset) == 0 {
		w.subset = []string{"all"}
	}
	add, exclude := map[string]bool{}, map[string]bool{}
	noMin := false
	for _, s := range w.subset {
		name, neg := strings.CutPrefix(s, "!")
		c, known := setupSubsets[name]
		switch {
		case name == "all" && neg:
			exclude["hardware"], exclude["network"], exclude[""] = true, true, true
		case name == "all":
			add["hardware"], add["network"], add[""] = true, true, true
		case name == "min" && neg:
			noMin = true
		case name == "min":
		case !known:
			p.add("bad subset %q given to setup; gather_subset options allowed: all, min, %s", name, strings.Join(setupNames(), ", "))
		case neg && c != "min":
			exclude[c] = true
		case !neg:
			add[c] = true
		}
	}
	for c := range add {
		if c != "" && c != "min" && !exclude[c] {
			w.collectors[c] = true
		}
	}
	w.collectors["min"] = !noMin
	if m.GatherTimeout != nil && *m.GatherTimeout < 0 {
		p.add("gather_timeout must not be negative")
	}
	for _, f := range m.Filter {
		if _, err := path.Match(f, ""); err != nil {
			p.add("filter %q is not a shell-style pattern", f)
		}
	}
	return w, p.err()
}

func setupNames() []string { return slices.Sorted(maps.Keys(setupSubsets)) }

// Validate reports every problem of the arguments.
func (m *Setup) Validate() error { _, err := m.want(); return err }

// Apply gathers the facts: one command.
func (m *Setup) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	if w.GatherTimeout != nil && *w.GatherTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*w.GatherTimeout)*time.Second)
		defer cancel()
	}
	f, err := facts.Gather(ctx, h)
	if err != nil {
		return Result{}, err
	}
	return Result{Data: map[string]any{"ansible_facts": w.pick(f)}}, nil
}

// pick returns the facts of f that the subsets and the filter keep, under
// their ansible_ names, with Ansible's gather_subset and module_setup.
func (w setupWant) pick(f map[string]any) map[string]any {
	ifaces := map[string]bool{}
	if names, ok := f["interfaces"].([]any); ok {
		for _, n := range names {
			ifaces[strings.ReplaceAll(factStr(n), "-", "_")] = true
		}
	}
	out := map[string]any{}
	for k, v := range f {
		c := "min"
		switch {
		case strings.HasPrefix(k, "processor_") || k == "memtotal_mb" || k == "memfree_mb":
			c = "hardware"
		case ifaces[k] || slices.Contains([]string{"interfaces", "default_ipv4", "all_ipv4_addresses", "addresses"}, k):
			c = "network"
		}
		if w.collectors[c] && w.keeps("ansible_"+k) {
			out["ansible_"+k] = v
		}
	}
	for k, v := range map[string]any{"gather_subset": slices.Clone(w.subset), "module_setup": true} {
		if w.keeps(k) {
			out[k] = v
		}
	}
	return out
}

// keeps reports whether a fact's name matches the filter (any name, when there is none).
func (w setupWant) keeps(name string) bool {
	if len(w.Filter) == 0 {
		return true
	}
	for _, f := range w.Filter {
		if ok, _ := path.Match(f, name); ok {
			return true
		}
	}
	return false
}

// FactsOf returns the facts a module's result sets on the host, named as
// in env.Facts (without the ansible_ prefix), or nil: Ansible merges the
// ansible_facts that any module returns into the host's facts, and setup
// returns them so.
func FactsOf(r Result) map[string]any {
	af, ok := r.Data["ansible_facts"].(map[string]any)
	if !ok || r.Failed {
		return nil
	}
	out := make(map[string]any, len(af))
	for k, v := range af {
		out[strings.TrimPrefix(k, "ansible_")] = v
	}
	return out
}
