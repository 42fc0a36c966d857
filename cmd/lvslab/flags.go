package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"lvslab/internal/playbook"
)

// connFlags are the flags of every command that connects to hosts.
func connFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "inventory", Aliases: []string{"i"}, Usage: "inventory `FILE` (Ansible YAML or INI)", Value: defaultInventory()},
		&cli.StringFlag{Name: "limit", Aliases: []string{"l"}, Usage: "further limit hosts to a `PATTERN` (rs01, realservers, 'a:!b', 'rs*')"},
		&cli.IntFlag{Name: "forks", Aliases: []string{"f"}, Usage: "hosts worked on in parallel", Value: 10},
		&cli.StringSliceFlag{Name: "extra-vars", Aliases: []string{"e"}, Usage: "set `k=v` variables, or load them from @file.yml (highest precedence)"},
		&cli.DurationFlag{Name: "timeout", Aliases: []string{"T"}, Usage: "SSH connect and handshake timeout; also the keepalive interval (3 unanswered: unreachable)", Value: 10 * time.Second},
		&cli.StringFlag{Name: "known-hosts", Usage: "known_hosts `FILE` for host key checking", Value: "~/.ssh/known_hosts"},
		&cli.BoolFlag{Name: "session-per-task", Usage: "run every remote command in an SSH session of its own, as Ansible does, instead of in one bash per host (slower; the host then needs no bash)"},
		&cli.StringFlag{Name: "host-key-checking", Usage: "strict (unknown keys fail), accept-new (record unknown keys; changed keys fail) or off", Value: "accept-new"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "more output (-v results, -vv all data, -vvv connections)", Count: new(int)},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "text, or json (one JSON object per event, for scripts)", Value: "text"},
	}
}

// defaultInventory is the local lab's inventory when it exists.
func defaultInventory() string {
	if _, err := os.Stat(".lvslab/inventory.yml"); err == nil {
		return ".lvslab/inventory.yml"
	}
	return ""
}

// extraVars parses -e values: k=v pairs (YAML-typed values), inline YAML
// mappings, or @file.yml.
func extraVars(vals []string) (map[string]any, error) {
	out := map[string]any{}
	for _, v := range vals {
		switch {
		case strings.HasPrefix(v, "@"):
			m, err := playbook.LoadVarsFile(v[1:])
			if err != nil {
				return nil, err
			}
			for k, x := range m {
				out[k] = x
			}
		case strings.HasPrefix(strings.TrimSpace(v), "{"):
			var m map[string]any
			if err := yaml.Unmarshal([]byte(v), &m); err != nil {
				return nil, fmt.Errorf("-e %s: %w", v, err)
			}
			for k, x := range m {
				out[k] = x
			}
		default:
			for _, kv := range strings.Fields(v) {
				k, val, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return nil, fmt.Errorf("-e %q: want key=value or @file.yml", kv)
				}
				var x any
				if err := yaml.Unmarshal([]byte(val), &x); err != nil || x == nil {
					x = val
				}
				if _, isMap := x.(map[string]any); isMap {
					x = val
				}
				out[k] = x
			}
		}
	}
	return out, nil
}
