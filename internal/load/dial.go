package load

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
)

// connectTCP starts connecting to addr with the system calls a connection
// needs and no more: a non-blocking socket, connect, the poller's
// registration; established then waits for the end of the handshake,
// within the deadlines set on the connection. net.Dialer adds, for every
// connection, a context and its timer, TCP_NODELAY (one write per request
// has nothing to wait for), getsockname and getpeername, and a bind when
// given a local address.
func connectTCP(addr netip.AddrPort) (*fileConn, error) {
	family, sa := syscall.AF_INET, syscall.Sockaddr(nil)
	if ip := addr.Addr(); ip.Is4() {
		sa = &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: ip.As4()}
	} else {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(addr.Port()), Addr: ip.As16()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	switch err = syscall.Connect(fd, sa); err {
	case nil, syscall.EINPROGRESS:
	default:
		syscall.Close(fd)
		return nil, os.NewSyscallError("connect", err)
	}
	// A non-blocking descriptor: os.File registers it with the poller,
	// and its deadlines work.
	return &fileConn{File: os.NewFile(uintptr(fd), "tcp"), sa: sa, connected: err == nil}, nil
}

// fileConn is a TCP socket as a net.Conn (for crypto/tls, and deadlines).
type fileConn struct {
	*os.File
	sa        syscall.Sockaddr
	connected bool
}

// established waits until the connection is established or has failed.
func (c *fileConn) established() error {
	if c.connected {
		return nil
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	err = rc.Write(func(fd uintptr) bool {
		// Connecting again tells how the first one is doing, whatever
		// events the poller saw before it was asked.
		switch err := syscall.Connect(int(fd), c.sa); err {
		case syscall.EALREADY, syscall.EINPROGRESS, syscall.EINTR:
			return false // wait until writable
		case nil, syscall.EISCONN:
		default:
			cerr = os.NewSyscallError("connect", err)
		}
		return true
	})
	if err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	c.connected = err == nil
	return err
}

// LocalAddr is unused by lvslab and tls.
func (c *fileConn) LocalAddr() net.Addr { return &net.TCPAddr{} }

// RemoteAddr is unused by lvslab and tls.
func (c *fileConn) RemoteAddr() net.Addr { return &net.TCPAddr{} }
