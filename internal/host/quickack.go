package host

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// quickAckConn acknowledges every TCP segment at once: it re-arms
// TCP_QUICKACK after each read (Linux turns it off again by itself).
//
// Without it the first session of every connection waits ~40 ms: right
// after authentication sshd sends small packets the client has no reason to
// answer (hostkeys-00@openssh.com), so their ACK is delayed; sshd, which sets
// no TCP_NODELAY for sessions without a terminal, then holds the session's
// channel confirmation back under Nagle's algorithm until that delayed ACK
// comes. One setsockopt per read costs about a microsecond.
type quickAckConn struct {
	net.Conn
	raw syscall.RawConn
}

// withQuickAck wraps a TCP connection; other connections (a jump host's
// channels) are returned as they are.
func withQuickAck(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	q := &quickAckConn{Conn: c, raw: raw}
	q.arm()
	return q
}

func (q *quickAckConn) Read(p []byte) (int, error) {
	n, err := q.Conn.Read(p)
	q.arm()
	return n, err
}

func (q *quickAckConn) arm() {
	_ = q.raw.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
}
