package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"lvslab/internal/ansiblecfg"
	"lvslab/internal/host"
	"lvslab/internal/playbook"
	"lvslab/internal/runner"
	"lvslab/internal/vault"
)

// connFlags are the flags of every command that connects to hosts.
func connFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringSliceFlag{Name: "inventory", Aliases: []string{"i"}, Usage: "inventory `SOURCE`, repeatable as Ansible's -i: a YAML or INI file, a directory of them, or a host list 'a,b:2222,'", Value: cli.NewStringSlice(defaultInventory()...)},
		&cli.StringFlag{Name: "limit", Aliases: []string{"l"}, Usage: "further limit hosts to a `PATTERN` (rs01, realservers, 'a:!b', 'rs*')"},
		&cli.IntFlag{Name: "forks", Aliases: []string{"f"}, Usage: "hosts worked on in parallel", Value: 10},
		&cli.StringSliceFlag{Name: "extra-vars", Aliases: []string{"e"}, Usage: "set variables (highest precedence), one value per -e: `k=v` pairs separated by spaces, a YAML or JSON mapping, or @file.yml"},
		&cli.GenericFlag{Name: "timeout", Aliases: []string{"T"}, Usage: "SSH connect and handshake timeout in seconds (10) or a Go duration (1m30s); also the keepalive interval (3 unanswered: unreachable)", Value: newSeconds(10 * time.Second)},
		&cli.StringFlag{Name: "known-hosts", Usage: "known_hosts `FILE` for host key checking", Value: "~/.ssh/known_hosts"},
		&cli.BoolFlag{Name: "session-per-task", Usage: "run every remote command in an SSH session of its own, as Ansible does, instead of in one bash per host (slower; the host then needs no bash)"},
		&cli.StringFlag{Name: "host-key-checking", Usage: "strict (unknown keys fail), accept-new (record unknown keys; changed keys fail) or off", Value: "accept-new"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "more output (-v results, -vv all data, -vvv connections)", Count: new(int)},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "text, or json (one JSON object per event, for scripts)", Value: "text"},
	}, vaultFlags()...)
}

// vaultFlags are ansible-vault's password options of ansible-playbook.
func vaultFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "vault-password-file", Aliases: []string{"vault-pass-file"}, Usage: "vault password `FILE` for the default vault id, repeatable: a file holding the password, or an executable script whose standard output is it"},
		&cli.StringSliceFlag{Name: "vault-id", Usage: "vault password of a vault id, repeatable: `[LABEL@]SOURCE`, SOURCE a password file, a script or 'prompt'"},
		&cli.BoolFlag{Name: "ask-vault-pass", Aliases: []string{"ask-vault-password", "J"}, Usage: "ask for the vault password on the terminal"},
	}
}

// configFlags are the flags that ansible.cfg and the ANSIBLE_* environment
// give a value when the command line does not (Ansible's precedence:
// command line, environment, ansible.cfg, default).
var configFlags = []struct {
	flag    string
	setting string
	value   func(*ansiblecfg.Config) []string
}{
	{"inventory", "DEFAULT_HOST_LIST", func(c *ansiblecfg.Config) []string { return c.Inventory }},
	{"forks", "DEFAULT_FORKS", func(c *ansiblecfg.Config) []string { return []string{strconv.Itoa(c.Forks)} }},
	{"timeout", "DEFAULT_TIMEOUT", func(c *ansiblecfg.Config) []string { return []string{strconv.Itoa(c.Timeout)} }},
	{"host-key-checking", "HOST_KEY_CHECKING", func(c *ansiblecfg.Config) []string {
		return []string{map[bool]string{true: "strict", false: "off"}[c.HostKeyChecking]}
	}},
	{"output", "DEFAULT_STDOUT_CALLBACK", func(c *ansiblecfg.Config) []string { return []string{c.Output()} }},
}

// applyConfig reads ansible.cfg and the ANSIBLE_* environment
// (ansiblecfg.Load) into the command's flags that the command line leaves
// unset, and sets up the run's vault passwords (vault.SetDefault). Ansible's
// defaults do not replace lvslab's.
func applyConfig(c *cli.Context) (*ansiblecfg.Config, error) {
	cfg, err := ansiblecfg.Load()
	if err != nil {
		return nil, badInput(err)
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(os.Stderr, "lvslab: warning:", w)
	}
	has := map[string]bool{}
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			has[n] = true
		}
	}
	for _, m := range configFlags {
		if !has[m.flag] || c.IsSet(m.flag) || !cfg.Set(m.setting) {
			continue
		}
		for _, v := range m.value(cfg) {
			if err := c.Set(m.flag, v); err != nil {
				return nil, badInput(fmt.Errorf("%s (%s): %w", m.setting, cfg.Values[m.setting].Origin, err))
			}
		}
	}
	src := vault.Sources{
		IDs:           append(slices.Clone(cfg.VaultIdentityList), c.StringSlice("vault-id")...),
		PasswordFiles: c.StringSlice("vault-password-file"),
		Ask:           c.Bool("ask-vault-pass") || cfg.AskVaultPass,
	}
	if cfg.VaultPasswordFile != "" {
		src.PasswordFiles = append(src.PasswordFiles, cfg.VaultPasswordFile)
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		src.Prompt = func(prompt string) ([]byte, error) {
			fmt.Fprint(os.Stderr, prompt)
			defer fmt.Fprintln(os.Stderr)
			return term.ReadPassword(int(os.Stdin.Fd()))
		}
	}
	kr, err := vault.Load(src)
	if err != nil {
		return nil, badInput(err)
	}
	kr.IDMatch = cfg.VaultIDMatch
	vault.SetDefault(kr)
	return cfg, nil
}

// withConfigUser connects with ansible.cfg's remote_user and
// private_key_file where a host's variables give no user or key, as
// Ansible's connection options fall back to them.
func withConfigUser(conn runner.Connector, cfg *ansiblecfg.Config) runner.Connector {
	defaults := map[string][]string{}
	if cfg.Set("DEFAULT_REMOTE_USER") {
		defaults[cfg.RemoteUser] = []string{"ansible_user", "ansible_ssh_user"}
	}
	if cfg.Set("DEFAULT_PRIVATE_KEY_FILE") {
		defaults[cfg.PrivateKeyFile] = []string{"ansible_private_key_file", "ansible_ssh_private_key_file"}
	}
	if len(defaults) == 0 {
		return conn
	}
	return func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
		out := runner.ConnVars(vars, nil)
		for val, names := range defaults {
			if !slices.ContainsFunc(names, func(n string) bool { return vars[n] != nil }) {
				out[names[0]] = val
			}
		}
		return conn(ctx, name, out)
	}
}

// seconds is a duration flag that also takes plain seconds, as Ansible's
// --timeout does: 3 is 3s, 1.5 is 1.5s, 1m30s is a Go duration.
type seconds time.Duration

func newSeconds(d time.Duration) *seconds { s := seconds(d); return &s }

// Set parses plain seconds or a Go duration; it must be positive.
func (s *seconds) Set(v string) error {
	d, err := time.ParseDuration(v)
	if f, ferr := strconv.ParseFloat(v, 64); ferr == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		d, err = time.Duration(f*float64(time.Second)), nil
	}
	if err != nil || d <= 0 {
		return errors.New("want a positive number of seconds (10) or a duration (1m30s)")
	}
	*s = seconds(d)
	return nil
}

// String is the duration in Go's form.
func (s *seconds) String() string { return time.Duration(*s).String() }

// duration returns the value of a seconds flag.
func duration(c *cli.Context, name string) time.Duration {
	if s, ok := c.Generic(name).(*seconds); ok {
		return time.Duration(*s)
	}
	return 0
}

// defaultInventory is the local lab's inventory when it exists.
func defaultInventory() []string {
	if _, err := os.Stat(".lvslab/inventory.yml"); err == nil {
		return []string{".lvslab/inventory.yml"}
	}
	return nil
}

// extraVars parses -e values as Ansible does, each -e one value (never
// split on commas): @file.yml; an inline YAML or JSON mapping; or k=v pairs
// separated by spaces, where a value may be quoted ('a b' or "a b") and an
// unquoted value is YAML-typed. Errors name the -e by its position and the
// key, never a value: a value may be a secret.
func extraVars(vals []string) (map[string]any, error) {
	out := map[string]any{}
	for i, v := range vals {
		at := fmt.Sprintf("-e #%d", i+1)
		var m map[string]any
		var err error
		switch t := strings.TrimSpace(v); {
		case strings.HasPrefix(t, "@"):
			m, err = playbook.LoadVarsFile(t[1:])
		case t == "":
			err = fmt.Errorf("%s: empty", at)
		case isKV(t):
			m, err = parseKV(at, t)
		default:
			m, err = yamlMapping(at, t)
		}
		if err != nil {
			return nil, err
		}
		for k, x := range m {
			out[k] = x
		}
	}
	return out, nil
}

// isKV reports whether s starts with a key=value pair rather than YAML.
func isKV(s string) bool {
	if s[0] == '{' || s[0] == '[' {
		return false
	}
	end := strings.IndexAny(s, " \t\n:=\"'")
	return end > 0 && s[end] == '='
}

// yamlMapping parses an inline YAML or JSON mapping.
func yamlMapping(at, s string) (map[string]any, error) {
	var x any
	if err := yaml.Unmarshal([]byte(s), &x); err != nil {
		// yaml.v3's syntax errors give a line, not the text; type errors,
		// which quote it, cannot happen decoding into any.
		return nil, fmt.Errorf("%s: not a YAML or JSON mapping: %w", at, err)
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want key=value pairs, a YAML or JSON mapping with string keys, or @file.yml", at)
	}
	return m, nil
}

// parseKV parses key=value pairs separated by white space. A value in
// quotes (single or double) or in {{ }} keeps its white space; a quoted
// value stays a string.
func parseKV(at, s string) (map[string]any, error) {
	out := map[string]any{}
	for n := 1; ; n++ {
		s = strings.TrimLeft(s, " \t\n")
		if s == "" {
			return out, nil
		}
		end := strings.IndexAny(s, " \t\n=\"'")
		if end <= 0 || s[end] != '=' {
			return nil, fmt.Errorf("%s: word %d is not key=value (quote a value with spaces: k=\"a b\")", at, n)
		}
		k := s[:end]
		val, quoted, rest, err := kvValue(s[end+1:])
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", at, k, err)
		}
		s = rest
		var x any = val
		if !quoted {
			var y any
			if yaml.Unmarshal([]byte(val), &y) == nil && y != nil {
				switch y.(type) {
				case map[string]any, []any, map[any]any:
				default:
					x = y
				}
			}
		}
		out[k] = x
	}
}

// kvValue reads a value: a quoted one ('a b' or "a b", a backslash
// escaping in double quotes) up to its closing quote, else one up to white
// space outside {{ }}, in which quotes are characters like any other.
func kvValue(s string) (val string, quoted bool, rest string, err error) {
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		q := s[0]
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch {
			case s[i] == q:
				if rest = s[i+1:]; rest != "" && !strings.ContainsRune(" \t\n", rune(rest[0])) {
					return "", false, "", errors.New("text after the closing quote")
				}
				return b.String(), true, rest, nil
			case q == '"' && s[i] == '\\' && i+1 < len(s):
				i++
			}
			b.WriteByte(s[i])
		}
		return "", false, "", errors.New("unclosed quote")
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "{{") || strings.HasPrefix(s[i:], "{%"):
			depth++
			i++
		case depth > 0 && (strings.HasPrefix(s[i:], "}}") || strings.HasPrefix(s[i:], "%}")):
			depth--
			i++
		case depth == 0 && strings.ContainsRune(" \t\n", rune(s[i])):
			return s[:i], false, s[i:], nil
		}
	}
	return s, false, "", nil
}
