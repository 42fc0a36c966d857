package module

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"lvslab/internal/facts"
	"lvslab/internal/host"
)

// What the modules need to know of a host's operating system comes from
// the gathered facts; when facts were not gathered, a module asks the host
// itself, in its inspect command where it can (familyProbe), else with
// hostFacts.

// familyProbe prints Debian or RedHat from the release files, for an
// inspect command on a host whose facts were not gathered.
const familyProbe = "if [ -f /etc/debian_version ]; then echo Debian; elif [ -f /etc/redhat-release ]; then echo RedHat; else echo unknown; fi"

// osFamily returns the host's os_family: the fact when gathered, else
// what familyProbe printed, else Debian.
func osFamily(facts map[string]any, probed string) string {
	if f := factStr(facts["os_family"]); f != "" {
		return f
	}
	if p := strings.TrimSpace(probed); p == "RedHat" {
		return p
	}
	return "Debian"
}

// probeFamilies returns the families whose files an inspect command must
// read: the gathered os_family when it is Debian or RedHat, else both (the
// family probe in the same command then tells which applies).
func probeFamilies(facts map[string]any) []string {
	if f := factStr(facts["os_family"]); slices.Contains([]string{"Debian", "RedHat"}, f) {
		return []string{f}
	}
	return []string{"Debian", "RedHat"}
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
// service_mgr, else probes the host for them (one round trip: their
// commands depend on them, so they cannot be part of the inspect command)
// and returns a copy of env.Facts with them filled in.
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
