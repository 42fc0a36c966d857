package host

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"lvslab/internal/infile"
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
	Revoked     bool   // the key (or the authority that signed its certificate) is marked @revoked
	Cert        string // why a host certificate was refused; empty when none was
}

// unknown reports whether the host's key is merely not known: the one case
// that accept-new may record.
func (e *HostKeyError) unknown() bool { return !e.Changed && !e.Revoked && e.Cert == "" }

// Error says what is wrong with the key, in OpenSSH's words where it has
// some, and for a changed key how to remove the old one.
func (e *HostKeyError) Error() string {
	switch {
	case e.Revoked && e.Cert != "":
		return fmt.Sprintf("host certificate of %s (%s) is refused: %s in %s:%d",
			e.Host, e.Addr, e.Cert, e.File, e.Line)
	case e.Cert != "":
		return fmt.Sprintf("host certificate of %s (%s) signed by the certificate authority of %s:%d is refused: %s (%s %s)",
			e.Host, e.Addr, e.File, e.Line, e.Cert, e.KeyType, e.Fingerprint)
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
// that a host with several keys offers one that can be checked, and host
// certificates first where an authority is known for it.
func hostKeyCheck(cfg SSHConfig) (ssh.HostKeyCallback, []string, error) {
	if cfg.HostKeyChecking == HostKeyOff {
		return ssh.InsecureIgnoreHostKey(), nil, nil
	}
	file := cfg.KnownHostsFile
	kh, err := readKnownHosts(file)
	if err != nil {
		return nil, nil, err
	}
	algos := kh.algorithms(cfg.addr())
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := kh.check(cfg, hostname, key)
		var he *HostKeyError
		if !errors.As(err, &he) || !he.unknown() || cfg.HostKeyChecking == HostKeyStrict {
			return err
		}
		return acceptNew(cfg, file, hostname, plainKey(key))
	}
	return cb, algos, nil
}

// knownHosts is a known_hosts file read as OpenSSH reads it. x/crypto's
// knownhosts parses it and matches the host patterns, but counts a
// @cert-authority key as a key of the host itself; ca tells those lines
// apart, so that a CA key is trusted only to sign host certificates.
type knownHosts struct {
	file string
	db   ssh.HostKeyCallback
	ca   map[int]bool // lines marked @cert-authority
}

// readKnownHosts parses file; a missing file is an empty database.
func readKnownHosts(file string) (*knownHosts, error) {
	kh := &knownHosts{file: file, ca: map[int]bool{}}
	data, err := infile.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		kh.db, err = knownhosts.New()
		return kh, err
	}
	if err != nil {
		return nil, fmt.Errorf("read known hosts: %w", err)
	}
	// Lines numbered as knownhosts numbers them (bufio.Scanner's lines).
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "@cert-authority" {
			kh.ca[i+1] = true
		}
	}
	if kh.db, err = knownhosts.New(file); err != nil {
		return nil, fmt.Errorf("read known hosts: %w", err)
	}
	return kh, nil
}

// anyRemote is the remote address given to the database: every check names
// the host, which knownhosts prefers to the address.
var anyRemote = &net.TCPAddr{IP: net.IPv4zero}

// match returns what the file holds for hostname (host:port): its host keys
// and, apart, the certificate authorities trusted for it.
func (kh *knownHosts) match(hostname string) (keys, cas []knownhosts.KnownKey) {
	var ke *knownhosts.KeyError
	if !errors.As(kh.db(hostname, anyRemote, probeKey), &ke) {
		return nil, nil
	}
	for _, k := range ke.Want {
		if kh.ca[k.Line] {
			cas = append(cas, k)
		} else {
			keys = append(keys, k)
		}
	}
	return keys, cas
}

// revoked returns the @revoked line of key, if any.
func (kh *knownHosts) revoked(hostname string, key ssh.PublicKey) *knownhosts.KnownKey {
	var re *knownhosts.RevokedError
	if errors.As(kh.db(hostname, anyRemote, key), &re) {
		return &re.Revoked
	}
	return nil
}

// check checks the key a host offers as OpenSSH does: a @revoked key (or
// certificate authority) is refused; a host certificate signed by an
// authority that a @cert-authority line trusts for the host must be a
// valid host certificate naming the host; one that no such line trusts is
// checked as its plain key; a plain key must be one of the host's keys,
// never an authority's.
func (kh *knownHosts) check(cfg SSHConfig, hostname string, key ssh.PublicKey) error {
	plain := plainKey(key)
	he := &HostKeyError{Host: cfg.Name, Addr: cfg.addr(), File: kh.file,
		KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(plain)}
	if r := kh.revoked(hostname, plain); r != nil {
		he.Revoked, he.File, he.Line = true, r.Filename, r.Line
		return he
	}
	keys, cas := kh.match(hostname)
	if cert, ok := key.(*ssh.Certificate); ok {
		if r := kh.revoked(hostname, cert.SignatureKey); r != nil {
			he.Revoked, he.File, he.Line = true, r.Filename, r.Line
			he.Cert = "its certificate authority " + ssh.FingerprintSHA256(cert.SignatureKey) + " is revoked"
			return he
		}
		for _, ca := range cas {
			if !keyEqual(ca.Key, cert.SignatureKey) {
				continue
			}
			if err := checkHostCert(hostname, cert); err != nil {
				he.File, he.Line, he.Cert = ca.Filename, ca.Line, err.Error()
				return he
			}
			return nil
		}
	}
	for _, k := range keys {
		if keyEqual(k.Key, plain) {
			return nil
		}
	}
	for _, k := range keys {
		if k.Key.Type() == plain.Type() {
			he.Changed, he.File, he.Line = true, k.Filename, k.Line
			break
		}
	}
	return he
}

// checkHostCert checks that cert is a host certificate for the host of
// hostname (host:port), valid now, with a signature that verifies.
func checkHostCert(hostname string, cert *ssh.Certificate) error {
	if cert.CertType != ssh.HostCert {
		return errors.New("it is a user certificate, not a host certificate")
	}
	h, _, err := net.SplitHostPort(hostname)
	if err != nil {
		h = hostname
	}
	var c ssh.CertChecker
	if err := c.CheckCert(h, cert); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "ssh: "))
	}
	return nil
}

// plainKey is key, or the key a certificate certifies.
func plainKey(key ssh.PublicKey) ssh.PublicKey {
	if c, ok := key.(*ssh.Certificate); ok {
		return c.Key
	}
	return key
}

func keyEqual(a, b ssh.PublicKey) bool { return bytes.Equal(a.Marshal(), b.Marshal()) }

// acceptNew records key for hostname unless, read again under the lock, the
// file now knows it (another connection recorded it) or knows another.
func acceptNew(cfg SSHConfig, file, hostname string, key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	kh, err := readKnownHosts(file)
	if err != nil {
		return err
	}
	err = kh.check(cfg, hostname, key)
	var he *HostKeyError
	if !errors.As(err, &he) || !he.unknown() {
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

// algorithms returns the host key algorithms to offer for addr: host
// certificates first when an authority is trusted for it, then those of
// the keys known for it, then the others; nil when nothing is known.
func (kh *knownHosts) algorithms(addr string) []string {
	keys, cas := kh.match(addr)
	var algos []string
	if len(cas) > 0 {
		for _, a := range ssh.SupportedAlgorithms().HostKeys {
			if strings.Contains(a, "-cert-v01@") {
				algos = append(algos, a)
			}
		}
	}
	for _, k := range keys {
		t := k.Key.Type()
		if slices.Contains(algos, t) {
			continue
		}
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
