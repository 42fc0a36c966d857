package drill

import (
	"context"
	"fmt"
	"strings"
	"time"

	"lvslab/internal/host"
)

// Commands of the faults. The reset (after a sync of the disks) resets
// the machine the way a power cut and a power-on would: no shutdown, no
// goodbye to its VRRP peers; it runs half a second later in a session of
// its own, so that the command that asks for it returns first and its
// session's end does not stop it.
const (
	stopNginx       = "systemctl stop nginx"
	startNginx      = "systemctl start nginx"
	stopKeepalived  = "systemctl stop keepalived"
	startKeepalived = "systemctl start keepalived"
	isContainer     = "if systemd-detect-virt --container --quiet 2>/dev/null; then echo container; fi"
	resetHost       = "setsid -f sh -c 'sleep 0.5; echo b > /proc/sysrq-trigger' </dev/null >/dev/null 2>&1"
	resetDelay      = 500 * time.Millisecond // resetHost's sleep
)

// slack is how late a poll or an interval may see what already happened:
// two of the load's intervals and one poll.
func (d *drill) slack() time.Duration { return 2*d.o.Load.Interval + d.w.every }

// restore runs cmd on name even when ctx was cancelled (an interrupted
// drill still undoes its fault), bounded.
func (d *drill) restore(ctx context.Context, name, cmd string) (host.Result, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return d.run(rctx, name, cmd)
}

// nginx stops nginx on the real server: keepalived's checks must take it
// out of the pool within LeaveBound, and no request may fail after that;
// then starts it: it must answer through the VIP again within ReturnBound.
func (d *drill) nginx(ctx context.Context) error {
	rs := d.o.Server
	s := Step{Name: "nginx stopped on " + rs.Name, Bound: d.o.LeaveBound,
		Goal: rs.Name + " out of the pool, no request failing after that"}
	holder, _ := d.vipHolder(time.Time{})
	s.Fault = time.Now()
	d.note("fault", fmt.Sprintf("nginx stopped on %s (%s)", rs.Name, rs.Addr))
	if _, err := d.run(ctx, rs.Name, stopNginx); err != nil {
		return err
	}
	s.Start = time.Now()
	left, ok := d.until(ctx, d.o.LeaveBound, func() bool {
		h, sight := d.vipHolder(s.Fault)
		return h != "" && !sight.InPool(rs.Addr)
	})
	switch {
	case !ok:
		s.Why = fmt.Sprintf("%s is still in the pool of %s after %s", rs.Name, holder, d.o.LeaveBound)
		if !d.o.Config.HA {
			s.Why += " (without --ha nothing checks the real servers: lvslab up --ha)"
		}
	default:
		s.Recovered = left
		d.clean(ctx, left.Add(d.slack()), d.o.Settle+10*time.Second)
		w := window(d.t.slices(), left.Add(d.slack()), time.Now())
		s.OK = w.Failed == 0
		if !s.OK {
			s.Why = fmt.Sprintf("%d requests failed after %s left the pool", w.Failed, rs.Name)
		}
	}
	d.finish(s)

	r := Step{Name: "nginx started on " + rs.Name, Bound: d.o.ReturnBound,
		Goal: rs.Name + " answering through the VIP again"}
	r.Fault = time.Now()
	d.note("restore", "nginx started on "+rs.Name)
	if _, err := d.restore(ctx, rs.Name, startNginx); err != nil {
		return err
	}
	r.Start = time.Now()
	back, ok := d.until(ctx, d.o.ReturnBound, func() bool {
		h, sight := d.vipHolder(r.Fault)
		return h != "" && sight.InPool(rs.Addr) && window(d.t.slices(), r.Fault, time.Now()).Servers[rs.Name] > 0
	})
	if ok {
		r.Recovered = back
		_, r.OK = d.clean(ctx, r.Fault, d.o.Settle+10*time.Second)
		if !r.OK {
			r.Why = "requests kept failing after it answered again"
		}
	} else {
		r.Why = fmt.Sprintf("%s did not answer through the VIP within %s", rs.Name, d.o.ReturnBound)
	}
	d.finish(r)
	return ctx.Err()
}

// director stops the MASTER (keepalived stopped, or with reset the host
// reset without a shutdown): another director must take the VIP and
// answer within TakeoverBound; then brings it back (keepalived started, or
// the host booted within BootBound) and waits until every director runs
// keepalived, one holds the VIP with every real server in its pool, and
// the load runs clean.
func (d *drill) director(ctx context.Context, reset bool) error {
	name := func(d string) string { return "keepalived stopped on " + d }
	if reset {
		name = func(d string) string { return d + " reset (as a power cut)" }
	}
	m, _ := d.vipHolder(time.Time{})
	s := Step{Bound: d.o.TakeoverBound}
	switch {
	case !d.o.Config.HA || len(d.o.Config.Directors) < 2:
		s.Name = name("the MASTER")
		s.Skipped = "one director, no VRRP (lvslab up --ha on two directors)"
		d.finish(s)
		return nil
	case m == "":
		return fmt.Errorf("no director (or more than one) holds the VIP %s", d.o.Config.VIP)
	}
	s.Name = name(m)
	if reset {
		res, err := d.run(ctx, m, isContainer)
		if err != nil {
			return err
		}
		if strings.TrimSpace(res.Stdout) == "container" {
			s.Skipped = m + " is a container: reset, it would not come back by itself"
			d.finish(s)
			return nil
		}
	}
	s.Goal = "another director holding the VIP, and answering"
	if reset {
		// The disks first: on a slow machine sync takes seconds, and the
		// fault is the reset, not the sync.
		if _, err := d.run(ctx, m, "sync"); err != nil {
			return err
		}
	}
	s.Fault = time.Now()
	if reset {
		// Reaching a busy host takes seconds; the reset is half a
		// second after its command returns.
		if _, err := d.run(ctx, m, resetHost); err != nil {
			return err
		}
		time.Sleep(resetDelay)
		s.Fault = time.Now()
		d.note("fault", m+" reset: no shutdown, no goodbye to its VRRP peers (sysrq b)")
	} else {
		d.note("fault", "keepalived stopped on "+m+" (the MASTER)")
		if _, err := d.run(ctx, m, stopKeepalived); err != nil {
			return err
		}
	}
	s.Start = time.Now()
	var taker string
	took, ok := d.until(ctx, d.o.TakeoverBound, func() bool {
		h, _ := d.vipHolder(s.Fault)
		if h == "" || h == m {
			return false
		}
		taker = h
		w := window(d.t.slices(), s.Fault.Add(d.slack()), time.Now())
		return w.Completed > 0
	})
	if ok {
		s.Recovered, s.OK = took, true
		s.Goal = taker + " holding the VIP, and answering"
		d.clean(ctx, took, d.o.Settle+d.o.Load.Timeout+10*time.Second)
	} else {
		s.Why = fmt.Sprintf("no other director answered through the VIP within %s", d.o.TakeoverBound)
	}
	d.finish(s)

	r := Step{Bound: d.o.TakeoverBound + d.o.ReturnBound + d.o.Settle}
	r.Fault = time.Now()
	if reset {
		r.Name, r.Goal = m+" back", m+" answering SSH, keepalived running on every director, every real server in the pool"
		r.Bound += d.o.BootBound
		d.note("restore", "waiting for "+m+" to boot")
	} else {
		r.Name, r.Goal = "keepalived started on "+m, "keepalived running on every director, every real server in the pool"
		d.note("restore", "keepalived started on "+m)
		if _, err := d.restore(ctx, m, startKeepalived); err != nil {
			return err
		}
	}
	r.Start = time.Now()
	// With preempt (keepalived's default) the director back takes the
	// VIP again: settled once it has.
	expect := m
	if d.o.Timing.NoPreempt {
		expect = ""
	}
	if at, ok := d.until(ctx, r.Bound, func() bool { return d.settled(r.Fault, expect) }); ok {
		since, clean := d.clean(ctx, at, d.o.Settle+d.o.Load.Timeout+10*time.Second)
		r.Recovered, r.OK = at, clean
		if since.After(at) {
			r.Recovered = since
		}
		if !clean {
			r.Why = "requests kept failing"
		}
	} else {
		r.Why = fmt.Sprintf("not settled within %s", r.Bound)
	}
	d.finish(r)
	return ctx.Err()
}
