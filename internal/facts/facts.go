// Package facts gathers what the playbooks need to know about a host, in one
// command.
package facts

import (
	"context"
	"fmt"
	"strings"

	"lvslab/internal/host"
)

// Script prints one key=value line per fact; it runs with /bin/sh on any
// Debian or RHEL family host. It starts one program, ip, for routes,
// addresses and links, told apart by their form (and uname -m before Linux
// 6.1, which has no kernel.arch): each
// one costs tens of milliseconds on a slow host, such as the lab's emulated
// director.
const Script = `. /etc/os-release 2>/dev/null
echo "id=$ID"; echo "id_like=$ID_LIKE"; echo "version_id=$VERSION_ID"; echo "name=$NAME"
read -r k </proc/sys/kernel/osrelease || k=$(uname -r); echo "kernel=$k"
{ read -r a </proc/sys/kernel/arch; } 2>/dev/null || a=$(uname -m); echo "arch=$a"
read -r n </proc/sys/kernel/hostname || n=$(cat /etc/hostname); echo "hostname=$n"
for m in apt-get dnf yum; do if command -v $m >/dev/null 2>&1; then echo "pkg=$m"; break; fi; done
if [ -d /run/systemd/system ]; then echo svc=systemd; else echo svc=sysvinit; fi
if [ -e /proc/net/ip_vs ] || [ -d /lib/modules/$k/kernel/net/netfilter/ipvs ] || grep -qs '^CONFIG_IP_VS=' /boot/config-$k; then echo ipvs=true; else echo ipvs=false; fi
printf '%s\n' 'route show default' 'addr show' 'link show' | ip -o -4 -force -batch - 2>/dev/null | {
  r=; while IFS= read -r l; do
    case $l in
    default*) [ -z "$r" ] && r=1 && echo "route=$l" ;;
    *': <'*) echo "link=$l" ;;
    *' inet '*) echo "addr=$l" ;;
    esac
  done
}
`

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

// Parse turns Script's output into facts.
func Parse(out string) map[string]any {
	kv := map[string]string{}
	var addrs, links []string
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch k {
		case "addr":
			addrs = append(addrs, v)
		case "link":
			links = append(links, v)
		default:
			kv[k] = v
		}
	}
	f := map[string]any{
		"distribution":               distribution(kv["id"], kv["name"]),
		"distribution_version":       kv["version_id"],
		"distribution_major_version": strings.SplitN(kv["version_id"], ".", 2)[0],
		"os_family":                  family(kv["id"], kv["id_like"]),
		"kernel":                     kv["kernel"],
		"architecture":               kv["arch"],
		"hostname":                   kv["hostname"],
		"pkg_mgr":                    strings.TrimSuffix(kv["pkg"], "-get"),
		"service_mgr":                kv["svc"],
		"ipvs":                       kv["ipvs"] == "true",
	}
	f["default_ipv4"], f["addresses"] = network(kv["route"], addrs)
	f["interfaces"] = interfaces(links)
	return f
}

func distribution(id, name string) string {
	switch id {
	case "centos":
		return "CentOS"
	case "rhel":
		return "RedHat"
	case "almalinux":
		return "AlmaLinux"
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

// network reads `ip -o -4 route show default` and `ip -o -4 addr show`.
func network(route string, addrs []string) (map[string]any, map[string]any) {
	def := map[string]any{"address": "", "interface": "", "gateway": ""}
	if f := strings.Fields(route); len(f) > 0 {
		for i := 0; i+1 < len(f); i++ {
			switch f[i] {
			case "via":
				def["gateway"] = f[i+1]
			case "dev":
				def["interface"] = f[i+1]
			}
		}
	}
	byIf := map[string]any{}
	for _, line := range addrs {
		// 2: eth0    inet 192.168.30.107/24 brd ... scope global eth0\       valid_lft ...
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "inet" {
			continue
		}
		dev := strings.TrimSuffix(f[1], ":")
		list, _ := byIf[dev].([]any)
		byIf[dev] = append(list, f[3])
		if dev == def["interface"] && def["address"] == "" {
			def["address"] = strings.SplitN(f[3], "/", 2)[0]
		}
	}
	return def, byIf
}

func interfaces(links []string) []any {
	var out []any
	for _, line := range links {
		// 2: eth0@if5: <BROADCAST,...> ...
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name := strings.TrimSuffix(f[1], ":")
		if at := strings.IndexByte(name, '@'); at > 0 {
			name = name[:at]
		}
		out = append(out, name)
	}
	return out
}
