package load

import (
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The event-loop engine serves http:// targets (https:// keeps the
// goroutine per connection of client.go, for crypto/tls): as ab does, each
// loop is one goroutine on an OS thread of its own with an epoll instance
// of its own, and drives its connections as state machines with raw
// system calls, so that a request costs no goroutine switch, no poller
// registration of Go's and no finalizer. Requests, their results and the
// tallies are those of the other engine: the same answer parser (parse,
// on the bytes each read brings), the same causes, the same latency start
// points (closed loop: the request's start; open loop: its due time), the
// same retry of a kept connection closed before any byte.
//
// Every request of a run has the same Options.Timeout, so that a loop's
// deadlines come in the order its requests started: they are a list, the
// oldest first, and epoll_wait waits until the oldest one at most.

// goroutinesOnly makes http:// targets use the goroutine engine too (tests
// run both).
var goroutinesOnly bool

// evented reports whether the run uses event loops: http:// targets.
func (cl *client) evented() bool { return cl.tls == nil && !goroutinesOnly }

// slotState is where a slot's request is.
type slotState uint8

const (
	slotIdle       slotState = iota // no request
	slotConnecting                  // the handshake may not be over
	slotWriting                     // writing the request
	slotReading                     // reading the answer
	slotDraining                    // the answer is whole: reading up to the server's close
)

// slot is one request at a time of a loop, on its connection (kept
// between requests with keep-alive).
type slot struct {
	id    int32
	gen   int32 // of fd: events of an earlier connection are dropped
	fd    int   // -1 without a connection
	st    slotState
	in    bool // readable, as far as the events said and reads did not refute
	out   bool // writable, likewise
	hup   bool // the server closed or reset: read up to the end
	fault bool // connecting failed: SO_ERROR says why
	live  bool // fd is connected and may carry the next request

	reused, retried bool
	wrote           int
	from            time.Time // latency's start
	deadline        time.Time
	rd              reader
	p               parser
	res             result

	prev, next *slot // in the loop's deadline list while a request is in flight
}

// loop is one event loop: its connections, their deadlines, and in an open
// loop the schedule of the requests it sends (every len(loops)-th one).
type loop struct {
	r       *runner
	sh      *shard
	ep      int
	wake    int       // an eventfd that abort writes; -1 once closed (under r.mu)
	sa      *sockaddr // read-only
	names   names
	intern  func([]byte) string
	slots   []*slot
	idle    []*slot // slots without a request, a kept connection on top
	pending []*slot // closed loop: slots whose next request is to start
	busy    int     // slots with a request in flight
	head    *slot   // the deadline list, oldest first
	tail    *slot
	evs     []unix.EpollEvent

	// open loop
	next, stride int64 // the index of this loop's next request due, and the loops' number
	done         bool  // no more requests are due
}

// wakeID is the epoll data of a loop's eventfd.
const wakeID = -1

// newLoops makes the run's event loops (closed loop: each with its share
// of o.Concurrency slots), registered for abort.
func (r *runner) newLoops() error {
	n := runtime.GOMAXPROCS(0)
	if r.o.Rate > 0 {
		n = min(n, r.o.MaxInFlight)
	} else {
		n = min(n, r.o.Concurrency)
	}
	sa := newSockaddr(r.cl.addr)
	for i := range n {
		l := &loop{r: r, sh: &r.shards[i%len(r.shards)], ep: -1, wake: -1, sa: sa,
			names: names{}, next: int64(i), stride: int64(n)}
		l.intern = l.names.intern
		r.loops = append(r.loops, l)
		if err := l.open(); err != nil {
			r.closeLoops()
			return err
		}
		if r.o.Rate == 0 {
			for range r.o.Concurrency/n + btoi(i < r.o.Concurrency%n) {
				l.pending = append(l.pending, l.newSlot())
			}
		}
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// open makes the loop's epoll instance and eventfd.
func (l *loop) open() error {
	var err error
	if l.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	if l.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeID}
	if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, l.wake, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	l.evs = make([]unix.EpollEvent, 256)
	return nil
}

// closeLoops closes the loops' descriptors; the loops have ended (or
// never started).
func (r *runner) closeLoops() {
	for _, l := range r.loops {
		l.close()
	}
}

// close closes every descriptor of the loop.
func (l *loop) close() {
	for _, s := range l.slots {
		l.hangUp(s)
	}
	l.r.mu.Lock()
	if l.wake >= 0 {
		unix.Close(l.wake)
		l.wake = -1
	}
	l.r.mu.Unlock()
	if l.ep >= 0 {
		unix.Close(l.ep)
		l.ep = -1
	}
}

// alarm wakes the loop up (abort calls it, under r.mu).
func (l *loop) alarm() {
	if l.wake >= 0 {
		_, _ = unix.Write(l.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	}
}

func (l *loop) newSlot() *slot {
	s := &slot{id: int32(len(l.slots)), fd: -1}
	s.rd.buf = make([]byte, bufSize)
	l.slots = append(l.slots, s)
	return s
}

// run runs the loop until its requests are all sent and ended, or the run
// is aborted; it closes every descriptor of the loop.
func (l *loop) run(start time.Time) {
	defer l.r.wg.Done()
	defer l.close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var (
		end        = start.Add(l.r.o.Duration)
		perRequest = float64(time.Second) / l.r.o.Rate
		due        time.Time // of the next request, open loop
	)
	for {
		if l.r.aborted.Load() {
			return
		}
		now := time.Now()
		for l.head != nil && !l.head.deadline.After(now) {
			l.expire(l.head)
		}
		for len(l.pending) > 0 {
			s := l.pending[len(l.pending)-1]
			l.pending = l.pending[:len(l.pending)-1]
			l.nextClosed(s)
		}
		if l.r.o.Rate > 0 && !l.done {
			due = l.launch(start, end, perRequest)
		}
		if l.busy == 0 && len(l.pending) == 0 && (l.r.o.Rate == 0 || l.done) {
			return
		}
		wait := time.Duration(-1)
		if l.head != nil {
			wait = l.head.deadline.Sub(now)
		}
		if l.r.o.Rate > 0 && !l.done && (wait < 0 || due.Sub(now) < wait) {
			wait = due.Sub(now)
		}
		if len(l.pending) > 0 {
			wait = 0
		}
		ms := -1
		if wait >= 0 {
			ms = int((wait + time.Millisecond - 1) / time.Millisecond)
		}
		n, err := unix.EpollWait(l.ep, l.evs, ms)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return // cannot happen with a valid epoll instance
		}
		for _, ev := range l.evs[:n] {
			if ev.Fd == wakeID {
				continue // aborted
			}
			s := l.slots[ev.Fd]
			if ev.Pad != s.gen || s.fd < 0 {
				continue
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				s.in = true
			}
			if ev.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				s.out = true
			}
			if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				s.hup = true
			}
			if ev.Events&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				s.fault = true
			}
			l.advance(s)
		}
	}
}

// launch sends, open loop, the requests due by now and returns when the
// next one is due (l.done once none is).
func (l *loop) launch(start, end time.Time, perRequest float64) time.Time {
	r := l.r
	for {
		due := start.Add(time.Duration(float64(l.next) * perRequest))
		if !due.Before(end) || r.stop.Load() || (r.o.Requests > 0 && l.next >= r.o.Requests) {
			l.done = true
			return due
		}
		now := time.Now()
		if due.After(now) {
			return due
		}
		l.next += l.stride
		if r.inFlight.Add(1) > int64(r.o.MaxInFlight) {
			r.inFlight.Add(-1)
			res := result{cause: causeOverload}
			l.sh.record(&res, 0)
			continue
		}
		var s *slot
		if k := len(l.idle); k > 0 {
			s, l.idle = l.idle[k-1], l.idle[:k-1]
		} else {
			s = l.newSlot()
		}
		l.begin(s, due, now)
	}
}

// nextClosed starts the slot's next request, closed loop, unless the run
// stops.
func (l *loop) nextClosed(s *slot) {
	r := l.r
	if !r.stop.Load() && r.o.Requests > 0 && r.sent.Add(1) > r.o.Requests {
		r.stop.Store(true)
	}
	if r.stop.Load() {
		l.hangUp(s)
		return
	}
	now := time.Now()
	l.begin(s, now, now)
}

// begin starts a request on s, sent at now, its latency counted from from.
func (l *loop) begin(s *slot, from, now time.Time) {
	s.from, s.deadline, s.retried = from, now.Add(l.r.cl.timeout), false
	l.busy++
	s.prev, s.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = s
	} else {
		l.head = s
	}
	l.tail = s
	l.attempt(s)
}

// attempt sends the request on the kept connection or a new one.
func (l *loop) attempt(s *slot) {
	s.res, s.wrote = result{}, 0
	s.p = parser{intern: l.intern, name: s.p.name[:0]}
	s.reused = s.live
	s.live = false
	if s.reused {
		s.st, s.out = slotWriting, true
	} else if err := l.connect(s); err != nil {
		l.end(s, err)
		return
	}
	l.advance(s)
}

// connect starts connecting s to the target.
func (l *loop) connect(s *slot) error {
	fd, err := rawSocket(l.sa.family)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	switch err = rawConnect(fd, l.sa); err {
	case nil, unix.EINPROGRESS:
	default:
		rawClose(fd)
		return os.NewSyscallError("connect", err)
	}
	s.gen++
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: s.id, Pad: s.gen}
	if err := rawEpollAdd(l.ep, fd, &ev); err != nil {
		rawClose(fd)
		return os.NewSyscallError("epoll_ctl", err)
	}
	s.fd, s.in, s.out, s.hup, s.fault = fd, false, true, false, false
	s.rd.r, s.rd.w = 0, 0
	s.st = slotConnecting
	return nil
}

// advance takes s's request as far as the events seen allow.
func (l *loop) advance(s *slot) {
	for {
		switch s.st {
		case slotConnecting:
			// On loopback the handshake is often over when connect
			// returns: the write is tried at once (EAGAIN until it is).
			if s.fault {
				errno, err := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR)
				if err == nil && errno != 0 {
					err = syscall.Errno(errno)
				}
				if err != nil {
					l.end(s, os.NewSyscallError("connect", err))
					return
				}
			}
			s.st = slotWriting
		case slotWriting:
			if !s.out {
				return
			}
			req := l.r.cl.req
			n, err := rawWrite(s.fd, req[s.wrote:])
			if err == unix.EAGAIN {
				s.out = false
				return
			}
			if err != nil {
				l.end(s, os.NewSyscallError("write", err))
				return
			}
			if s.wrote += n; s.wrote == len(req) {
				s.st = slotReading
			}
		case slotReading, slotDraining:
			if !s.in {
				return
			}
			if s.st == slotDraining {
				s.rd.r = s.rd.w
			}
			if !l.read(s) {
				return
			}
		default:
			return
		}
	}
}

// read reads once and hands the bytes to the parser; it reports whether
// the request is still where it was (a request that ended is not).
func (l *loop) read(s *slot) bool {
	p, err := s.rd.space()
	if err != nil {
		l.end(s, err)
		return false
	}
	n, err := rawRead(s.fd, p)
	switch {
	case err == unix.EAGAIN:
		s.in = false
		return false
	case err != nil && s.st == slotDraining:
		l.end(s, nil) // the answer is whole: how the server closes does not matter
		return false
	case err != nil:
		l.end(s, os.NewSyscallError("read", err))
		return false
	case n == 0 && s.st == slotDraining:
		l.end(s, nil)
		return false
	case n == 0:
		done, err := s.p.eof(&s.rd)
		if done {
			s.res.end = time.Now()
		}
		l.end(s, err)
		return false
	}
	s.rd.got(n)
	if n < len(p) && !s.hup {
		s.in = false // edge-triggered: a short read emptied the socket, more bytes bring an event
	}
	if s.st == slotDraining {
		return true
	}
	done, err := s.rd.parse(&s.p)
	switch {
	case err != nil:
		l.end(s, err)
		return false
	case !done:
		return true
	}
	s.res.end = time.Now()
	if l.r.cl.keepAlive && !s.p.close {
		s.live = true
		l.end(s, nil)
		return false
	}
	// The server closes first (the answer said so, or we asked it to), so
	// that TIME_WAIT stays on its side.
	s.st = slotDraining
	return true
}

// expire ends s's request at its deadline.
func (l *loop) expire(s *slot) {
	if s.st == slotDraining {
		l.end(s, nil)
		return
	}
	l.end(s, os.ErrDeadlineExceeded)
}

// end ends s's request with err (nil: the answer is whole), retrying it
// once on a new connection when a kept one was closed, and records it.
func (l *loop) end(s *slot, err error) {
	if retry(err, s.reused && !s.retried, s.rd.n) {
		s.retried = true
		l.hangUp(s)
		l.attempt(s)
		return
	}
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		l.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		l.tail = s.prev
	}
	s.prev, s.next = nil, nil
	l.busy--
	if !s.live {
		l.hangUp(s)
	}
	s.st = slotIdle
	res := &s.res
	res.status, res.server, res.bytes = s.p.status, s.p.server, s.rd.take()
	res.conclude(err)
	l.r.record(l.sh, res, s.from)
	if l.r.o.Rate > 0 {
		l.r.inFlight.Add(-1)
		l.idle = append(l.idle, s)
	} else {
		l.pending = append(l.pending, s)
	}
}

// hangUp closes s's connection.
func (l *loop) hangUp(s *slot) {
	if s.fd >= 0 {
		rawClose(s.fd) // which takes it out of the epoll instance
		s.fd = -1
	}
	s.live = false
}
