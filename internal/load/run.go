package load

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Run sends requests as o says and returns what they met. It validates
// (a copy of) o itself, filling its defaults.
//
// With o.Rate 0 it is a closed loop: o.Concurrency workers each send a
// request as soon as their last one ended, until o.Duration has passed or
// o.Requests have been sent; latency runs from each request's start. With
// o.Rate > 0 it is an open loop: request i is due at start + i/o.Rate and
// sent then, whatever the server's pace, its latency measured from that
// due time; o.Requests then bounds the requests due. A request due while
// o.MaxInFlight are outstanding is not sent (CauseOverload).
//
// Requests in flight when o.Duration ends finish (within o.Timeout) and
// count. emit, when not nil, is called with each Interval as it ends, from
// Run's goroutine. When ctx is cancelled Run stops sending, abandons the
// requests in flight (they are not counted) and returns the summary so far
// with ctx.Err().
func Run(ctx context.Context, o Options, emit func(Interval)) (Summary, error) {
	return run(ctx, o, emit, 0, time.Time{})
}

// run is Run with the Interval's step and the origin of its Elapsed (the
// start of the run when zero).
func run(ctx context.Context, o Options, emit func(Interval), step int, origin time.Time) (Summary, error) {
	if err := o.Validate(); err != nil {
		return Summary{}, err
	}
	cl, err := newClient(ctx, &o)
	if err != nil {
		return Summary{}, fmt.Errorf("load %s: %w", o.URL, err)
	}
	n := o.Concurrency
	if o.Rate > 0 {
		n = o.MaxInFlight
	}
	r := &runner{o: &o, cl: cl, ctx: ctx, shards: make([]shard, min(n, 4*runtime.GOMAXPROCS(0)))}
	if cl.evented() {
		if err := r.newLoops(); err != nil {
			return Summary{}, fmt.Errorf("load %s: %w", o.URL, err)
		}
	}
	stop := context.AfterFunc(ctx, r.abort)
	defer stop()

	start := time.Now()
	if origin.IsZero() {
		origin = start
	}
	col := &collector{o: &o, shards: r.shards, emit: emit, step: step, origin: origin, start: start}
	if o.Rate == 0 {
		timer := time.AfterFunc(o.Duration, func() { r.stop.Store(true) })
		defer timer.Stop()
	}
	switch {
	case r.loops != nil:
		r.wg.Add(len(r.loops))
		for _, l := range r.loops {
			go l.run(start)
		}
	case o.Rate > 0:
		r.wg.Add(1)
		go r.openLoop(start)
	default:
		r.wg.Add(o.Concurrency)
		for i := range o.Concurrency {
			go r.closedWorker(i)
		}
	}
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	col.collect(done)
	return col.summary(), ctx.Err()
}

// runner is one run's workers (or event loops) and what they share.
type runner struct {
	o      *Options
	cl     *client
	ctx    context.Context
	shards []shard
	wg     sync.WaitGroup

	stop     atomic.Bool  // send no more requests
	aborted  atomic.Bool  // ctx is cancelled: failures from now on are not counted
	sent     atomic.Int64 // closed loop: requests started, against o.Requests
	inFlight atomic.Int64 // open loop on event loops: requests outstanding, against o.MaxInFlight

	mu    sync.Mutex
	conns []*conn // for abort
	loops []*loop // the event loops, for abort; nil with goroutines
}

// newConn returns a worker's connection, registered for abort.
func (r *runner) newConn() *conn {
	c := newConn(r.cl)
	r.mu.Lock()
	r.conns = append(r.conns, c)
	c.aborted = r.aborted.Load()
	r.mu.Unlock()
	return c
}

// abort stops the run and makes every request in flight fail at once.
func (r *runner) abort() {
	r.mu.Lock()
	r.aborted.Store(true)
	r.stop.Store(true)
	conns := r.conns
	for _, l := range r.loops {
		l.alarm()
	}
	r.mu.Unlock()
	for _, c := range conns {
		c.abort()
	}
}

// record counts a request's result unless the run was aborted meanwhile.
func (r *runner) record(sh *shard, res *result, from time.Time) {
	if res.cause != causeNone && (r.aborted.Load() || r.ctx.Err() != nil) {
		return
	}
	sh.record(res, res.end.Sub(from))
}

// closedWorker sends requests one after the other until the run stops.
func (r *runner) closedWorker(id int) {
	defer r.wg.Done()
	c := r.newConn()
	defer c.drop()
	sh := &r.shards[id%len(r.shards)]
	for !r.stop.Load() {
		if r.o.Requests > 0 && r.sent.Add(1) > r.o.Requests {
			r.stop.Store(true)
			return
		}
		start := time.Now()
		res := c.do(start)
		r.record(sh, &res, start)
	}
}

// openLoop hands every request, when due, to an idle worker, starting a
// new one when none is idle and fewer than o.MaxInFlight are busy.
func (r *runner) openLoop(start time.Time) {
	defer r.wg.Done()
	jobs := make(chan time.Time)
	defer close(jobs)
	end := start.Add(r.o.Duration)
	perRequest := float64(time.Second) / r.o.Rate
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	workers := 0
	now := start
	for i := int64(0); r.o.Requests == 0 || i < r.o.Requests; i++ {
		due := start.Add(time.Duration(float64(i) * perRequest))
		if !due.Before(end) || r.stop.Load() {
			return
		}
		if due.After(now) {
			if now = time.Now(); due.After(now) {
				timer.Reset(due.Sub(now))
				select {
				case <-timer.C:
				case <-r.ctx.Done():
					return
				}
				now = time.Now()
			}
		}
		select {
		case jobs <- due:
			continue
		default:
		}
		if workers < r.o.MaxInFlight {
			r.wg.Add(1)
			go r.openWorker(workers, due, jobs)
			workers++
			continue
		}
		res := result{cause: causeOverload}
		r.shards[int(i)%len(r.shards)].record(&res, 0)
	}
}

// openWorker sends the request due at due, then each one it is handed.
func (r *runner) openWorker(id int, due time.Time, jobs <-chan time.Time) {
	defer r.wg.Done()
	c := r.newConn()
	defer c.drop()
	sh := &r.shards[id%len(r.shards)]
	for ok := true; ok; due, ok = <-jobs {
		if r.aborted.Load() {
			continue
		}
		res := c.do(time.Now())
		r.record(sh, &res, due)
	}
}
