package load

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event loops' system calls on their sockets never block (the
// sockets are non-blocking): they are made raw, without telling the
// scheduler, which saves its bookkeeping around each call. epoll_wait,
// which blocks, goes through unix.EpollWait.

// sockaddr is a socket address in the kernel's layout.
type sockaddr struct {
	family int
	v4     unix.RawSockaddrInet4
	v6     unix.RawSockaddrInet6
}

func newSockaddr(a netip.AddrPort) *sockaddr {
	sa := &sockaddr{family: unix.AF_INET}
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], a.Port())
	if ip := a.Addr(); ip.Is4() {
		sa.v4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
		copy((*[2]byte)(unsafe.Pointer(&sa.v4.Port))[:], port[:])
	} else {
		sa.family = unix.AF_INET6
		sa.v6 = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16()}
		copy((*[2]byte)(unsafe.Pointer(&sa.v6.Port))[:], port[:])
	}
	return sa
}

func (sa *sockaddr) ptr() (unsafe.Pointer, uintptr) {
	if sa.family == unix.AF_INET {
		return unsafe.Pointer(&sa.v4), unsafe.Sizeof(sa.v4)
	}
	return unsafe.Pointer(&sa.v6), unsafe.Sizeof(sa.v6)
}

// errno returns e as an error, nil for 0.
func errno(e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

func rawSocket(family int) (int, error) {
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	return int(fd), errno(e)
}

func rawConnect(fd int, sa *sockaddr) error {
	p, n := sa.ptr()
	_, _, e := unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(p), n)
	return errno(e)
}

func rawRead(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func rawClose(fd int) {
	_, _, _ = unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

func rawEpollAdd(ep, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(ep), unix.EPOLL_CTL_ADD, uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return errno(e)
}
