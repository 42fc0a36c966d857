package drill

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"lvslab/internal/lvs"
)

// timeline is every event of the drill in time order: those noted as they
// happened, the changes the watcher saw, and for each step its first and
// last failed request and when it recovered.
func (d *drill) timeline(start time.Time) []Event {
	evs := append([]Event(nil), d.events...)
	evs = append(evs, sightEvents(d.w.history(), d.o.Config.Servers)...)
	for _, s := range d.steps {
		if s.Skipped != "" {
			continue
		}
		if !s.FirstFail.IsZero() {
			evs = append(evs, Event{At: s.FirstFail, Kind: "load", Text: "first failed request of " + s.Name})
			evs = append(evs, Event{At: s.LastFail, Kind: "load", Text: fmt.Sprintf("last failed request of %s (%d failed)", s.Name, s.Failed)})
		}
		if !s.Recovered.IsZero() {
			evs = append(evs, Event{At: s.Recovered, Kind: "step", Text: "recovered: " + s.Goal})
		}
	}
	var out []Event
	for _, e := range evs {
		if !e.At.Before(start) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// sightEvents are the changes between each director's successive sights:
// SSH lost and back, the VIP taken and released, keepalived stopped and
// running, real servers leaving and joining the pool. A director's first
// sight is where it starts, not a change.
func sightEvents(seen []Sight, servers []lvs.Server) []Event {
	names := map[string]string{}
	for _, s := range servers {
		names[s.Addr] = s.Name
	}
	name := func(addr string) string {
		if n, ok := names[addr]; ok {
			return n + " (" + addr + ")"
		}
		return addr
	}
	last := map[string]Sight{}
	var out []Event
	add := func(at time.Time, kind, text string) { out = append(out, Event{At: at, Kind: kind, Text: text}) }
	for _, s := range seen {
		p, ok := last[s.Director]
		if s.Reachable || !ok {
			last[s.Director] = s
		}
		if !ok {
			continue
		}
		switch {
		case p.Reachable && !s.Reachable:
			add(s.At, "host", s.Director+" does not answer SSH")
			last[s.Director] = s
			continue
		case !p.Reachable && s.Reachable:
			add(s.At, "host", s.Director+" answers SSH again")
		case !s.Reachable:
			continue
		}
		if p.Role.HasVIP != s.Role.HasVIP && p.Reachable {
			if s.Role.HasVIP {
				add(s.At, "vip", s.Director+" holds the VIP")
			} else {
				add(s.At, "vip", s.Director+" released the VIP")
			}
		} else if !p.Reachable && s.Role.HasVIP {
			add(s.At, "vip", s.Director+" holds the VIP")
		}
		if p.Role.Keepalived != s.Role.Keepalived {
			if s.Role.Keepalived {
				add(s.At, "vip", "keepalived running on "+s.Director)
			} else {
				add(s.At, "vip", "keepalived not running on "+s.Director)
			}
		}
		// The pool that counts is the VIP holder's: a director taking
		// or giving up the VIP is not a change of the pool.
		if !p.Reachable || !p.Role.HasVIP || !s.Role.HasVIP {
			continue
		}
		var addrs []string
		for a := range s.Pool {
			addrs = append(addrs, a)
		}
		for a := range p.Pool {
			if _, ok := s.Pool[a]; !ok {
				addrs = append(addrs, a)
			}
		}
		sort.Strings(addrs)
		for _, a := range addrs {
			switch was, is := p.InPool(a), s.InPool(a); {
			case was && !is:
				add(s.At, "pool", name(a)+" left the pool of "+s.Director)
			case !was && is:
				add(s.At, "pool", name(a)+" joined the pool of "+s.Director)
			}
		}
	}
	return out
}

// since formats t as seconds from start: "12.3s".
func since(start, t time.Time) string { return fmt.Sprintf("%.1fs", t.Sub(start).Seconds()) }

// Write prints the timeline and the table of steps.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "%s mode, VIP %s: %.0f requests/s from %s to %s, each on a new connection (timeout %s)\n\n",
		r.Mode, r.VIP, r.Rate, r.From, r.URL, r.Timeout)
	for _, e := range r.Events {
		fmt.Fprintf(w, "%8s  %-8s %s\n", since(r.Start, e.At), e.Kind, e.Text)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "step\tat\trecovered after\tbound\tfailed requests\tfailing for\tresult")
	for _, s := range r.Steps {
		if s.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\tskipped: %s\n", s.Name, s.Skipped)
			continue
		}
		took, result := "-", "ok"
		if !s.Recovered.IsZero() {
			took = s.Took().Round(100 * time.Millisecond).String()
		}
		if !s.OK {
			result = "FAILED: " + s.Why
		}
		failing := "-"
		if !s.FirstFail.IsZero() {
			// Slices are stamped at their ends: the first failure
			// may be as early as one interval before.
			failing = (s.LastFail.Sub(s.FirstFail) + r.Interval).Round(100 * time.Millisecond).String()
		}
		failed := "0"
		if s.Failed > 0 {
			failed = fmt.Sprintf("%d (%s)", s.Failed, causeWords(s.Causes))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, since(r.Start, s.Fault), took, s.Bound, failed, failing, result)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d requests answered, %d failed, in %s\n", r.Total.Completed, r.Total.Failed, r.End.Sub(r.Start).Round(time.Second))
}

// JSON is the report as `--output json` prints it: times in seconds from
// the load's start.
func (r *Report) JSON() map[string]any {
	var steps []map[string]any
	for _, s := range r.Steps {
		m := map[string]any{"name": s.Name, "ok": s.OK || s.Skipped != ""}
		if s.Skipped != "" {
			m["skipped"] = s.Skipped
		} else {
			m["fault_at"] = s.Fault.Sub(r.Start).Seconds()
			m["bound_s"] = s.Bound.Seconds()
			m["goal"] = s.Goal
			m["failed"] = s.Failed
			m["failures"] = s.Causes
			if !s.Recovered.IsZero() {
				m["recovered_after_s"] = s.Took().Seconds()
			}
			if !s.FirstFail.IsZero() {
				m["first_fail_at"] = s.FirstFail.Sub(r.Start).Seconds()
				m["last_fail_at"] = s.LastFail.Sub(r.Start).Seconds()
			}
			if s.Why != "" {
				m["why"] = s.Why
			}
		}
		steps = append(steps, m)
	}
	var evs []map[string]any
	for _, e := range r.Events {
		evs = append(evs, map[string]any{"at": e.At.Sub(r.Start).Seconds(), "kind": e.Kind, "text": strings.TrimSpace(e.Text)})
	}
	return map[string]any{"drill": map[string]any{
		"mode": r.Mode, "vip": r.VIP, "url": r.URL, "from": r.From, "rate": r.Rate, "timeout_s": r.Timeout.Seconds(),
		"answered": r.Total.Completed, "failed": r.Total.Failed, "seconds": r.End.Sub(r.Start).Seconds(),
		"steps": steps, "timeline": evs,
	}}
}
