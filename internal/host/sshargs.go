package host

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// sshArgs is what lvslab understands of an ssh(1) command line.
type sshArgs struct {
	dest    string // first operand
	user    string // -l, -o User
	port    int    // -p, -o Port
	keys    []string
	jump    *SSHConfig // -J, -o ProxyJump, -o ProxyCommand="ssh -W %h:%p ..."
	noJump  bool       // ProxyJump=none
	checkHK string
	known   string
	timeout time.Duration
	alive   time.Duration
	proxyW  string // -W value of a ProxyCommand
}

// applySSHArgs applies ansible_ssh_common_args-style options to cfg.
func applySSHArgs(cfg *SSHConfig, s string) error {
	words, err := SplitWords(s)
	if err != nil {
		return err
	}
	a, err := parseSSHArgs(words)
	if err != nil {
		return err
	}
	if a.dest != "" {
		return fmt.Errorf("unexpected operand %q", a.dest)
	}
	if a.user != "" {
		cfg.User = a.user
	}
	if a.port != 0 {
		cfg.Port = a.port
	}
	cfg.KeyFiles = append(cfg.KeyFiles, a.keys...)
	if a.checkHK != "" {
		cfg.HostKeyChecking = a.checkHK
	}
	if a.known != "" {
		cfg.KnownHostsFile = a.known
	}
	if a.timeout != 0 {
		cfg.Timeout = a.timeout
	}
	if a.alive != 0 {
		cfg.KeepAlive = a.alive
	}
	switch {
	case a.noJump:
		cfg.Jump = nil
	case a.jump != nil:
		cfg.Jump = a.jump
	}
	// Jump hops use this host's keys and host key policy, as ssh -J does.
	for j := cfg.Jump; j != nil; j = j.Jump {
		if len(j.KeyFiles) == 0 {
			j.KeyFiles = cfg.KeyFiles
		}
		j.UseAgent = cfg.UseAgent
		j.KnownHostsFile = cfg.KnownHostsFile
		j.HostKeyChecking = cfg.HostKeyChecking
		j.Timeout = cfg.Timeout
		j.Netns = cfg.Netns
	}
	return nil
}

// argFlags are the ssh(1) flags that take a value.
const argFlags = "BbcDEeFIiJLlmOoPpQRSWw"

func parseSSHArgs(words []string) (sshArgs, error) {
	var a sshArgs
	var errs []error
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") || len(w) < 2 {
			if a.dest == "" {
				a.dest = w
				continue
			}
			errs = append(errs, fmt.Errorf("unexpected operand %q", w))
			continue
		}
		// A cluster of boolean flags (-qT) may end in one that takes a value.
		j := 1
		for j < len(w) && !strings.ContainsRune(argFlags, rune(w[j])) {
			j++
		}
		if j == len(w) {
			continue
		}
		flag := w[j]
		val := w[j+1:]
		if val == "" {
			if i+1 == len(words) {
				errs = append(errs, fmt.Errorf("-%c needs a value", flag))
				break
			}
			i++
			val = words[i]
		}
		if err := a.set(flag, val); err != nil {
			errs = append(errs, err)
		}
	}
	return a, errors.Join(errs...)
}

func (a *sshArgs) set(flag byte, val string) error {
	var err error
	switch flag {
	case 'o':
		return a.option(val)
	case 'J':
		a.jump, a.noJump, err = parseJumps(val)
	case 'i':
		a.keys = append(a.keys, val)
	case 'l':
		a.user = val
	case 'p':
		a.port, err = parsePort(val)
	case 'W':
		a.proxyW = val
	}
	if err != nil {
		return fmt.Errorf("-%c %s: %w", flag, val, err)
	}
	return nil
}

// option applies one -o Key=Value (or "Key Value").
func (a *sshArgs) option(kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		key, val, _ = strings.Cut(strings.TrimSpace(kv), " ")
	}
	key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
	var err error
	switch key {
	case "proxyjump":
		a.jump, a.noJump, err = parseJumps(val)
	case "proxycommand":
		a.jump, a.noJump, err = parseProxyCommand(val)
	case "stricthostkeychecking":
		switch strings.ToLower(val) {
		case "yes", "ask", "true":
			a.checkHK = HostKeyStrict
		case "accept-new":
			a.checkHK = HostKeyAcceptNew
		case "no", "off", "false":
			a.checkHK = HostKeyOff
		default:
			err = errors.New("want yes, accept-new or no")
		}
	case "userknownhostsfile":
		a.known, _, _ = strings.Cut(val, " ")
	case "connecttimeout":
		a.timeout, err = parseSeconds(val)
	case "serveraliveinterval":
		a.alive, err = parseSeconds(val)
		if a.alive == 0 {
			a.alive = -1 // 0 turns keepalives off in ssh(1)
		}
	case "port":
		a.port, err = parsePort(val)
	case "user":
		a.user = val
	case "identityfile":
		a.keys = append(a.keys, val)
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", kv, err)
	}
	return nil
}

// parseJumps parses a ProxyJump list "[user@]host[:port],..." into the
// chain: the returned config is the last hop, its Jump the one before.
func parseJumps(spec string) (*SSHConfig, bool, error) {
	if strings.EqualFold(spec, "none") {
		return nil, true, nil
	}
	var prev *SSHConfig
	for _, hop := range strings.Split(spec, ",") {
		j, err := parseJumpHost(strings.TrimSpace(hop))
		if err != nil {
			return nil, false, err
		}
		j.Jump = prev
		prev = j
	}
	return prev, false, nil
}

func parseJumpHost(s string) (*SSHConfig, error) {
	if s == "" {
		return nil, errors.New("empty jump host")
	}
	if strings.HasPrefix(s, "ssh://") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		j := &SSHConfig{Name: u.Hostname(), Addr: u.Hostname(), User: u.User.Username()}
		if p := u.Port(); p != "" {
			if j.Port, err = parsePort(p); err != nil {
				return nil, err
			}
		}
		return j, nil
	}
	j := &SSHConfig{}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		j.User, s = s[:at], s[at+1:]
	}
	host := s
	if h, p, err := net.SplitHostPort(s); err == nil {
		host = h
		if j.Port, err = parsePort(p); err != nil {
			return nil, err
		}
	} else {
		host = strings.Trim(s, "[]")
	}
	if host == "" {
		return nil, fmt.Errorf("no host in jump host %q", s)
	}
	j.Name, j.Addr = host, host
	return j, nil
}

// parseProxyCommand understands the one ProxyCommand form that is a jump
// host: ssh [options] -W %h:%p [user@]host.
func parseProxyCommand(cmd string) (*SSHConfig, bool, error) {
	if strings.EqualFold(cmd, "none") {
		return nil, true, nil
	}
	words, err := SplitWords(cmd)
	if err != nil {
		return nil, false, err
	}
	unsupported := fmt.Errorf("only \"ssh -W %%h:%%p [user@]host\" is supported, use ProxyJump")
	if len(words) == 0 || (words[0] != "ssh" && !strings.HasSuffix(words[0], "/ssh")) {
		return nil, false, unsupported
	}
	a, err := parseSSHArgs(words[1:])
	if err != nil {
		return nil, false, err
	}
	if a.proxyW != "%h:%p" || a.dest == "" {
		return nil, false, unsupported
	}
	j, err := parseJumpHost(a.dest)
	if err != nil {
		return nil, false, err
	}
	if a.user != "" {
		j.User = a.user
	}
	if a.port != 0 {
		j.Port = a.port
	}
	j.KeyFiles = a.keys
	j.Jump = a.jump
	return j, false, nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	return n, nil
}

func parseSeconds(s string) (time.Duration, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a number of seconds", s)
	}
	return time.Duration(n) * time.Second, nil
}

// SplitWords splits s into words the way a POSIX shell would (single and
// double quotes, backslashes, line continuations; no expansions).
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				if s[i] != '\n' {
					cur.WriteByte(s[i])
				}
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '"' {
					closed = true
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if !closed {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
