package lvs

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"lvslab/internal/host"
)

// HTTPAnswers is what one http_check run reports: the answers counted by
// their first body line, the certificate SAN sets seen, and why requests
// failed.
type HTTPAnswers struct {
	Requests int
	Answers  map[string]int
	CertSets map[string]int // sorted SANs joined by ",", per answer
	Failures []string
	Msg      string
}

// HTTPCheck sends requests the way the http_check module takes its
// arguments (url, count, sni, resolve, expect_body_regex ...) from where the
// verification runs. An error means the requests could not be made at all.
type HTTPCheck func(ctx context.Context, args map[string]any) (HTTPAnswers, error)

// Commander runs a command on a host (host.Executor has this method).
type Commander interface {
	Run(ctx context.Context, cmd string, opts host.RunOpts) (host.Result, error)
}

// Check is the outcome of one verification.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Report is everything verify found.
type Report struct {
	Config      Config
	From        string
	Expectation Expectation
	Shares      Outcome
	Checks      []Check
}

// Failures lists why the verification failed, empty when it passed.
func (r Report) Failures() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return out
}

// Write prints the report: the share table, then one line per check.
func (r Report) Write(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "%s mode, VIP %s, ports %s, scheduler %s", c.Mode, c.VIP, joinInts(c.Ports), c.Scheduler)
	if c.Persistence > 0 {
		fmt.Fprintf(w, ", persistence %ds", c.Persistence)
	}
	fmt.Fprintf(w, "; %d requests from %s\n\n", r.Shares.Requests, r.From)
	r.Shares.Table().WriteTo(w)
	fmt.Fprintf(w, "%s\n\n", r.Expectation.Why)
	t := NewTable("check", "result", "detail")
	for _, ch := range r.Checks {
		res := "ok"
		if !ch.OK {
			res = "FAIL"
		}
		t.Add(ch.Name, res, ch.Detail)
	}
	t.WriteTo(w)
}

// JSON returns the report as one JSON-lines event ("event": "verify"), the
// form of --output json.
func (r Report) JSON() map[string]any {
	rows := r.Shares.JSON()
	checks := make([]map[string]any, 0, len(r.Checks))
	for _, c := range r.Checks {
		checks = append(checks, map[string]any{"name": c.Name, "ok": c.OK, "detail": c.Detail})
	}
	return map[string]any{"event": "verify", "ok": len(r.Failures()) == 0, "mode": r.Config.Mode, "vip": r.Config.VIP,
		"scheduler": r.Config.Scheduler, "from": r.From, "requests": r.Shares.Requests, "other": r.Shares.Other,
		"errors": r.Shares.Errors, "expectation": r.Expectation.Why, "shares": rows, "checks": checks}
}

// Verifier checks a lab that is up: the share of each real server against
// the scheduler's prediction, persistence, each site's certificate by SNI,
// the PHP page that reads MariaDB, and the reply path.
type Verifier struct {
	Config    Config
	HTTP      HTTPCheck
	Director  Commander // nil: the reply path is not checked
	From      string    // where the requests come from, for the report
	Requests  int       // default 40
	Tolerance float64   // percentage points; default 10
	// Poll is how often the director's counters are read while they settle
	// (default 500ms).
	Poll time.Duration
	// Settle bounds the wait for the counters (default 6s).
	Settle time.Duration
}

var realServerLine = regexp.MustCompile(`^real server (\S+)$`)

// Run runs every check. Its error is for what prevents verifying at all
// (the client or the director unreachable, interrupted); failed checks are
// in the report.
func (v *Verifier) Run(ctx context.Context) (Report, error) {
	c := v.Config
	n := v.Requests
	if n <= 0 {
		n = 40
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = 10
	}
	r := Report{Config: c, From: v.From, Expectation: c.Expect()}
	port := 80
	if !c.HasPort(80) && len(c.Ports) > 0 {
		port = c.Ports[0]
	}
	scheme := "http"
	if port == 443 {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s%s/test.html", scheme, c.VIP, portSuffix(scheme, port))
	if err := v.warmUp(ctx, url); err != nil {
		return r, err
	}
	var before Status
	if v.Director != nil {
		s, err := ReadStats(ctx, v.Director)
		if err != nil {
			return r, err
		}
		before = s
	}
	dist, err := v.HTTP(ctx, map[string]any{"url": url, "count": n, "expect_body_regex": "^real server "})
	if err != nil {
		return r, err
	}
	counts, other := serverCounts(dist.Answers)
	for k, x := range other {
		counts[k] = x
	}
	r.Shares = Compare(r.Expectation, c.Servers, counts, n, n-answered(dist), tol)
	okText := fmt.Sprintf("every share within %.0f points of the prediction", tol)
	switch {
	case r.Expectation.Persistent:
		okText = "one server answered every request"
	case !r.Expectation.Predicted:
		okText = "every server with a weight answered"
	}
	r.Checks = append(r.Checks, Check{Name: fmt.Sprintf("shares (%d requests to port %d)", n, port), OK: r.Shares.OK(), Detail: detail(r.Shares.Failures, okText)})
	if v.Director != nil {
		after, err := SettledStats(ctx, v.Director, c.ServiceKeys(), before, uint64(answered(dist)), v.Settle, v.Poll)
		if err != nil {
			return r, err
		}
		r.Checks = append(r.Checks, v.replyPath(before, after))
	}
	if c.Mode == "fwmark" && c.HasPort(80) && c.HasPort(443) && c.SSL {
		ch, err := v.persistence(ctx, r.Shares.Winner, min(n, 10))
		if err != nil {
			return r, err
		}
		r.Checks = append(r.Checks, ch)
	}
	if c.SSL {
		for _, s := range c.Sites {
			ch, err := v.site(ctx, s)
			if err != nil {
				return r, err
			}
			r.Checks = append(r.Checks, ch)
		}
	}
	ch, err := v.lnmp(ctx, scheme, port)
	if err != nil {
		return r, err
	}
	r.Checks = append(r.Checks, ch)
	return r, nil
}

func portSuffix(scheme string, port int) string {
	if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) {
		return ""
	}
	return fmt.Sprintf(":%d", port)
}

// answered counts the requests that got an answer.
func answered(a HTTPAnswers) int {
	n := 0
	for _, c := range a.Answers {
		n += c
	}
	return n
}

// serverCounts maps "real server rs01" answers to rs01; other first lines
// are returned apart, as they came.
func serverCounts(answers map[string]int) (servers, other map[string]int) {
	servers, other = map[string]int{}, map[string]int{}
	for line, n := range answers {
		if m := realServerLine.FindStringSubmatch(line); m != nil {
			servers[m[1]] += n
		} else {
			other[line] += n
		}
	}
	return servers, other
}

func detail(failures []string, okText string) string {
	if len(failures) == 0 {
		return okText
	}
	return strings.Join(failures, "; ")
}

// replyPath compares the director's counters of the mode's virtual services
// before and after the requests. IPVS counts the packets it handles in each
// direction: in NAT the replies come back through the director, which
// rewrites them, so OutPkts grows with InPkts; in DR (and fwmark, which
// forwards the same way) the real servers answer the client directly with
// the VIP as source, the director never sees a reply and OutPkts stays put
// while InPkts and Conns grow.
// warmTries bounds warmUp: a second apart, the time a client takes to
// follow a VIP to another director.
const warmTries = 10

// warmUp waits, bounded, until the VIP answers one request: it may just have
// moved to another director (a switch between --ha and one director, a
// failover), and the client's neighbour entry follows it within seconds.
// What it sends is not counted.
func (v *Verifier) warmUp(ctx context.Context, url string) error {
	for i := 0; i < warmTries; i++ {
		d, err := v.HTTP(ctx, map[string]any{"url": url, "count": 1, "expect_body_regex": "^real server "})
		if err != nil {
			return err
		}
		if answered(d) == 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil // the count that follows reports what fails
}

func (v *Verifier) replyPath(before, after Status) Check {
	c := v.Config
	deltas := Delta(before, after, c.ServiceKeys())
	sum := Sum(deltas)
	conns, in, out := sum[Conns], sum[InPkts], sum[OutPkts]
	name := "reply path"
	if len(deltas) == 0 {
		return Check{Name: name, Detail: fmt.Sprintf("the director has no virtual service %s (ipvsadm -Ln --stats)", strings.Join(c.ServiceKeys(), ", "))}
	}
	got := fmt.Sprintf("the director counted %d connections, %d packets in, %d out", conns, in, out)
	switch {
	case conns == 0 || in == 0:
		return Check{Name: name, Detail: got + ": the requests did not go through its virtual service"}
	case c.Mode == "nat" && out == 0:
		return Check{Name: name, Detail: got + ": NAT replies must come back through the director"}
	case c.Mode == "nat":
		return Check{Name: name, OK: true, Detail: got + ": replies come back through the director (NAT)"}
	case out > 0:
		return Check{Name: name, Detail: got + ": replies pass the director, they should go straight to the client"}
	}
	return Check{Name: name, OK: true, Detail: got + ": replies bypass the director"}
}

// persistence checks that ports 80 and 443 of one client land on one real
// server (the fwmark service's persistence template).
func (v *Verifier) persistence(ctx context.Context, winner string, n int) (Check, error) {
	c := v.Config
	name := "persistence 80+443"
	a, err := v.HTTP(ctx, map[string]any{"url": fmt.Sprintf("https://%s/test.html", c.VIP), "count": n, "expect_body_regex": "^real server "})
	if err != nil {
		return Check{}, err
	}
	counts, other := serverCounts(a.Answers)
	var got []string
	for s := range counts {
		got = append(got, s)
	}
	sort.Strings(got)
	switch {
	case len(a.Failures) > 0:
		return Check{Name: name, Detail: "https: " + strings.Join(a.Failures, "; ")}, nil
	case len(other) > 0 || len(got) != 1:
		return Check{Name: name, Detail: fmt.Sprintf("port 443 answered by %s (port 80 by %s)", strings.Join(got, ", "), winner)}, nil
	case winner != "" && got[0] != winner:
		return Check{Name: name, Detail: fmt.Sprintf("port 80 landed on %s, port 443 on %s", winner, got[0])}, nil
	}
	return Check{Name: name, OK: true, Detail: fmt.Sprintf("port 80 and %d requests to port 443 all on %s", n, got[0])}, nil
}

// site checks one site by SNI: the certificate served names it, and the
// site's own page answers.
func (v *Verifier) site(ctx context.Context, s Site) (Check, error) {
	c := v.Config
	name := "certificate " + s.Name
	a, err := v.HTTP(ctx, map[string]any{"url": "https://" + s.Name + "/", "resolve": c.VIP, "sni": s.Name, "count": 1, "expect_body": s.Name})
	if err != nil {
		return Check{}, err
	}
	if len(a.Failures) > 0 {
		return Check{Name: name, Detail: strings.Join(a.Failures, "; ")}, nil
	}
	var sets []string
	for set := range a.CertSets {
		sets = append(sets, set)
	}
	sort.Strings(sets)
	for _, set := range sets {
		if !slices.Contains(strings.Split(set, ","), s.Name) {
			return Check{Name: name, Detail: fmt.Sprintf("the certificate served for SNI %s names %s", s.Name, set)}, nil
		}
	}
	if len(sets) == 0 {
		return Check{Name: name, Detail: "no certificate seen (curl older than 7.88 does not report it)"}, nil
	}
	return Check{Name: name, OK: true, Detail: fmt.Sprintf("subjectAltName %s; %q", strings.Join(sets, " "), firstKey(a.Answers))}, nil
}

var lnmpLine = regexp.MustCompile(`^lnmp on (\S+): MariaDB version (\S+)`)

// lnmp checks /lnmp.php through the VIP: PHP connects to MariaDB and prints
// its version, on every real server that answers.
func (v *Verifier) lnmp(ctx context.Context, scheme string, port int) (Check, error) {
	c := v.Config
	name := "lnmp.php (nginx, php-fpm, MariaDB)"
	n := 0
	for _, s := range c.Servers {
		n += max(s.Weight, 0)
	}
	n = min(max(n, 2*len(c.Servers)), 50)
	a, err := v.HTTP(ctx, map[string]any{"url": fmt.Sprintf("%s://%s%s/lnmp.php", scheme, c.VIP, portSuffix(scheme, port)), "count": n, "expect_body_regex": `MariaDB version \S+`})
	if err != nil {
		return Check{}, err
	}
	if len(a.Failures) > 0 {
		return Check{Name: name, Detail: strings.Join(a.Failures, "; ") + " " + a.Msg}, nil
	}
	var seen []string
	for line := range a.Answers {
		if m := lnmpLine.FindStringSubmatch(line); m != nil {
			seen = append(seen, m[1]+": MariaDB "+m[2])
		}
	}
	sort.Strings(seen)
	return Check{Name: name, OK: len(seen) > 0, Detail: strings.Join(seen, "; ")}, nil
}

func firstKey(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}
