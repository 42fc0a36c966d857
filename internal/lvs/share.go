// Package lvs holds what the lab commands (up, verify, status) compute
// without touching a host: the share of requests each real server should get
// under a scheduler and weights, the comparison with what was measured, the
// parsing of ipvsadm's listings and their rendering as tables.
package lvs

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Server is one real server as the inventory declares it.
type Server struct {
	Name   string // inventory name; test.html answers "real server NAME"
	Addr   string // rip
	Weight int
}

// Expectation is what a scheduler predicts for sequential requests from one
// client.
type Expectation struct {
	// Predicted says the shares below are a prediction; otherwise only
	// "every server with a weight answers" is checked.
	Predicted bool
	// Persistent says every request of one client lands on one server
	// (persistence, or a hashing scheduler), whichever it is.
	Persistent bool
	// Shares maps a server's name to its predicted fraction (0..1).
	Shares map[string]float64
	// Why explains the prediction, or its absence, for the table's footer.
	Why string
}

// hashing schedulers send every request of one client address to one server.
var hashing = map[string]bool{"sh": true, "dh": true, "mh": true, "lblc": true, "lblcr": true}

// Expect returns what scheduler sched with persistence timeout persist (0:
// none) predicts for servers when one client sends sequential requests, each
// on a new connection.
func Expect(sched string, persist int, servers []Server) Expectation {
	sched = strings.ToLower(strings.TrimSpace(sched))
	total, active := 0, 0
	for _, s := range servers {
		if s.Weight > 0 {
			total += s.Weight
			active++
		}
	}
	switch {
	case active == 0:
		return Expectation{Why: "no real server has a weight above 0"}
	case persist > 0:
		return Expectation{Persistent: true, Why: fmt.Sprintf("persistence %ds: one client sticks to one server", persist)}
	case hashing[sched]:
		return Expectation{Persistent: true, Why: sched + " hashes the client address: one client sticks to one server"}
	}
	shares := map[string]float64{}
	switch sched {
	case "rr":
		for _, s := range servers {
			if s.Weight > 0 {
				shares[s.Name] = 1 / float64(active)
			} else {
				shares[s.Name] = 0
			}
		}
		return Expectation{Predicted: true, Shares: shares, Why: "rr: equal shares among servers with a weight above 0"}
	case "wrr":
		for _, s := range servers {
			shares[s.Name] = float64(max(s.Weight, 0)) / float64(total)
		}
		return Expectation{Predicted: true, Shares: shares, Why: "wrr: shares in proportion to the weights"}
	}
	return Expectation{Why: sched + ": not predicted (depends on connection counts and timing); every server with a weight must answer"}
}

// Row is one real server's line of the verify table.
type Row struct {
	Server   string
	Weight   int
	Expected float64 // fraction; meaningful only when Predicted
	Predict  bool
	Answers  int
	Share    float64 // fraction of all requests
	OK       bool
	Note     string
}

// Outcome is the comparison of measured answers with an expectation.
type Outcome struct {
	Rows     []Row
	Requests int
	Other    int            // answers naming no known server
	Errors   int            // requests that failed
	Failures []string       // why the check failed; empty when it passed
	Winner   string         // the server with the most answers
	Sticky   bool           // the expectation was "one client, one server"
	Answers  map[string]int // raw counts, by server name
}

// OK reports whether the check passed.
func (o Outcome) OK() bool { return len(o.Failures) == 0 }

// Compare checks answers (counts by server name; unknown names are "other")
// of requests requests against exp. tolerance is in percentage points.
func Compare(exp Expectation, servers []Server, answers map[string]int, requests int, errs int, tolerance float64) Outcome {
	o := Outcome{Requests: requests, Errors: errs, Answers: answers, Sticky: exp.Persistent}
	known := map[string]bool{}
	for _, s := range servers {
		known[s.Name] = true
	}
	var others []string
	for name, n := range answers {
		if !known[name] {
			o.Other += n
			others = append(others, name)
		}
	}
	sort.Strings(others)
	if requests <= 0 {
		o.Failures = append(o.Failures, "no request was sent")
		return o
	}
	if errs > 0 {
		o.Failures = append(o.Failures, fmt.Sprintf("%d of %d requests failed", errs, requests))
	}
	if o.Other > 0 {
		o.Failures = append(o.Failures, fmt.Sprintf("%d answers came from no inventory real server (%s)", o.Other, strings.Join(others, ", ")))
	}
	answered := 0
	for _, s := range servers {
		n := answers[s.Name]
		r := Row{Server: s.Name, Weight: s.Weight, Answers: n, Share: float64(n) / float64(requests), OK: true}
		if n > 0 {
			answered++
			if o.Winner == "" || n > answers[o.Winner] {
				o.Winner = s.Name
			}
		}
		switch {
		case exp.Predicted:
			r.Predict, r.Expected = true, exp.Shares[s.Name]
			if d := math.Abs(r.Share-r.Expected) * 100; d > tolerance+1e-9 {
				r.OK = false
				r.Note = fmt.Sprintf("off by %.1f points", d)
				o.Failures = append(o.Failures, fmt.Sprintf("%s answered %.1f%% of requests, expected %.1f%% ± %.1f", s.Name, r.Share*100, r.Expected*100, tolerance))
			}
		case exp.Persistent:
		default:
			if s.Weight > 0 && n == 0 && requests >= len(servers) {
				r.OK = false
				r.Note = "never answered"
				o.Failures = append(o.Failures, fmt.Sprintf("%s (weight %d) never answered", s.Name, s.Weight))
			}
		}
		if s.Weight <= 0 && n > 0 {
			r.OK = false
			r.Note = "weight 0 but answered"
			o.Failures = append(o.Failures, fmt.Sprintf("%s has weight %d but answered %d requests", s.Name, s.Weight, n))
		}
		o.Rows = append(o.Rows, r)
	}
	if exp.Persistent && answered > 1 {
		o.Failures = append(o.Failures, fmt.Sprintf("persistence broken: %d servers answered one client", answered))
		for i := range o.Rows {
			if o.Rows[i].Answers > 0 {
				o.Rows[i].OK = false
				o.Rows[i].Note = "one client, several servers"
			}
		}
	}
	if exp.Persistent && answered == 1 {
		for i := range o.Rows {
			if o.Rows[i].Answers > 0 {
				o.Rows[i].Note = "sticky"
			}
		}
	}
	return o
}

// Table renders the outcome as the verify table: real server, weight,
// expected share, answers, share.
func (o Outcome) Table() *Table {
	t := NewTable("real server", "weight", "expected share", "answers", "share", "check")
	t.AlignRight(1, 2, 3, 4)
	for _, r := range o.Rows {
		exp := "not predicted"
		switch {
		case r.Predict:
			exp = pct(r.Expected)
		case o.Sticky:
			exp = "all or none"
		}
		mark := "ok"
		if !r.OK {
			mark = "FAIL"
		}
		if r.Note != "" {
			mark += " (" + r.Note + ")"
		}
		t.Add(r.Server, fmt.Sprint(r.Weight), exp, fmt.Sprint(r.Answers), pct(r.Share), mark)
	}
	if o.Other > 0 {
		t.Add("(other)", "-", "0.0%", fmt.Sprint(o.Other), pct(float64(o.Other)/float64(max(o.Requests, 1))), "FAIL")
	}
	if o.Errors > 0 {
		t.Add("(failed)", "-", "0.0%", fmt.Sprint(o.Errors), pct(float64(o.Errors)/float64(max(o.Requests, 1))), "FAIL")
	}
	return t
}

// JSON returns the rows as the "shares" of --output json: server, weight,
// answers, share, ok, and expected when predicted.
func (o Outcome) JSON() []map[string]any {
	rows := make([]map[string]any, 0, len(o.Rows))
	for _, row := range o.Rows {
		m := map[string]any{"server": row.Server, "weight": row.Weight, "answers": row.Answers, "share": row.Share, "ok": row.OK}
		if row.Predict {
			m["expected"] = row.Expected
		}
		rows = append(rows, m)
	}
	return rows
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
