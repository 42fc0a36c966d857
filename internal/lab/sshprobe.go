package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// dialInNetns opens a TCP connection from the named network namespace. The
// socket is created on an OS thread moved into the namespace; that thread
// is never handed back to the scheduler and ends with its goroutine.
func dialInNetns(ctx context.Context, ns, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // no Unlock: the thread dies with the goroutine
		fd, err := unix.Open(netnsPath(ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{nil, fmt.Errorf("network namespace %s: %w", ns, err)}
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			ch <- result{nil, fmt.Errorf("enter network namespace %s: %w", ns, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// sshProbe logs in to addr (port 22, from namespace ns) as root with
// signer, accepts only hostKey, and runs `true`.
func sshProbe(ctx context.Context, ns, addr string, signer ssh.Signer, hostKey ssh.PublicKey) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := dialInNetns(ctx, ns, net.JoinHostPort(addr, "22"))
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	cfg := &ssh.ClientConfig{
		User:            "root",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
		Timeout:         10 * time.Second,
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		return err
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	s, err := client.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Run("true")
}

// waitSSH probes h until it answers or ctx ends; it returns how long it
// took. Early exit of the host's process ends the wait with its logs.
func waitSSH(ctx context.Context, labNetns string, h Host, p Proc, signer ssh.Signer, hostKey ssh.PublicKey, console string) (time.Duration, error) {
	start := time.Now()
	var last error
	for {
		if err := sshProbe(ctx, labNetns, h.MgmtAddr(), signer, hostKey); err == nil {
			return time.Since(start), nil
		} else {
			last = err
		}
		if !p.Alive() {
			logs := logTail(console)
			if p.Log != console {
				logs = logTail(p.Log) + logs
			}
			return 0, fmt.Errorf("%s: its %s exited%s", h.Name, p.Role, logs)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return 0, fmt.Errorf("%s: waiting for ssh: %w", h.Name, ctx.Err())
			}
			return 0, fmt.Errorf("%s: ssh not up at %s after %.0fs: %v%s", h.Name, h.MgmtAddr(), time.Since(start).Seconds(), last, logTail(console))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// logTail quotes the end of a host's log (the VM's serial console, or the
// container's console).
func logTail(log string) string {
	b, err := os.ReadFile(log)
	if err != nil || len(b) == 0 {
		return ""
	}
	return fmt.Sprintf(" (log %s):%s", log, tail(string(b), 15))
}
