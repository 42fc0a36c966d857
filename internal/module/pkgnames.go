package module

import (
	"context"
	"fmt"
	"strings"

	"lvslab/internal/facts"
	"lvslab/internal/host"
)

// Logical package and service names the playbooks use, per OS family. A
// name that is not here is used as it is.
var (
	debianPackages = map[string][]string{
		"nginx":     {"nginx"},
		"php-fpm":   {"php{V}-fpm"},
		"php-mysql": {"php-mysql"},
		"mariadb":   {"mariadb-server"},
		"ipvsadm":   {"ipvsadm"},
		"iptables":  {"iptables"},
	}
	redhatPackages = map[string][]string{
		"nginx":     {"nginx"},
		"php-fpm":   {"php-fpm"},
		"php-mysql": {"php-mysqlnd"},
		"mariadb":   {"mariadb-server"},
		"ipvsadm":   {"ipvsadm"},
		"iptables":  {"iptables"},
	}
	debianServices = map[string]string{"php-fpm": "php{V}-fpm", "mariadb": "mariadb"}
	redhatServices = map[string]string{"php-fpm": "php-fpm", "mariadb": "mariadb"}

	// phpVersions is the distribution's PHP version, by distribution and
	// major version (Debian) or version (Ubuntu).
	phpVersions = map[string]string{
		"Debian 10": "7.3", "Debian 11": "7.4", "Debian 12": "8.2", "Debian 13": "8.4",
		"Ubuntu 20.04": "7.4", "Ubuntu 22.04": "8.1", "Ubuntu 24.04": "8.3",
	}
)

// PackageName returns the packages that provide a logical name (nginx,
// php-fpm, php-mysql, mariadb, ipvsadm, iptables) on the host the facts
// describe; other names are returned as they are. On Debian and Ubuntu the
// php packages carry the release's PHP version (Debian 12: php8.2-fpm); the
// version comes from the fact php_version when set, else from the
// distribution's version; when it is unknown the unversioned name is used.
func PackageName(logical string, facts map[string]any) []string {
	table := redhatPackages
	if factStr(facts["os_family"]) == "Debian" {
		table = debianPackages
	}
	names, ok := table[logical]
	if !ok {
		return []string{logical}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = withPHP(n, facts)
	}
	return out
}

// ServiceName returns the service unit for a logical name on the host the
// facts describe (php-fpm on Debian 12: php8.2-fpm); other names are returned
// as they are.
func ServiceName(logical string, facts map[string]any) string {
	table := redhatServices
	if factStr(facts["os_family"]) == "Debian" {
		table = debianServices
	}
	if n, ok := table[logical]; ok {
		return withPHP(n, facts)
	}
	return logical
}

func withPHP(name string, facts map[string]any) string {
	if !strings.Contains(name, "{V}") {
		return name
	}
	if v := phpVersion(facts); v != "" {
		return strings.ReplaceAll(name, "{V}", v)
	}
	return strings.ReplaceAll(name, "{V}", "")
}

// phpVersion is the distribution's PHP version, "" when unknown.
func phpVersion(facts map[string]any) string {
	if v := factStr(facts["php_version"]); v != "" {
		return v
	}
	dist := factStr(facts["distribution"])
	if v, ok := phpVersions[dist+" "+factStr(facts["distribution_major_version"])]; ok {
		return v
	}
	return phpVersions[dist+" "+factStr(facts["distribution_version"])]
}

func factStr(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// hostFactsScript prints the few facts package and service need when facts were
// not gathered; its output is in the facts package's format.
const hostFactsScript = `. /etc/os-release 2>/dev/null
echo "id=$ID"; echo "id_like=$ID_LIKE"; echo "version_id=$VERSION_ID"; echo "name=$NAME"
for m in apt-get dnf yum; do if command -v $m >/dev/null 2>&1; then echo "pkg=$m"; break; fi; done
if [ -d /run/systemd/system ]; then echo svc=systemd; else echo svc=sysvinit; fi
`

// hostFacts returns env.Facts when it has os_family, pkg_mgr and
// service_mgr, else probes the host for them (one round trip) and returns a
// copy of env.Facts with them filled in.
func hostFacts(ctx context.Context, h host.Executor, env *Env) (map[string]any, error) {
	if factStr(env.Facts["os_family"]) != "" && factStr(env.Facts["pkg_mgr"]) != "" && factStr(env.Facts["service_mgr"]) != "" {
		return env.Facts, nil
	}
	out, err := h.Run(ctx, hostFactsScript, host.RunOpts{})
	if err != nil {
		return nil, fmt.Errorf("detecting the package and service manager: %w", err)
	}
	probed := facts.Parse(out.Stdout)
	merged := make(map[string]any, len(env.Facts)+8)
	for _, k := range []string{"os_family", "distribution", "distribution_version", "distribution_major_version", "pkg_mgr", "service_mgr"} {
		merged[k] = probed[k]
	}
	for k, v := range env.Facts {
		if factStr(v) != "" {
			merged[k] = v
		}
	}
	return merged, nil
}
