// Package ansiblecfg reads the settings lvslab shares with Ansible from
// ansible.cfg and the ANSIBLE_* environment, as ansible-core 2.14 does:
// the file found where Ansible looks (ANSIBLE_CONFIG, ./ansible.cfg unless
// the working directory is world-writable, ~/.ansible.cfg,
// /etc/ansible/ansible.cfg), read as Python's configparser reads it; each
// setting from its environment variable, else the file, else Ansible's
// default; typed and paths resolved as Ansible's config manager does. Keys
// lvslab does not know are ignored, as Ansible ignores them.
package ansiblecfg

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"lvslab/internal/infile"
)

// Origins of a setting, as ansible-config dump prints them.
const (
	OriginDefault = "default"
	// An environment variable's origin is "env: NAME"; a file's, its path.
)

// kind is a setting's type in Ansible's base.yml.
type kind int

const (
	str      kind = iota // untyped: a string, unquoted
	integer              // Python's int()
	boolean              // boolean(strict=False): anything not true is false
	path                 // ~ and $VARS expanded, relative to the file's directory
	pathList             // comma separated paths
	pathSpec             // colon separated paths
	list                 // comma separated, each unquoted
)

// setting is one of base.yml's definitions.
type setting struct {
	name    string // DEFAULT_FORKS
	section string
	key     string
	env     string
	kind    kind
	def     string // "" and noDefault: none (None)
	hasDef  bool
}

// settings are those lvslab maps (base.yml of ansible-core 2.14).
var settings = []setting{
	{name: "DEFAULT_HOST_LIST", section: "defaults", key: "inventory", env: "ANSIBLE_INVENTORY", kind: pathList, def: "/etc/ansible/hosts", hasDef: true},
	{name: "DEFAULT_REMOTE_USER", section: "defaults", key: "remote_user", env: "ANSIBLE_REMOTE_USER", kind: str},
	{name: "DEFAULT_PRIVATE_KEY_FILE", section: "defaults", key: "private_key_file", env: "ANSIBLE_PRIVATE_KEY_FILE", kind: path},
	{name: "DEFAULT_FORKS", section: "defaults", key: "forks", env: "ANSIBLE_FORKS", kind: integer, def: "5", hasDef: true},
	{name: "HOST_KEY_CHECKING", section: "defaults", key: "host_key_checking", env: "ANSIBLE_HOST_KEY_CHECKING", kind: boolean, def: "True", hasDef: true},
	{name: "DEFAULT_ROLES_PATH", section: "defaults", key: "roles_path", env: "ANSIBLE_ROLES_PATH", kind: pathSpec, def: "~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles", hasDef: true},
	{name: "DEFAULT_TIMEOUT", section: "defaults", key: "timeout", env: "ANSIBLE_TIMEOUT", kind: integer, def: "10", hasDef: true},
	{name: "DEFAULT_STDOUT_CALLBACK", section: "defaults", key: "stdout_callback", env: "ANSIBLE_STDOUT_CALLBACK", kind: str, def: "default", hasDef: true},
	{name: "DEFAULT_VAULT_PASSWORD_FILE", section: "defaults", key: "vault_password_file", env: "ANSIBLE_VAULT_PASSWORD_FILE", kind: path},
	{name: "DEFAULT_VAULT_IDENTITY_LIST", section: "defaults", key: "vault_identity_list", env: "ANSIBLE_VAULT_IDENTITY_LIST", kind: list, def: "", hasDef: true},
	{name: "DEFAULT_VAULT_ID_MATCH", section: "defaults", key: "vault_id_match", env: "ANSIBLE_VAULT_ID_MATCH", kind: boolean, def: "False", hasDef: true},
	{name: "DEFAULT_ASK_VAULT_PASS", section: "defaults", key: "ask_vault_pass", env: "ANSIBLE_ASK_VAULT_PASS", kind: boolean, def: "False", hasDef: true},
	{name: "DEFAULT_BECOME", section: "privilege_escalation", key: "become", env: "ANSIBLE_BECOME", kind: boolean, def: "False", hasDef: true},
	{name: "DEFAULT_BECOME_USER", section: "privilege_escalation", key: "become_user", env: "ANSIBLE_BECOME_USER", kind: str, def: "root", hasDef: true},
	{name: "DEFAULT_BECOME_METHOD", section: "privilege_escalation", key: "become_method", env: "ANSIBLE_BECOME_METHOD", kind: str, def: "sudo", hasDef: true},
}

// Value is one setting's value and where it came from.
type Value struct {
	// V is a string, int, bool or []string, as the setting's type; nil
	// for a setting that is not set and has no default.
	V any
	// Origin is OriginDefault, "env: ANSIBLE_X" or the file's path.
	Origin string
	// Line is the file's line that set it, 0 for others.
	Line int
}

// Config is the settings lvslab reads. The fields are the typed values of
// Values; a field is Ansible's default where nothing set it (see Set).
type Config struct {
	// File is the ansible.cfg read, "" when there is none.
	File string
	// Warnings are what Ansible warns about: a world-writable working
	// directory whose ansible.cfg was ignored.
	Warnings []string

	Inventory      []string // [defaults] inventory, ANSIBLE_INVENTORY: paths
	RemoteUser     string   // [defaults] remote_user, ANSIBLE_REMOTE_USER
	PrivateKeyFile string   // [defaults] private_key_file, ANSIBLE_PRIVATE_KEY_FILE
	Forks          int      // [defaults] forks, ANSIBLE_FORKS
	// HostKeyChecking is [defaults] host_key_checking,
	// ANSIBLE_HOST_KEY_CHECKING.
	HostKeyChecking bool
	// RolesPath is [defaults] roles_path, ANSIBLE_ROLES_PATH: the
	// directories roles are searched in, after the playbook's roles/
	// directory, in order (absolute; ~ expanded; relative entries of the
	// file are relative to its directory). For the roles feature.
	RolesPath         []string
	Timeout           int    // [defaults] timeout, ANSIBLE_TIMEOUT: seconds
	StdoutCallback    string // [defaults] stdout_callback, ANSIBLE_STDOUT_CALLBACK
	VaultPasswordFile string // [defaults] vault_password_file, ANSIBLE_VAULT_PASSWORD_FILE
	// VaultIdentityList is [defaults] vault_identity_list,
	// ANSIBLE_VAULT_IDENTITY_LIST: --vault-id values tried before the
	// command line's.
	VaultIdentityList []string
	VaultIDMatch      bool   // [defaults] vault_id_match, ANSIBLE_VAULT_ID_MATCH
	AskVaultPass      bool   // [defaults] ask_vault_pass, ANSIBLE_ASK_VAULT_PASS
	Become            bool   // [privilege_escalation] become, ANSIBLE_BECOME
	BecomeUser        string // [privilege_escalation] become_user, ANSIBLE_BECOME_USER
	BecomeMethod      string // [privilege_escalation] become_method, ANSIBLE_BECOME_METHOD

	// Values are every setting by Ansible's name (DEFAULT_FORKS), as
	// ansible-config dump names them.
	Values map[string]Value
}

// Set reports whether the named setting (DEFAULT_FORKS) was set by the
// environment or the file, not Ansible's default.
func (c *Config) Set(name string) bool {
	v, ok := c.Values[name]
	return ok && v.Origin != OriginDefault && v.V != nil
}

// Env looks up an environment variable, as os.LookupEnv.
type Env func(string) (string, bool)

// Load finds ansible.cfg as Ansible does and reads it with the process's
// environment.
func Load() (*Config, error) {
	file, warn := Find(os.LookupEnv)
	c, err := LoadFile(file, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	c.Warnings = append(c.Warnings, warn...)
	return c, nil
}

// Find returns the ansible.cfg Ansible would read: ANSIBLE_CONFIG (a file,
// or a directory holding ansible.cfg), ./ansible.cfg unless the working
// directory is world-writable, ~/.ansible.cfg, /etc/ansible/ansible.cfg —
// the first that exists and is readable; "" for none. A world-writable
// working directory's ansible.cfg gives a warning, as in Ansible.
func Find(env Env) (file string, warnings []string) {
	var cands []string
	fromEnv, hasEnv := env("ANSIBLE_CONFIG")
	if hasEnv {
		fromEnv = absPath(expand(fromEnv, env), "")
		if st, err := os.Stat(fromEnv); err == nil && st.IsDir() {
			fromEnv = filepath.Join(fromEnv, "ansible.cfg")
		}
		cands = append(cands, fromEnv)
	}
	skipped := ""
	if cwd, err := os.Getwd(); err == nil {
		cfg := filepath.Join(cwd, "ansible.cfg")
		if st, err := os.Stat(cwd); err == nil {
			if st.Mode().Perm()&0o002 != 0 {
				if _, err := os.Stat(cfg); err == nil {
					skipped = cwd
				}
			} else {
				cands = append(cands, cfg)
			}
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		cands = append(cands, filepath.Join(home, ".ansible.cfg"))
	}
	cands = append(cands, "/etc/ansible/ansible.cfg")
	for _, c := range cands {
		if f, err := os.Open(c); err == nil {
			st, err := f.Stat()
			f.Close()
			if err == nil && !st.IsDir() {
				file = c
				break
			}
		}
	}
	if skipped != "" && (!hasEnv || file != fromEnv) {
		warnings = append(warnings, fmt.Sprintf("the working directory %s is world writable: its ansible.cfg is ignored, as Ansible ignores it", skipped))
	}
	return file, warnings
}

// LoadFile reads the settings from env and file ("" for none). A file that
// does not parse, and a value of the wrong type (forks = abc), are errors
// naming file:line or the environment variable.
func LoadFile(file string, env Env) (*Config, error) {
	c := &Config{File: file, Values: map[string]Value{}}
	var ini *iniFile
	if file != "" {
		if ext := filepath.Ext(file); ext != ".cfg" && ext != ".ini" {
			// As Ansible: "Unsupported configuration file extension".
			return nil, fmt.Errorf("%s: a configuration file is named .cfg or .ini, not %q", file, ext)
		}
		data, err := infile.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read ansible.cfg: %w", err)
		}
		if ini, err = parseINI(file, data); err != nil {
			return nil, err
		}
	}
	var errs []error
	for _, s := range settings {
		v, err := s.value(ini, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.Values[s.name] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.fill()
	return c, nil
}

// value finds a setting: its environment variable, else the file, else
// its default; then typed.
func (s setting) value(ini *iniFile, env Env) (Value, error) {
	if raw, ok := env(s.env); ok {
		origin := "env: " + s.env
		v, err := s.convert(raw, "", env)
		if err == nil {
			return Value{V: v, Origin: origin}, nil
		}
		if raw != "" { // an empty variable of a typed setting is its default, as in Ansible
			return Value{}, fmt.Errorf("%s=%s: %s: %w", s.env, raw, s.key, err)
		}
	} else if ini != nil {
		if raw, line, ok := ini.get(s.section, s.key); ok {
			v, err := s.convert(raw, filepath.Dir(ini.path), env)
			if err != nil {
				return Value{}, fmt.Errorf("%s:%d: %s: %w", ini.path, line, s.key, err)
			}
			return Value{V: v, Origin: ini.path, Line: line}, nil
		}
	}
	if !s.hasDef {
		return Value{Origin: OriginDefault}, nil
	}
	v, err := s.convert(s.def, "", env)
	return Value{V: v, Origin: OriginDefault}, err
}

// convert types raw as Ansible's ensure_type; relative paths are relative
// to base (the file's directory), or the working directory when base is "".
func (s setting) convert(raw, base string, env Env) (any, error) {
	switch s.kind {
	case integer:
		return pyInt(raw)
	case boolean:
		switch strings.ToLower(strings.TrimSpace(raw)) {
		case "y", "yes", "on", "1", "true", "t", "1.0":
			return true, nil
		}
		return false, nil
	case path:
		return absPath(expand(raw, env), base), nil
	case pathList, pathSpec:
		sep := ","
		if s.kind == pathSpec {
			sep = ":"
		}
		var out []string
		for _, p := range strings.Split(raw, sep) {
			if s.kind == pathList {
				p = strings.TrimSpace(p)
			}
			out = append(out, absPath(expand(p, env), base))
		}
		return out, nil
	case list:
		out := []string{}
		if raw == "" {
			return out, nil
		}
		for _, p := range strings.Split(raw, ",") {
			out = append(out, unquote(strings.TrimSpace(p)))
		}
		return out, nil
	}
	return unquote(raw), nil
}

// pyInt parses as Python's int(): blanks around, a sign, decimal digits
// with single underscores between them.
func pyInt(raw string) (int, error) {
	t := strings.TrimSpace(raw)
	digits := strings.TrimLeft(t, "+-")
	bad := len(t)-len(digits) > 1 || digits == "" || digits[0] == '_' || digits[len(digits)-1] == '_' || strings.Contains(digits, "__")
	if !bad {
		if n, err := strconv.Atoi(strings.ReplaceAll(t, "_", "")); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("want an integer, not %q", raw)
}

// unquote drops one pair of matching quotes around s, as Ansible's unquote.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// expand expands $VAR, ${VAR} and a leading ~ as Python's expandvars and
// expanduser: an unknown variable is left as it is.
func expand(p string, env Env) string {
	p = os.Expand(p, func(name string) string {
		if v, ok := env(name); ok {
			return v
		}
		return "${" + name + "}"
	})
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = home + p[1:]
		}
	}
	return p
}

// absPath makes p absolute against base (or the working directory) and
// clean, as Ansible's unfrackpath(follow=False).
func absPath(p, base string) string {
	if !filepath.IsAbs(p) {
		if base == "" {
			base, _ = os.Getwd()
		}
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

// fill sets the typed fields from Values.
func (c *Config) fill() {
	get := func(name string) any { return c.Values[name].V }
	strs := func(name string) []string { l, _ := get(name).([]string); return l }
	s := func(name string) string { v, _ := get(name).(string); return v }
	b := func(name string) bool { v, _ := get(name).(bool); return v }
	i := func(name string) int { v, _ := get(name).(int); return v }
	c.Inventory, c.RemoteUser, c.PrivateKeyFile = strs("DEFAULT_HOST_LIST"), s("DEFAULT_REMOTE_USER"), s("DEFAULT_PRIVATE_KEY_FILE")
	c.Forks, c.HostKeyChecking, c.RolesPath = i("DEFAULT_FORKS"), b("HOST_KEY_CHECKING"), strs("DEFAULT_ROLES_PATH")
	c.Timeout, c.StdoutCallback = i("DEFAULT_TIMEOUT"), s("DEFAULT_STDOUT_CALLBACK")
	c.VaultPasswordFile, c.VaultIdentityList = s("DEFAULT_VAULT_PASSWORD_FILE"), strs("DEFAULT_VAULT_IDENTITY_LIST")
	c.VaultIDMatch, c.AskVaultPass = b("DEFAULT_VAULT_ID_MATCH"), b("DEFAULT_ASK_VAULT_PASS")
	c.Become, c.BecomeUser, c.BecomeMethod = b("DEFAULT_BECOME"), s("DEFAULT_BECOME_USER"), s("DEFAULT_BECOME_METHOD")
}

// Output is lvslab's --output for the stdout_callback: json for json, text
// for every other (yaml, default, minimal ...).
func (c *Config) Output() string {
	if c.StdoutCallback == "json" {
		return "json"
	}
	return "text"
}
