package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/sys/unix"
)

// Dial connects to the host of cfg and returns its Executor. The connection
// is meant to last the whole run: every Run opens a new session on it, and
// file operations share one SFTP client opened on first use.
//
// Every failure to connect — TCP, timeout, handshake, host key, keys,
// authentication, jump host — is an *UnreachableError; a cancelled ctx
// returns ctx.Err() wrapped. cfg.Timeout bounds the TCP connect plus the
// handshake of each hop. With cfg.HostKeyChecking off any key is accepted and
// the caller should say so.
func Dial(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	unreachable := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("connect to %s: %w", cfg.Name, ctx.Err())
		}
		return &UnreachableError{Host: cfg.Name, Err: err}
	}
	auth, closeAgent, err := authMethods(cfg)
	if err != nil {
		return nil, unreachable(err)
	}
	defer closeAgent()
	hostKeys, algos, err := hostKeyCheck(cfg)
	if err != nil {
		return nil, unreachable(err)
	}
	var hostKeyErr atomic.Pointer[error] // set by the key exchange goroutine
	cc := &ssh.ClientConfig{
		User: cfg.User,
		Auth: auth,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			err := hostKeys(hostname, remote, key)
			if err != nil {
				hostKeyErr.Store(&err)
			}
			return err
		},
		HostKeyAlgorithms: algos,
		Timeout:           cfg.Timeout,
	}

	var jump *SSH
	if cfg.Jump != nil {
		if jump, err = Dial(ctx, *cfg.Jump); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, &UnreachableError{Host: cfg.Name, Err: fmt.Errorf("via jump host: %w", err)}
		}
	}
	deadline := time.Now().Add(cfg.Timeout)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	addr := cfg.addr()
	var conn net.Conn
	if jump != nil {
		conn, err = jump.client.DialContext(dctx, "tcp", addr)
		if err != nil {
			err = fmt.Errorf("dial %s through %s: %w", addr, jump.cfg.Name, err)
		}
	} else {
		conn, err = dialTCP(dctx, cfg.Netns, addr)
		if err == nil {
			conn = withQuickAck(conn)
		}
	}
	if err != nil {
		closeJump(jump)
		return nil, unreachable(err)
	}
	client, err := handshake(dctx, conn, addr, cc)
	if err != nil {
		closeJump(jump)
		if hkErr := hostKeyErr.Load(); hkErr != nil {
			return nil, unreachable(*hkErr)
		}
		return nil, unreachable(fmt.Errorf("ssh %s@%s: %w", cfg.User, addr, err))
	}
	return newSSH(cfg, client, jump), nil
}

func closeJump(j *SSH) {
	if j != nil {
		_ = j.Close()
	}
}

// handshake runs the SSH handshake on conn, bounded by ctx's deadline: a
// deadline on the connection where it supports one, and closing it
// otherwise (connections through a jump host have no deadlines).
func handshake(ctx context.Context, conn net.Conn, addr string, cc *ssh.ClientConfig) (*ssh.Client, error) {
	deadline, _ := ctx.Deadline()
	hasDeadline := conn.SetDeadline(deadline) == nil
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cc)
	if !stop() {
		if err == nil {
			c.Close()
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("no ssh handshake within %s", cc.Timeout)
		}
		return nil, ctx.Err()
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("no ssh handshake within %s", cc.Timeout)
		}
		return nil, err
	}
	if hasDeadline {
		_ = conn.SetDeadline(time.Time{})
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// dialTCP connects to addr, from inside the network namespace netns when set.
func dialTCP(ctx context.Context, netns, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: 30 * time.Second}
	if netns == "" {
		return d.DialContext(ctx, "tcp", addr)
	}
	// Resolve here: resolution and Happy Eyeballs run other goroutines,
	// which would not be in the namespace. Then dial IP literals serially.
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var conn net.Conn
	err = inNetns(netns, func() error {
		var errs []error
		for _, ip := range ips {
			c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
			if err == nil {
				conn = c
				return nil
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, fmt.Errorf("in network namespace %s: %w", netns, err)
	}
	return conn, nil
}

// inNetns runs fn on a locked OS thread switched into the network namespace
// netns. Sockets fn creates stay in that namespace. If the thread cannot be
// switched back, its goroutine ends still locked, so the runtime discards
// the thread instead of reusing it.
func inNetns(netns string, fn func() error) error {
	path := netns
	if !strings.HasPrefix(path, "/") {
		path = filepath.Join("/run/netns", netns)
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		orig, err := unix.Open(self, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open current network namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open network namespace: %w", &os.PathError{Op: "open", Path: path, Err: err})
			return
		}
		err = unix.Setns(target, unix.CLONE_NEWNET)
		unix.Close(target)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Stay locked: the thread dies with this goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("return to the original network namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// authMethods returns public key (key files, then agent), password and
// keyboard-interactive methods, and a func that closes the agent connection.
func authMethods(cfg SSHConfig) ([]ssh.AuthMethod, func(), error) {
	var signers []ssh.Signer
	for _, f := range cfg.KeyFiles {
		s, err := loadKey(f, cfg.Passphrase, cfg.Password, true)
		if err != nil {
			return nil, nil, err
		}
		signers = append(signers, s)
	}
	if len(cfg.KeyFiles) == 0 {
		home, _ := os.UserHomeDir()
		for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			if s, err := loadKey(filepath.Join(home, ".ssh", name), cfg.Passphrase, cfg.Password, false); err == nil && s != nil {
				signers = append(signers, s)
			}
		}
	}
	closeAgent := func() {}
	var ag agent.ExtendedAgent
	if sock := os.Getenv("SSH_AUTH_SOCK"); cfg.UseAgent && sock != "" {
		if c, err := net.DialTimeout("unix", sock, cfg.Timeout); err == nil {
			ag = agent.NewClient(c)
			closeAgent = func() { c.Close() }
		}
	}
	var methods []ssh.AuthMethod
	if len(signers) > 0 || ag != nil {
		methods = append(methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			all := signers
			if ag != nil {
				if more, err := ag.Signers(); err == nil {
					all = append(all[:len(all):len(all)], more...)
				}
			}
			return all, nil
		}))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		methods = append(methods, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	return methods, closeAgent, nil
}

// loadKey reads a private key file, decrypting it with passphrase or else
// password. With required false a missing or undecryptable key is nil.
func loadKey(file, passphrase, password string, required bool) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		if !required {
			return nil, nil
		}
		return nil, fmt.Errorf("read key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		if err != nil && required {
			return nil, fmt.Errorf("key %s: %w", file, err)
		}
		return s, nil
	}
	for _, p := range []string{passphrase, password} {
		if p == "" {
			continue
		}
		if s, err := ssh.ParsePrivateKeyWithPassphrase(pem, []byte(p)); err == nil {
			return s, nil
		}
	}
	if !required {
		return nil, nil
	}
	if passphrase == "" && password == "" {
		return nil, fmt.Errorf("key %s is encrypted and no passphrase was given", file)
	}
	return nil, fmt.Errorf("key %s: the passphrase is wrong", file)
}
