package load

import "time"

// collector turns the shards' counts into Intervals and the Summary. It
// runs in Run's goroutine: emit is never called concurrently.
type collector struct {
	o      *Options
	shards []shard
	emit   func(Interval)
	step   int       // Interval.Step
	origin time.Time // Interval.Elapsed counts from here
	start  time.Time // the first request
	prev   time.Time // the end of the last interval

	iv        tally // the interval being collected
	total     tally
	intervals []Interval
}

// collect emits an interval at every o.Interval up to o.Duration, then
// waits for done (every worker finished) and emits the last interval.
func (c *collector) collect(done <-chan struct{}) {
	c.prev = c.start
	ticks := int(c.o.Duration / c.o.Interval)
	t := time.NewTicker(c.o.Interval)
	defer t.Stop()
	for k := 0; ; {
		tick := t.C
		if k == ticks {
			tick = nil
		}
		select {
		case now := <-tick:
			k++
			c.interval(now, true)
		case <-done:
			c.interval(time.Now(), len(c.intervals) == 0)
			return
		}
	}
}

// interval moves the shards' counts into an Interval ending at now,
// emitted unless it is empty and not always.
func (c *collector) interval(now time.Time, always bool) {
	for i := range c.shards {
		c.shards[i].moveTo(&c.iv)
	}
	defer c.iv.reset()
	c.total.merge(&c.iv)
	failed := c.iv.failed()
	if !always && c.iv.completed == 0 && failed == 0 {
		return
	}
	iv := Interval{
		Step:      c.step,
		Elapsed:   now.Sub(c.origin).Seconds(),
		Completed: c.iv.completed,
		Failed:    failed,
		P99:       ms(c.iv.hist.Quantile(0.99)),
		Servers:   c.iv.serverCounts(),
	}
	if failed > 0 {
		iv.Failures = c.iv.failures()
	}
	if secs := now.Sub(c.prev).Seconds(); secs > 0 {
		iv.RPS = float64(iv.Completed) / secs
	}
	c.prev = now
	c.intervals = append(c.intervals, iv)
	if c.emit != nil {
		c.emit(iv)
	}
}

// summary returns the run's Summary from the intervals collected.
func (c *collector) summary() Summary {
	t := &c.total
	s := Summary{
		URL:       c.o.URL,
		Host:      c.o.Host,
		KeepAlive: c.o.KeepAlive,
		Completed: t.completed,
		Failed:    t.failed(),
		Failures:  t.failures(),
		Statuses:  t.statusCounts(),
		Latency:   t.hist.Latency(),
		Bytes:     t.bytes,
		Servers:   t.serverCounts(),
		Intervals: c.intervals,
	}
	s.Sent = s.Completed + s.Failed - t.causes[causeOverload]
	if c.o.Rate > 0 {
		s.Rate = c.o.Rate
	} else {
		s.Concurrency = c.o.Concurrency
	}
	if s.Intervals == nil {
		s.Intervals = []Interval{}
	}
	if !t.last.IsZero() {
		s.Seconds = t.last.Sub(c.start).Seconds()
	}
	if s.Seconds > 0 {
		s.RPS = float64(s.Completed) / s.Seconds
		s.BytesPerSec = float64(s.Bytes) / s.Seconds
	}
	return s
}
