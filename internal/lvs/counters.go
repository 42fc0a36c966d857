package lvs

import (
	"context"
	"fmt"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/ipvs"
)

// statsLag is how long the kernel may take to show new counters: IPVS sums
// its per-CPU counters in the rate estimator, every 2 seconds.
const statsLag = 2 * time.Second

// ServiceKeys are the ipvsadm keys of the configuration's virtual services:
// "FWM 99" in fwmark mode, else "TCP VIP:PORT" for every port.
func (c Config) ServiceKeys() []string {
	if c.Mode == "fwmark" {
		return []string{c.ServiceKey(0)}
	}
	var keys []string
	for _, p := range c.Ports {
		keys = append(keys, c.ServiceKey(p))
	}
	return keys
}

// ServiceKey is the ipvsadm key of the virtual service that serves the
// VIP's port: "TCP VIP:PORT", or the mark's "FWM 99" in fwmark mode.
func (c Config) ServiceKey(port int) string {
	if c.Mode == "fwmark" {
		return fmt.Sprintf("FWM %d", c.FWMark)
	}
	return fmt.Sprintf("TCP %s:%d", c.VIP, port)
}

// ReadStats reads the director's counters (ipvsadm -Ln --stats). A
// director where ipvsadm fails has no services: an empty Status.
func ReadStats(ctx context.Context, director Commander) (Status, error) {
	res, err := director.Run(ctx, StatsCommand, host.RunOpts{})
	if err != nil {
		return Status{}, fmt.Errorf("director: %w", err)
	}
	if res.ExitCode != 0 {
		return Status{}, nil
	}
	svcs, err := ipvs.ParseStats(res.Stdout)
	if err != nil {
		return Status{}, fmt.Errorf("director: %w", err)
	}
	return Status{Services: svcs}, nil
}

// SettledStats reads the director's counters until the services keys show
// at least want more connections than before, or wait (default twice
// statsLag and two seconds) has passed, reading every poll (default 500ms).
// A director without any of the services is not waited for.
func SettledStats(ctx context.Context, director Commander, keys []string, before Status, want uint64, wait, poll time.Duration) (Status, error) {
	if wait <= 0 {
		wait = 2*statsLag + 2*time.Second
	}
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	deadline := time.Now().Add(wait)
	for {
		after, err := ReadStats(ctx, director)
		deltas := Delta(before, after, keys)
		if err != nil || len(deltas) == 0 || Sum(deltas)[Conns] >= want || time.Now().After(deadline) {
			return after, err
		}
		select {
		case <-ctx.Done():
			return after, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// ServiceDelta is what one virtual service and its real servers counted
// between two readings.
type ServiceDelta struct {
	Key   string
	Stats Counters
	Dests []DestDelta
}

// DestDelta is what one real server of a service counted between two readings.
type DestDelta struct {
	Addr  string
	Stats Counters
}

// Delta returns, for every service of keys that after has, its counters
// and its real servers' minus those of before (a counter that went down, as
// after the service was recreated, counts from zero).
func Delta(before, after Status, keys []string) []ServiceDelta {
	var out []ServiceDelta
	for _, key := range keys {
		a, ok := after.Services.Find(key)
		if !ok {
			continue
		}
		b, _ := before.Services.Find(key)
		d := ServiceDelta{Key: key, Stats: a.Stats.Sub(b.Stats)}
		for _, ad := range a.Dests {
			var bs Counters
			for _, bd := range b.Dests {
				if bd.Addr == ad.Addr {
					bs = bd.Stats
				}
			}
			d.Dests = append(d.Dests, DestDelta{Addr: ad.Key(), Stats: ad.Stats.Sub(bs)})
		}
		out = append(out, d)
	}
	return out
}

// Sum adds up the services' counters.
func Sum(deltas []ServiceDelta) Counters {
	var sum Counters
	for _, d := range deltas {
		for i := range sum {
			sum[i] += d.Stats[i]
		}
	}
	return sum
}
