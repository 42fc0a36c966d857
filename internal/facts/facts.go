// Package facts gathers what the playbooks need to know about a host, in one
// command that needs no Python on the host, under the names Ansible's setup
// module gives them.
package facts

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// Script prints one key=value line per fact; it runs with /bin/sh on any
// Debian or RHEL family host and reads what Ansible's setup reads (os-release,
// /proc, /sys, /etc/hosts) with the shell's builtins. It starts one program,
// ip, for routes, addresses and links, told apart by their form (and uname
// before Linux 6.1, which has no kernel.arch): each one costs tens of
// milliseconds on a slow host, such as the lab's emulated director. Its
// output grows with the host's interfaces and addresses only.
const Script = `. /etc/os-release 2>/dev/null
echo "id=$ID"; echo "id_like=$ID_LIKE"; echo "version_id=$VERSION_ID"; echo "name=$NAME"
echo "version=$VERSION"; echo "codename=$VERSION_CODENAME"
{ read -r v </etc/debian_version; } 2>/dev/null && echo "debian_version=$v"
read -r k </proc/sys/kernel/osrelease || k=$(uname -r); echo "kernel=$k"
{ read -r v </proc/sys/kernel/version; } 2>/dev/null || v=$(uname -v); echo "kernel_version=$v"
{ read -r a </proc/sys/kernel/arch; } 2>/dev/null || a=$(uname -m); echo "arch=$a"
read -r n </proc/sys/kernel/hostname || n=$(cat /etc/hostname); echo "hostname=$n"
h=; f=; while read -r i w; do case " $w " in *" $n "*) h=$i; break ;; esac; done </etc/hosts
[ -n "$h" ] && while read -r i w; do [ "$i" = "$h" ] || continue; for x in $w; do case $x in '#'*) break ;; *.*) f=$x; break ;; esac; done; [ -n "$f" ] || f=${w%% *}; break; done </etc/hosts
echo "fqdn=${f:-$n}"
for m in apt-get dnf yum; do if command -v $m >/dev/null 2>&1; then echo "pkg=$m"; break; fi; done
{ read -r s </proc/1/comm; } 2>/dev/null; case $s in init|*sh) s= ;; esac
[ -z "$s" ] && command -v systemctl >/dev/null 2>&1 && { [ -d /run/systemd/system ] || [ -d /dev/.run/systemd ] || [ -d /dev/.systemd ]; } && s=systemd
[ -z "$s" ] && command -v initctl >/dev/null 2>&1 && [ -d /etc/init ] && s=upstart
[ -z "$s" ] && [ -e /sbin/openrc ] && s=openrc
[ -z "$s" ] && [ -d /etc/init.d ] && s=sysvinit
echo "svc=${s:-service}"
if [ -e /proc/net/ip_vs ] || [ -d /lib/modules/$k/kernel/net/netfilter/ipvs ] || grep -qs '^CONFIG_IP_VS=' /boot/config-$k; then echo ipvs=true; else echo ipvs=false; fi
c=0; s=0; ids=; cores=; sib=
while IFS=: read -r x v; do case $x in
processor*) c=$((c+1)) ;;
'physical id'*) case "$ids " in *" $v "*) ;; *) ids="$ids $v"; s=$((s+1)) ;; esac ;;
'cpu cores'*) cores=${cores:-$v} ;;
siblings*) sib=${sib:-$v} ;;
esac; done </proc/cpuinfo
echo "cpu=$c $s ${cores:-0} ${sib:-0}"
while read -r x v u; do case $x in MemTotal:) t=$v ;; MemFree:) echo "mem=$t $v"; break ;; esac; done </proc/meminfo
for d in /sys/class/net/*/bridge /sys/class/net/*/bonding /sys/class/net/*/brif/*; do [ -e "$d" ] || [ -L "$d" ] && echo "sys=$d"; done
printf '%s\n' 'route get 8.8.8.8' 'addr show' 'link show' | ip -o -4 -force -batch - 2>/dev/null | {
  r=; while IFS= read -r l; do
    case $l in
    8.8.8.8' '*) [ -z "$r" ] && r=1 && echo "route=$l" ;;
    *': <'*) echo "link=$l" ;;
    *' inet '*) echo "addr=$l" ;;
    esac
  done
}
` + virtualScript // virtual.go

// Own are the facts of lvslab's own, not Ansible's: addresses (every
// interface's IPv4 addresses in CIDR form) and ipvs (whether the kernel has
// IPVS). They are in the map Parse returns, but get no ansible_ variable.
var Own = []string{"addresses", "ipvs"}

// Gather runs Script on h and returns the facts.
func Gather(ctx context.Context, h host.Executor) (map[string]any, error) {
	res, err := h.Run(ctx, Script, host.RunOpts{})
	if err != nil {
		return nil, fmt.Errorf("gathering facts: %w", err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("gathering facts: exit %d: %s", res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	return Parse(res.Stdout), nil
}

// Parse turns Script's output into facts, named and shaped as in Ansible's
// ansible_facts (the names without their ansible_ prefix), plus Own.
func Parse(out string) map[string]any {
	kv := map[string]string{}
	lists := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch k {
		case "addr", "link", "sys":
			lists[k] = append(lists[k], v)
		default:
			kv[k] = v
		}
	}
	f := map[string]any{
		"os_family":    family(kv["id"], kv["id_like"]),
		"system":       "Linux",
		"kernel":       kv["kernel"],
		"architecture": kv["arch"],
		"machine":      kv["arch"],
		"nodename":     kv["hostname"],
		"pkg_mgr":      strings.TrimSuffix(kv["pkg"], "-get"),
		"service_mgr":  kv["svc"],
		"ipvs":         kv["ipvs"] == "true",
	}
	if v, ok := kv["kernel_version"]; ok {
		f["kernel_version"] = v
	}
	for k, v := range distribution(kv) {
		f[k] = v
	}
	short, _, _ := strings.Cut(kv["hostname"], ".")
	f["hostname"] = short
	if fqdn, ok := kv["fqdn"]; ok {
		_, domain, _ := strings.Cut(fqdn, ".")
		f["fqdn"], f["domain"] = fqdn, domain
	}
	if v, ok := kv["cpu"]; ok {
		for k, n := range processors(v) {
			f[k] = n
		}
	}
	if v, ok := kv["mem"]; ok {
		var total, free int
		if _, err := fmt.Sscan(v, &total, &free); err == nil {
			f["memtotal_mb"], f["memfree_mb"] = total/1024, free/1024
		}
	}
	network(f, kv["route"], lists["link"], lists["addr"], lists["sys"])
	virtual(f, kv) // virtual.go
	return f
}

// distribution returns the distribution facts from os-release (and
// /etc/debian_version, where Debian keeps its point release).
func distribution(kv map[string]string) map[string]any {
	version := kv["version_id"]
	if kv["id"] == "debian" && kv["debian_version"] != "" && kv["debian_version"][0] >= '0' && kv["debian_version"][0] <= '9' {
		version = kv["debian_version"]
	}
	major, minor, _ := strings.Cut(version, ".")
	release := kv["codename"]
	if release == "" {
		// VERSION="9.3 (Blue Onyx)", "7 (Core)"
		if _, r, ok := strings.Cut(kv["version"], "("); ok {
			release = strings.TrimSuffix(r, ")")
		}
	}
	d := map[string]any{
		"distribution":               name(kv["id"], kv["name"]),
		"distribution_version":       version,
		"distribution_major_version": major,
		"distribution_release":       release,
	}
	if minor != "" {
		d["distribution_minor_version"] = minor
	}
	return d
}

func name(id, name string) string {
	switch id {
	case "centos":
		return "CentOS"
	case "rhel":
		return "RedHat"
	case "almalinux":
		return "AlmaLinux"
	case "opensuse-leap", "opensuse-tumbleweed":
		return "openSUSE Leap"
	case "":
		return name
	}
	return strings.ToUpper(id[:1]) + id[1:]
}

func family(id, like string) string {
	words := strings.Fields(id + " " + like)
	for _, w := range words {
		switch w {
		case "debian", "ubuntu":
			return "Debian"
		case "rhel", "fedora", "centos", "rocky", "almalinux":
			return "RedHat"
		}
	}
	return id
}

// processors works out the processor facts from Script's cpu line
// (processor entries, distinct physical ids, the first cpu cores and
// siblings of /proc/cpuinfo) as Ansible's setup does on Linux.
func processors(line string) map[string]any {
	var n [4]int
	for i, w := range strings.Fields(line) {
		if i < len(n) {
			n[i], _ = strconv.Atoi(w)
		}
	}
	entries, sockets, cores, siblings := n[0], n[1], n[2], n[3]
	count := sockets
	if count == 0 {
		count = entries
	}
	if cores == 0 {
		cores = 1
	}
	threads := 1 / cores
	if siblings > 0 {
		threads = siblings / cores
	}
	return map[string]any{
		"processor_count":            count,
		"processor_cores":            cores,
		"processor_threads_per_core": threads,
		"processor_vcpus":            threads * count * cores,
		"processor_nproc":            entries,
	}
}

// Vars returns the variables a host's gathered facts give its plays, as
// Ansible injects them: ansible_facts (f itself, {} when f is nil), facts
// (lvslab's older name for the same map) and ansible_NAME for every fact
// NAME but Own. As Ansible's clean_facts, a fact never takes the name of a
// connection variable (an interface called host is no ansible_host).
func Vars(f map[string]any) map[string]any {
	if f == nil {
		f = map[string]any{}
	}
	out := make(map[string]any, len(f)+2)
	for k, v := range f {
		if name := "ansible_" + k; !slices.Contains(Own, k) && !connectionVar(name) {
			out[name] = v
		}
	}
	out["ansible_facts"], out["facts"] = f, f
	return out
}

// connectionVar reports whether name is one of the variables that say how
// to reach a host.
func connectionVar(name string) bool {
	switch name {
	case "ansible_host", "ansible_port", "ansible_user", "ansible_password", "ansible_connection",
		"ansible_private_key_file", "ansible_shell_type", "ansible_shell_executable", "ansible_python_interpreter":
		return true
	}
	return strings.HasPrefix(name, "ansible_ssh_") || strings.HasPrefix(name, "ansible_become")
}
