package host

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"lvslab/internal/ansible"
)

// Host key checking modes for SSHConfig.HostKeyChecking, named after
// OpenSSH's StrictHostKeyChecking values.
const (
	// HostKeyStrict refuses hosts whose key is not in the known_hosts file.
	HostKeyStrict = "strict"
	// HostKeyAcceptNew records the key of a host seen for the first time and
	// refuses a changed key. It is the default.
	HostKeyAcceptNew = "accept-new"
	// HostKeyOff accepts any host key; the caller should print a warning.
	HostKeyOff = "off"
)

// Defaults for the zero fields of SSHConfig.
const (
	DefaultPort        = 22
	DefaultTimeout     = 10 * time.Second
	DefaultKeepAlive   = 15 * time.Second
	DefaultMaxSessions = 10 // OpenSSH's MaxSessions default
)

// SSHConfig says how to reach one host. The zero value of every field but
// Addr means its default; ConfigFromVars builds one from Ansible connection
// variables, and Dial fills the defaults of a hand-made one.
type SSHConfig struct {
	Name       string   // inventory name, used in errors; defaults to Addr
	Addr       string   // host name or IP address to dial
	Port       int      // default 22
	User       string   // default: the current user
	KeyFiles   []string // private keys; none: ~/.ssh/id_ed25519, id_ecdsa, id_rsa where present
	Password   string   // password and keyboard-interactive authentication
	Passphrase string   // for encrypted key files; Password is tried too
	UseAgent   bool     // also offer the keys of the agent at $SSH_AUTH_SOCK

	KnownHostsFile  string // default ~/.ssh/known_hosts
	HostKeyChecking string // HostKeyStrict, HostKeyAcceptNew (default) or HostKeyOff

	Timeout     time.Duration // TCP connect plus SSH handshake, per hop; default 10s
	KeepAlive   time.Duration // keepalive@openssh.com interval; default 15s, negative disables
	MaxSessions int           // concurrent sessions on the connection; default 10

	// SessionPerCommand runs every command in a session of its own, as
	// Ansible does, instead of in the connection's worker shell (worker.go).
	SessionPerCommand bool

	// Jump is the ProxyJump host: the connection is tunnelled through it.
	// Its own zero fields take their defaults, not this host's values.
	Jump *SSHConfig
	// Netns is a named network namespace (/run/netns/NAME) or, when it starts
	// with "/", a namespace file (/proc/PID/ns/net) in which the TCP
	// connection is made. With Jump set, only the first hop dials, so Netns
	// is read from the innermost Jump.
	Netns string
	// Become is the host's default escalation from the inventory
	// (ansible_become*). The caller decides whether a command escalates; when
	// it does, an empty RunOpts.Become.User or Password falls back to these.
	Become Become
}

// Defaults are the connection settings of a host whose variables do not
// set them: the command line's. Their zero fields leave the built-in
// defaults.
type Defaults struct {
	KnownHostsFile  string // where no UserKnownHostsFile is given
	HostKeyChecking string // where no StrictHostKeyChecking is given
	// Timeout is where none of ansible_ssh_timeout, ansible_timeout and
	// ConnectTimeout is given. Set, it also caps the keepalive interval
	// where no ServerAliveInterval is given, so that a host that stops
	// answering in the middle of a task is given up after a few timeouts
	// rather than minutes.
	Timeout time.Duration
}

// ConfigFromVars builds the connection settings of the inventory host name
// from its Ansible connection variables: ansible_host, ansible_port,
// ansible_user and ansible_private_key_file, each overridden by its
// ansible_ssh_* spelling (ansible_ssh_host ...) as in Ansible's ssh plugin;
// ansible_password (overridden by ansible_ssh_pass, then
// ansible_ssh_password), ansible_become, ansible_become_user,
// ansible_become_password (or ansible_become_pass), ansible_ssh_timeout (or
// ansible_timeout), ansible_ssh_common_args and ansible_ssh_extra_args (-J,
// -i, -p, -l and the -o options ProxyJump, ProxyCommand "ssh -W %h:%p ...",
// StrictHostKeyChecking, UserKnownHostsFile, ConnectTimeout,
// ServerAliveInterval; other options are ignored) and lvslab_netns. Scalars
// may be strings, numbers or booleans as YAML gives them. Every problem is
// reported, each a *VarError naming the host and the variable; def, then
// the built-in defaults are filled in where the variables set nothing (for
// the host and its jump hosts).
func ConfigFromVars(name string, vars map[string]any, def Defaults) (SSHConfig, error) {
	p := varParser{host: name, vars: vars}
	cfg := SSHConfig{Name: name, Addr: name, UseAgent: os.Getenv("SSH_AUTH_SOCK") != "",
		KnownHostsFile: def.KnownHostsFile, HostKeyChecking: def.HostKeyChecking, Timeout: def.Timeout}
	// Where both spellings are set, ansible_ssh_* wins, as in Ansible's ssh
	// plugin (the last of its vars that is set), whichever layer set them.
	if s, ok := p.str("ansible_ssh_host", "ansible_host"); ok {
		cfg.Addr = s
	}
	if k, n, ok := p.intKey("ansible_ssh_port", "ansible_port"); ok {
		if n < 1 || n > 65535 {
			p.errorf(k, "%d is not a port number", n)
		}
		cfg.Port = n
	}
	if s, ok := p.str("ansible_ssh_user", "ansible_user"); ok {
		cfg.User = s
	}
	if s, ok := p.str("ansible_ssh_private_key_file", "ansible_private_key_file"); ok && s != "" {
		cfg.KeyFiles = append(cfg.KeyFiles, s)
	}
	cfg.Password, _ = p.str("ansible_ssh_password", "ansible_ssh_pass", "ansible_password")
	cfg.Become = p.become()
	if n, ok := p.int("ansible_ssh_timeout", "ansible_timeout"); ok {
		if n < 1 {
			p.errorf("ansible_ssh_timeout", "%d is not a positive number of seconds", n)
		}
		cfg.Timeout = time.Duration(n) * time.Second
	}
	if s, ok := p.str("lvslab_netns"); ok {
		cfg.Netns = s
		if err := checkNetns(s); err != nil {
			p.errorf("lvslab_netns", "%v", err)
		}
	}
	for _, key := range []string{"ansible_ssh_common_args", "ansible_ssh_extra_args"} {
		if s, ok := p.str(key); ok && s != "" {
			if err := applySSHArgs(&cfg, s); err != nil {
				p.errorf(key, "%v", err)
			}
		}
	}
	if cfg.Addr == "" {
		p.errorf("ansible_host", "is empty")
	}
	if err := errors.Join(p.errs...); err != nil {
		return SSHConfig{}, err
	}
	capAlive := def.Timeout > 0 && cfg.KeepAlive == 0 // no ServerAliveInterval
	cfg, err := cfg.withDefaults()
	for c := &cfg; capAlive && c != nil; c = c.Jump {
		c.KeepAlive = min(c.KeepAlive, c.Timeout)
	}
	return cfg, err
}

// withDefaults fills the zero fields, recursively for Jump.
func (c SSHConfig) withDefaults() (SSHConfig, error) {
	if c.Addr == "" {
		return c, fmt.Errorf("host %s: no address to connect to", c.Name)
	}
	if c.Name == "" {
		c.Name = c.Addr
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.User == "" {
		u, err := currentUser()
		if err != nil {
			return c, fmt.Errorf("host %s: no user given and %w", c.Name, err)
		}
		c.User = u
	}
	if c.KnownHostsFile == "" {
		c.KnownHostsFile = "~/.ssh/known_hosts"
	}
	c.KnownHostsFile = expandHome(c.KnownHostsFile)
	keys := make([]string, len(c.KeyFiles))
	for i, k := range c.KeyFiles {
		keys[i] = expandHome(k)
	}
	c.KeyFiles = keys
	switch c.HostKeyChecking {
	case "":
		c.HostKeyChecking = HostKeyAcceptNew
	case HostKeyStrict, HostKeyAcceptNew, HostKeyOff:
	default:
		return c, fmt.Errorf("host %s: host key checking %q is not strict, accept-new or off", c.Name, c.HostKeyChecking)
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.Become.User == "" {
		c.Become.User = "root"
	}
	if c.Jump != nil {
		j, err := c.Jump.withDefaults()
		if err != nil {
			return c, fmt.Errorf("jump host of %s: %w", c.Name, err)
		}
		c.Jump = &j
	}
	return c, nil
}

// addr returns host:port.
func (c SSHConfig) addr() string { return net.JoinHostPort(c.Addr, strconv.Itoa(c.Port)) }

func currentUser() (string, error) {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if u := os.Getenv("USER"); u != "" {
		return u, nil
	}
	return "", errors.New("the current user is unknown")
}

func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}

func checkNetns(name string) error {
	if strings.HasPrefix(name, "/") {
		return nil
	}
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("%q is not a network namespace name", name)
	}
	return nil
}

// varParser reads typed values from inventory variables and collects errors.
type varParser struct {
	host string
	vars map[string]any
	errs []error
}

// VarError is a host's connection variable that is wrong.
type VarError struct {
	Host string // inventory name
	Var  string // the variable
	Msg  string
}

func (e *VarError) Error() string { return fmt.Sprintf("host %s: %s: %s", e.Host, e.Var, e.Msg) }

func (p *varParser) errorf(key, format string, args ...any) {
	p.errs = append(p.errs, &VarError{Host: p.host, Var: key, Msg: fmt.Sprintf(format, args...)})
}

// lookup returns the first of keys that is set and not nil.
func (p *varParser) lookup(keys ...string) (string, any, bool) {
	for _, k := range keys {
		if v, ok := p.vars[k]; ok && v != nil {
			return k, v, true
		}
	}
	return "", nil, false
}

func (p *varParser) str(keys ...string) (string, bool) {
	k, v, ok := p.lookup(keys...)
	if !ok {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case int, int64, uint64, float64, bool:
		return fmt.Sprint(v), true
	}
	p.errorf(k, "want a string, got %T", v)
	return "", false
}

func (p *varParser) int(keys ...string) (int, bool) {
	_, n, ok := p.intKey(keys...)
	return n, ok
}

// intKey is int that also says which of keys it read.
func (p *varParser) intKey(keys ...string) (string, int, bool) {
	k, v, ok := p.lookup(keys...)
	if !ok {
		return "", 0, false
	}
	switch v := v.(type) {
	case int:
		return k, v, true
	case int64:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return k, int(v), true
		}
	case uint64:
		if v <= math.MaxInt32 {
			return k, int(v), true
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) <= math.MaxInt32 {
			return k, int(v), true
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return k, n, true
		}
	}
	p.errorf(k, "want a whole number, got %v", v)
	return k, 0, false
}

func (p *varParser) bool(keys ...string) (bool, bool) {
	k, v, ok := p.lookup(keys...)
	if !ok {
		return false, false
	}
	if b, ok := ansible.ParseBool(v); ok {
		return b, true
	}
	p.errorf(k, "want yes/no or true/false, got %v", v)
	return false, false
}
