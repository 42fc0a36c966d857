package module

import "strings"

// Logical package and service names the playbooks use, per OS family. A
// name that is not here is used as it is.
var (
	debianPackages = map[string][]string{
		"nginx":     {"nginx"},
		"php-fpm":   {"php-fpm"}, // the metapackage, as Ansible's apt installs it: it pulls php{V}-fpm
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
// describe; other names are returned as they are. On Debian and Ubuntu
// php-fpm is the metapackage of that name (it pulls the release's
// php8.2-fpm), so that a role that installs php-fpm with Ansible's apt
// finds it installed; the service carries the version (ServiceName).
func PackageName(logical string, facts map[string]any) []string {
	table := redhatPackages
	if osFamily(facts, "") == "Debian" {
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
	if osFamily(facts, "") == "Debian" {
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
