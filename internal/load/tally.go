package load

import (
	"strconv"
	"sync"
	"time"
)

// OtherServers is the Servers key that counts, together, the answers of
// the server names seen after MaxServers distinct ones: a server cannot
// grow lvslab's memory by naming itself anew in every answer.
const OtherServers = "(other)"

// MaxServers is the number of distinct server names counted apart.
const MaxServers = 256

// maxStatus bounds status codes (three digits).
const maxStatus = 1000

// tally counts outcomes: a shard's since the last interval, an interval's,
// or a whole run's.
type tally struct {
	hist      Histogram // latencies of completed requests
	completed int64
	causes    [numCauses]int64
	statuses  [maxStatus]int64
	servers   map[string]int64
	bytes     int64
	last      time.Time // the latest end of a request
}

// record counts one request that took lat.
func (t *tally) record(r *result, lat time.Duration) {
	t.bytes += r.bytes
	if r.status > 0 && r.status < maxStatus {
		t.statuses[r.status]++
	}
	if r.end.After(t.last) {
		t.last = r.end
	}
	if r.cause != causeNone {
		t.causes[r.cause]++
		return
	}
	t.completed++
	t.hist.Record(lat)
	t.addServer(r.server, 1)
}

// addServer counts n answers of server, within MaxServers names.
func (t *tally) addServer(server string, n int64) {
	if t.servers == nil {
		t.servers = map[string]int64{}
	}
	if _, seen := t.servers[server]; !seen && server != OtherServers {
		names := len(t.servers)
		if _, other := t.servers[OtherServers]; other {
			names--
		}
		if names >= MaxServers {
			server = OtherServers
		}
	}
	t.servers[server] += n
}

// merge adds o's counts to t.
func (t *tally) merge(o *tally) {
	t.hist.Merge(&o.hist)
	t.completed += o.completed
	for i, n := range o.causes {
		t.causes[i] += n
	}
	for i, n := range o.statuses {
		t.statuses[i] += n
	}
	for s, n := range o.servers {
		t.addServer(s, n)
	}
	t.bytes += o.bytes
	if o.last.After(t.last) {
		t.last = o.last
	}
}

// reset empties t, keeping its memory.
func (t *tally) reset() {
	t.hist.Reset()
	t.completed, t.bytes = 0, 0
	t.causes = [numCauses]int64{}
	t.statuses = [maxStatus]int64{}
	clear(t.servers)
	t.last = time.Time{}
}

// failed returns the number of failures, overload included.
func (t *tally) failed() int64 {
	var n int64
	for _, k := range t.causes {
		n += k
	}
	return n
}

// failures returns the non-zero counts by cause.
func (t *tally) failures() map[string]int64 {
	m := map[string]int64{}
	for i, n := range t.causes {
		if n > 0 {
			m[causeNames[i]] = n
		}
	}
	return m
}

// statusCounts returns the non-zero counts by status code.
func (t *tally) statusCounts() map[string]int64 {
	m := map[string]int64{}
	for code, n := range t.statuses {
		if n > 0 {
			m[strconv.Itoa(code)] = n
		}
	}
	return m
}

// serverCounts returns a copy of the counts by server.
func (t *tally) serverCounts() map[string]int64 {
	m := make(map[string]int64, len(t.servers))
	for s, n := range t.servers {
		m[s] = n
	}
	return m
}

// shard is a tally that workers record into under a lock, and that the
// collector empties at each interval. Workers share a few shards, so that
// they seldom wait for one another and memory does not grow with their
// number.
type shard struct {
	mu sync.Mutex
	t  tally
	_  [64]byte // keeps shards' locks on cache lines of their own
}

func (s *shard) record(r *result, lat time.Duration) {
	s.mu.Lock()
	s.t.record(r, lat)
	s.mu.Unlock()
}

// moveTo adds the shard's counts to t and empties the shard.
func (s *shard) moveTo(t *tally) {
	s.mu.Lock()
	t.merge(&s.t)
	s.t.reset()
	s.mu.Unlock()
}
