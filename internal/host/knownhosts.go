package host

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsMu serialises the check-and-append of every known_hosts file:
// many hosts connect in parallel under accept-new.
var knownHostsMu sync.Mutex

// HostKeyError is a host key that failed the known_hosts check. It is always
// wrapped in an *UnreachableError.
type HostKeyError struct {
	Host        string // inventory name
	Addr        string // host:port as dialled
	Fingerprint string // SHA256 fingerprint of the key the host offered
	KeyType     string
	File        string // the known_hosts file
	Line        int    // line of the known key that differs; 0 when unknown
	Changed     bool   // a different key of the same type is known for the host
	Revoked     bool   // the key is marked @revoked
}

// Error says what is wrong with the key, in OpenSSH's words where it has
// some, and for a changed key how to remove the old one.
func (e *HostKeyError) Error() string {
	switch {
	case e.Revoked:
		return fmt.Sprintf("host key for %s (%s) is revoked in %s:%d (%s %s)",
			e.Host, e.Addr, e.File, e.Line, e.KeyType, e.Fingerprint)
	case e.Changed:
		return fmt.Sprintf("host key for %s (%s) has changed: the host offered %s %s but %s:%d holds another key; "+
			"someone could be eavesdropping (man-in-the-middle attack) or the host key was replaced; "+
			"if the change is expected remove the old key with: ssh-keygen -f %q -R %q",
			e.Host, e.Addr, e.KeyType, e.Fingerprint, e.File, e.Line, e.File, knownhosts.Normalize(e.Addr))
	default:
		return fmt.Sprintf("no host key is known for %s (%s) in %s and host key checking is strict (the host offered %s %s)",
			e.Host, e.Addr, e.File, e.KeyType, e.Fingerprint)
	}
}

// hostKeyCheck returns the host key callback for cfg, and the host key
// algorithms to ask for: those of the keys already known for the host, so
// that a host with several keys offers one that can be checked.
func hostKeyCheck(cfg SSHConfig) (ssh.HostKeyCallback, []string, error) {
	if cfg.HostKeyChecking == HostKeyOff {
		return ssh.InsecureIgnoreHostKey(), nil, nil
	}
	file := cfg.KnownHostsFile
	db, err := readKnownHosts(file)
	if err != nil {
		return nil, nil, err
	}
	addr := cfg.addr()
	algos := knownAlgorithms(db, addr)
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := classify(db(hostname, remote, key), cfg, file, key)
		var he *HostKeyError
		if !errors.As(err, &he) || he.Changed || he.Revoked || cfg.HostKeyChecking == HostKeyStrict {
			return err
		}
		return acceptNew(cfg, file, hostname, remote, key)
	}
	return cb, algos, nil
}

// readKnownHosts parses file; a missing file is an empty database.
func readKnownHosts(file string) (ssh.HostKeyCallback, error) {
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return knownhosts.New()
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, fmt.Errorf("read known hosts: %w", err)
	}
	return cb, nil
}

// classify turns a knownhosts error into a *HostKeyError. A known key of
// another type only is treated as unknown, as OpenSSH does.
func classify(err error, cfg SSHConfig, file string, key ssh.PublicKey) error {
	if err == nil {
		return nil
	}
	he := &HostKeyError{Host: cfg.Name, Addr: cfg.addr(), File: file,
		KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key)}
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		he.Revoked, he.File, he.Line = true, re.Revoked.Filename, re.Revoked.Line
	case errors.As(err, &ke):
		for _, k := range ke.Want {
			if k.Key.Type() == key.Type() {
				he.Changed, he.File, he.Line = true, k.Filename, k.Line
				break
			}
		}
	default:
		return err
	}
	return he
}

// acceptNew records key for hostname unless, read again under the lock, the
// file now knows it (another connection recorded it) or knows another.
func acceptNew(cfg SSHConfig, file, hostname string, remote net.Addr, key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	db, err := readKnownHosts(file)
	if err != nil {
		return err
	}
	err = classify(db(hostname, remote, key), cfg, file, key)
	var he *HostKeyError
	if !errors.As(err, &he) || he.Changed || he.Revoked {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n"
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	return nil
}

// knownAlgorithms returns the host key algorithms to offer: first those of
// the keys db knows for addr (found by checking a key it cannot know), then
// the others; nil when none is known.
func knownAlgorithms(db ssh.HostKeyCallback, addr string) []string {
	err := db(addr, &net.TCPAddr{IP: net.IPv4zero}, probeKey)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range ke.Want {
		t := k.Key.Type()
		if seen[t] {
			continue
		}
		seen[t] = true
		if t == ssh.KeyAlgoRSA {
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256)
		}
		algos = append(algos, t)
	}
	if len(algos) == 0 {
		return nil
	}
	for _, a := range ssh.SupportedAlgorithms().HostKeys {
		if !slices.Contains(algos, a) {
			algos = append(algos, a)
		}
	}
	return algos
}

// probeKey is a fixed ed25519 public key that no host has.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic(err)
	}
	return k
}()
