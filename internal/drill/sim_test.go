package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/load"
	"lvslab/internal/lvs"
)

// lab is a simulated LVS lab for the drill's own logic: directors that
// run keepalived or not, are up or reset, and real servers whose nginx
// runs or not. The VIP belongs to the first director (by priority) that is
// up with keepalived running, takeover ms after the last holder went; the
// holder's pool drops a real server detect ms after its nginx stopped and
// takes it back as long after it started (when checks is set: without
// keepalived's checks, the pool never changes).
type lab struct {
	mu        sync.Mutex
	vip       string
	directors []string
	servers   []lvs.Server
	checks    bool
	detect    time.Duration
	takeover  time.Duration
	boot      time.Duration
	// failAfterLeave: requests keep failing after a server left the pool.
	failAfterLeave bool

	nginx      map[string]time.Time // real server -> when its nginx changed
	nginxUp    map[string]bool
	keepalived map[string]bool
	downUntil  map[string]time.Time
	holder     string
	lostAt     time.Time // when the last holder went
	ran        []string  // every fault and restore command, "host: cmd"
}

func newLab(directors int, checks bool) *lab {
	l := &lab{vip: "10.0.0.100", checks: checks, detect: 300 * time.Millisecond, takeover: 300 * time.Millisecond,
		boot: time.Second, nginx: map[string]time.Time{}, nginxUp: map[string]bool{}, keepalived: map[string]bool{},
		downUntil: map[string]time.Time{}}
	for i := 0; i < directors; i++ {
		name := fmt.Sprintf("d%d", i+1)
		l.directors = append(l.directors, name)
		l.keepalived[name] = checks
	}
	for i := 1; i <= 2; i++ {
		s := lvs.Server{Name: fmt.Sprintf("rs%02d", i), Addr: fmt.Sprintf("10.0.1.%d", i), Weight: 1}
		l.servers = append(l.servers, s)
		l.nginxUp[s.Name] = true
	}
	l.holder = l.directors[0]
	return l
}

func (l *lab) config() lvs.Config {
	return lvs.Config{Mode: "dr", VIP: l.vip, Ports: []int{80}, HA: l.checks, Directors: l.directors,
		Director: l.directors[0], Servers: l.servers}
}

// up reports whether director d runs, at now (a reset one boots with
// keepalived running, as it is enabled).
func (l *lab) up(d string, now time.Time) bool { return !now.Before(l.downUntil[d]) }

// elect moves the VIP as keepalived would, at now.
func (l *lab) elect(now time.Time) {
	if l.holder != "" && l.up(l.holder, now) && (l.keepalived[l.holder] || !l.checks) {
		// a higher-priority director back preempts
		for _, d := range l.directors {
			if d == l.holder {
				return
			}
			if l.up(d, now) && l.keepalived[d] {
				break
			}
		}
	}
	if l.holder != "" {
		l.holder, l.lostAt = "", now
	}
	if now.Sub(l.lostAt) < l.takeover {
		return
	}
	for _, d := range l.directors {
		if l.up(d, now) && l.keepalived[d] {
			l.holder = d
			return
		}
	}
}

// inPool reports whether the holder's pool has rs, at now.
func (l *lab) inPool(rs string, now time.Time) bool {
	if !l.checks {
		return true
	}
	return l.nginxUp[rs] == (now.Sub(l.nginx[rs]) >= l.detect)
}

func (l *lab) poll(d string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "addr=10.254.0.%d\n", len(d))
	if l.holder == d {
		fmt.Fprintf(&b, "addr=%s\n", l.vip)
	}
	if l.keepalived[d] {
		b.WriteString("keepalived=running\n")
	}
	b.WriteString(ipvsMark + "\n")
	if l.holder == d || !l.checks {
		fmt.Fprintf(&b, "-A -t %s:80 -s rr\n", l.vip)
		for _, s := range l.servers {
			if l.inPool(s.Name, now) {
				fmt.Fprintf(&b, "-a -t %s:80 -r %s:80 -g -w %d\n", l.vip, s.Addr, s.Weight)
			}
		}
	}
	return b.String()
}

// exec runs cmd on name.
func (l *lab) exec(name, cmd string) (host.Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.elect(now)
	if !l.up(name, now) {
		return host.Result{}, fmt.Errorf("%s: %w", name, host.ErrUnreachable)
	}
	switch cmd {
	case pollCommand:
		return host.Result{Stdout: l.poll(name, now)}, nil
	case isContainer, "sync":
		return host.Result{}, nil
	}
	l.ran = append(l.ran, name+": "+cmd)
	switch cmd {
	case stopNginx, startNginx:
		l.nginxUp[name], l.nginx[name] = cmd == startNginx, now
	case stopKeepalived, startKeepalived:
		l.keepalived[name] = cmd == startKeepalived
	case resetHost:
		l.downUntil[name] = now.Add(l.boot)
	default:
		return host.Result{ExitCode: 127}, nil
	}
	l.elect(now)
	return host.Result{}, nil
}

// interval is what the client saw of n requests at now: through the
// holder, rr over the servers in its pool; a stopped nginx refuses.
func (l *lab) interval(n int, now time.Time) (completed, failed int64, servers map[string]int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.elect(now)
	servers = map[string]int64{}
	if l.holder == "" {
		return 0, int64(n), servers
	}
	var pool []string
	for _, s := range l.servers {
		if l.inPool(s.Name, now) || l.failAfterLeave && !l.nginxUp[s.Name] {
			pool = append(pool, s.Name)
		}
	}
	for i := 0; i < n && len(pool) > 0; i++ {
		s := pool[i%len(pool)]
		if l.nginxUp[s] {
			completed++
			servers[s]++
		} else {
			failed++
		}
	}
	return completed, failed, servers
}

// source is the simulated client: every interval, rate x interval
// requests.
type source struct{ l *lab }

func (source) Name() string { return "client" }

func (s source) Load(ctx context.Context, spec load.AgentSpec, on func(load.Event)) (load.Event, error) {
	start := time.Now()
	every := spec.Options.Interval
	n := int(spec.Options.Rate * every.Seconds())
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return load.Event{}, ctx.Err()
		case now := <-tick.C:
			c, f, servers := s.l.interval(n, now)
			on(load.Event{Interval: &load.Interval{Elapsed: now.Sub(start).Seconds(), Completed: c, Failed: f, Servers: servers}})
		}
	}
}

// conn is a connection to one simulated host.
type conn struct {
	l    *lab
	name string
}

func (c conn) Run(ctx context.Context, cmd string, _ host.RunOpts) (host.Result, error) {
	if err := ctx.Err(); err != nil {
		return host.Result{}, err
	}
	return c.l.exec(c.name, cmd)
}
func (conn) Upload(context.Context, io.Reader, string, host.FileOpts) error {
	return errors.New("no upload")
}
func (conn) Download(context.Context, string, io.Writer, host.Become) error {
	return errors.New("no download")
}
func (conn) Close() error { return nil }

func (l *lab) dial(_ context.Context, name string) (host.Executor, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.up(name, time.Now()) {
		return nil, fmt.Errorf("%s: %w", name, host.ErrUnreachable)
	}
	return conn{l, name}, nil
}

func (l *lab) options() Options {
	return Options{Config: l.config(), Source: source{l}, Dial: l.dial, Server: l.servers[1], Faults: Faults,
		Load:       load.Options{URL: "http://" + l.vip + "/", Rate: 400, Timeout: 100 * time.Millisecond, Interval: 50 * time.Millisecond},
		LeaveBound: 3 * time.Second, ReturnBound: 3 * time.Second, TakeoverBound: 3 * time.Second, BootBound: 5 * time.Second,
		Settle: 300 * time.Millisecond, Poll: 50 * time.Millisecond}
}
