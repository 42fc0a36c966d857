package runner

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/playbook"
)

// ansibleVersion is the Ansible whose language lvslab speaks, as
// ansible_version gives it; its string names lvslab.
var ansibleVersion = map[string]any{"full": "2.14.0", "major": 2, "minor": 14, "revision": 0}

// newOmit returns a placeholder like Ansible's omit: a module argument
// whose value renders to it is left out.
func newOmit() string {
	b := make([]byte, 64)
	_, _ = rand.Read(b)
	sum := sha1.Sum(b)
	return "__omit_place_holder__" + hex.EncodeToString(sum[:])
}

// runMagic returns the magic variables that are the same for every host
// of the run: the command line's (ansible_check_mode, ansible_diff_mode,
// ansible_forks, ansible_run_tags, ansible_skip_tags, ansible_limit),
// ansible_version and omit.
func (r *Runner) runMagic() map[string]any {
	v := make(map[string]any, len(ansibleVersion)+1)
	for k, x := range ansibleVersion {
		v[k] = x
	}
	v["string"] = "lvslab"
	if r.opts.Version != "" {
		v["string"] = "lvslab " + r.opts.Version
	}
	tags := strs(r.opts.Tags)
	if len(tags) == 0 {
		tags = []any{"all"}
	}
	m := map[string]any{
		"ansible_check_mode": r.opts.Check,
		"ansible_diff_mode":  r.opts.Diff,
		"ansible_forks":      r.opts.Forks,
		"ansible_run_tags":   tags,
		"ansible_skip_tags":  strs(r.opts.SkipTags),
		"ansible_version":    v,
		"omit":               r.omit,
	}
	if r.opts.Limit != "" {
		m["ansible_limit"] = r.opts.Limit
	}
	return m
}

func strs(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// hostMagic returns the magic variables of one host that hold in every
// play, as Ansible 2.14 defines them: inventory_hostname,
// inventory_hostname_short (an IP address whole), group_names (sorted, the
// host's groups and their ancestors but all: ungrouped for a host of no
// other group), inventory_file and inventory_dir (absolute). inv is the
// host's inventory variables, with groups.
func hostMagic(name string, inv map[string]any) map[string]any {
	short := name
	if _, err := netip.ParseAddr(name); err != nil {
		short, _, _ = strings.Cut(name, ".")
	}
	m := map[string]any{"inventory_hostname": name, "inventory_hostname_short": short}
	if groups, ok := inv["groups"].(map[string]any); ok {
		var names []string
		for g, hosts := range groups {
			list, _ := hosts.([]any)
			if g != "all" && containsHost(list, name) {
				names = append(names, g)
			}
		}
		sort.Strings(names)
		m["group_names"] = strs(names)
	}
	for _, k := range []string{"inventory_file", "inventory_dir"} {
		if p, ok := inv[k].(string); ok && p != "" {
			if abs, err := filepath.Abs(p); err == nil {
				m[k] = abs
			}
		}
	}
	return m
}

func containsHost(list []any, name string) bool {
	for _, h := range list {
		if h == name {
			return true
		}
	}
	return false
}

// playMagic returns the magic variables of a play: playbook_dir,
// ansible_play_name, ansible_play_hosts_all (the play's hosts, --limit
// applied), ansible_play_hosts and ansible_play_batch (those not failed nor
// unreachable) and play_hosts (the batch's older name).
func (r *Runner) playMagic(play *playbook.Play) map[string]any {
	all := r.playHosts(play)
	live := r.liveOf(all)
	name := play.Name
	if name == "" {
		name = play.Hosts
	}
	dir, err := filepath.Abs(play.Dir)
	if err != nil {
		dir = play.Dir
	}
	return map[string]any{
		"playbook_dir":           dir,
		"ansible_play_name":      name,
		"ansible_play_hosts_all": strs(all),
		"ansible_play_hosts":     strs(live),
		"ansible_play_batch":     strs(r.inBatch(live)), // serial.go
		"play_hosts":             strs(r.inBatch(live)),
	}
}

// playHosts returns the play's hosts, --limit applied, resolved once per
// play.
func (r *Runner) playHosts(play *playbook.Play) []string {
	r.mu.Lock()
	names, ok := r.playNames[play]
	r.mu.Unlock()
	if ok {
		return names
	}
	names, _ = r.targets(play.Hosts) // an error is the play's to report
	r.mu.Lock()
	r.playNames[play] = names
	r.mu.Unlock()
	return names
}

// liveOf returns the hosts of names that have neither failed nor been
// unreachable so far.
func (r *Runner) liveOf(names []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(names))
	for _, n := range names {
		if hs, ok := r.hosts[n]; !ok || hs.active() {
			out = append(out, n)
		}
	}
	return out
}

// refreshPlayHosts updates ansible_play_hosts, ansible_play_batch and
// play_hosts of the play's live hosts when a host has failed since they
// were set: Ansible's lists leave out the hosts that failed.
func (r *Runner) refreshPlayHosts(play *playbook.Play, hosts []*hostState) {
	live := strs(r.liveOf(r.playHosts(play)))
	for _, hs := range activeOf(hosts) {
		hs.mu.Lock()
		if cur, _ := hs.magic["ansible_play_hosts"].([]any); len(cur) != len(live) {
			for _, k := range []string{"ansible_play_hosts", "ansible_play_batch", "play_hosts"} {
				hs.magic[k], hs.playVars[k] = live, live
			}
			if r.batch != nil { // serial.go
				b := strs(r.inBatch(r.liveOf(r.playHosts(play))))
				hs.magic["ansible_play_batch"], hs.playVars["ansible_play_batch"] = b, b
				hs.magic["play_hosts"], hs.playVars["play_hosts"] = b, b
			}
		}
		hs.mu.Unlock()
	}
}

// dropOmitted returns n without the mapping entries whose value is the
// scalar omit, at any depth of mappings and of mappings in sequences, as
// Ansible's remove_omit does with a task's arguments. n is not changed.
func dropOmitted(n *yaml.Node, omit string) *yaml.Node {
	if n == nil || (n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode) {
		return n
	}
	c := *n
	c.Content = make([]*yaml.Node, 0, len(n.Content))
	for i := 0; i < len(n.Content); i++ {
		if n.Kind == yaml.MappingNode && i+1 < len(n.Content) {
			k, v := n.Content[i], n.Content[i+1]
			i++
			if v.Kind == yaml.ScalarNode && v.Value == omit {
				continue
			}
			c.Content = append(c.Content, k, dropOmitted(v, omit))
			continue
		}
		item := n.Content[i]
		if item.Kind == yaml.MappingNode {
			item = dropOmitted(item, omit)
		}
		c.Content = append(c.Content, item)
	}
	return &c
}
