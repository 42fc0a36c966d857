package drill

import (
	"context"
	"strings"
	"sync"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/ipvs"
	"lvslab/internal/lvs"
)

// pollCommand prints, in one round trip, the director's VRRP role
// (lvs.RoleCommand) and its IPVS table (ipvsadm -S -n).
const pollCommand = lvs.RoleCommand + "\necho '" + ipvsMark + "'\nipvsadm -S -n 2>/dev/null\ntrue"

const ipvsMark = "--- ipvs"

// Sight is what one poll of a director saw.
type Sight struct {
	At        time.Time
	Director  string
	Reachable bool
	Role      lvs.Role
	// Pool is every real server address of the loaded virtual service
	// with its weight (0: drained or failed, as keepalived's
	// inhibit_on_failure leaves it).
	Pool map[string]int
}

// InPool reports whether addr takes new connections: listed with a
// weight above 0.
func (s Sight) InPool(addr string) bool { return s.Pool[addr] > 0 }

// parseSight reads pollCommand's output; the pool is that of the virtual
// service service ("TCP 192.168.30.100:80", "FWM 99").
func parseSight(director, vip, service, out string) Sight {
	role, table, _ := strings.Cut(out, ipvsMark+"\n")
	s := Sight{Director: director, Reachable: true, Role: lvs.ParseRole(director, role, vip), Pool: map[string]int{}}
	t, err := ipvs.ParseSave(table)
	if err != nil {
		return s
	}
	for _, svc := range t {
		if svc.Key() != service {
			continue
		}
		for _, d := range svc.Dests {
			a := d.Addr.Addr().String()
			if w, ok := s.Pool[a]; !ok || d.Weight > w {
				s.Pool[a] = d.Weight
			}
		}
	}
	return s
}

// Dialer connects to an inventory host.
type Dialer func(ctx context.Context, name string) (host.Executor, error)

// watcher polls every director, each from a goroutine of its own with a
// connection it makes again when one fails (a director that is powered
// off, or booting), and keeps the last sight of each.
type watcher struct {
	dial    Dialer
	vip     string
	service string
	every   time.Duration
	timeout time.Duration

	mu     sync.Mutex
	last   map[string]Sight
	seen   []Sight // every sight that differs from the director's last one
	notify chan struct{}
}

func newWatcher(dial Dialer, vip, service string, every time.Duration) *watcher {
	return &watcher{dial: dial, vip: vip, service: service, every: every, timeout: 3 * time.Second,
		last: map[string]Sight{}, notify: make(chan struct{}, 1)}
}

// run polls director until ctx ends. A connection that fails or hangs
// is dropped (closed in the background: closing one to a host that went
// away may take the transport's own time) and made again at the next poll.
func (w *watcher) run(ctx context.Context, director string) {
	var h host.Executor
	drop := func() {
		if h != nil {
			go h.Close()
			h = nil
		}
	}
	defer drop()
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	for {
		s := Sight{Director: director}
		if h == nil {
			h = w.connect(ctx, director)
		}
		if h != nil {
			if out, ok := w.poll(ctx, h); ok {
				s = parseSight(director, w.vip, w.service, out)
			} else {
				drop()
			}
		}
		if ctx.Err() != nil {
			return
		}
		s.At = time.Now()
		w.record(s)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// connect dials director, giving up after the timeout whatever the
// transport does (a connection made later is closed).
func (w *watcher) connect(ctx context.Context, director string) host.Executor {
	dctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	got := make(chan host.Executor, 1)
	go func() {
		h, err := w.dial(dctx, director)
		if err != nil {
			h = nil
		}
		got <- h
	}()
	select {
	case h := <-got:
		return h
	case <-dctx.Done():
		go func() {
			if h := <-got; h != nil {
				h.Close()
			}
		}()
		return nil
	}
}

// poll runs pollCommand on h, giving up after the timeout.
func (w *watcher) poll(ctx context.Context, h host.Executor) (string, bool) {
	rctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	type polled struct {
		out string
		err error
	}
	got := make(chan polled, 1)
	go func() {
		res, err := h.Run(rctx, pollCommand, host.RunOpts{})
		got <- polled{res.Stdout, err}
	}()
	select {
	case p := <-got:
		return p.out, p.err == nil
	case <-rctx.Done():
		return "", false
	}
}

// record keeps s, and s in the history when it changed anything.
func (w *watcher) record(s Sight) {
	w.mu.Lock()
	prev, ok := w.last[s.Director]
	w.last[s.Director] = s
	if !ok || !sameSight(prev, s) {
		w.seen = append(w.seen, s)
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

func sameSight(a, b Sight) bool {
	if a.Reachable != b.Reachable || a.Role != b.Role || len(a.Pool) != len(b.Pool) {
		return false
	}
	for k, v := range a.Pool {
		if w, ok := b.Pool[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// snapshot is the last sight of every director polled at or after since
// (those polled before are missing).
func (w *watcher) snapshot(since time.Time) map[string]Sight {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]Sight{}
	for k, s := range w.last {
		if !s.At.Before(since) {
			out[k] = s
		}
	}
	return out
}

// history is every change seen, in order.
func (w *watcher) history() []Sight {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Sight(nil), w.seen...)
}

// holder is the director holding the VIP in sights, "" for none, and
// whether more than one holds it.
func holder(sights map[string]Sight) (name string, split bool) {
	for d, s := range sights {
		if s.Reachable && s.Role.HasVIP {
			if name != "" {
				return name, true
			}
			name = d
		}
	}
	return name, false
}
