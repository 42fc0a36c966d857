// Package load is lvslab's load generator, the write-up's `ab` step: HTTP
// requests against one address, one new TCP connection per request unless
// KeepAlive (IPVS schedules connections, not requests), each answer
// attributed to the real server named in its X-Real-Server header, latencies
// kept in a histogram of bounded size whatever the run's length.
//
// Run sends for a duration, closed loop (Concurrency workers, as ab -c) or
// open loop (Rate requests per second on a fixed schedule, latency measured
// from each request's scheduled start so that a slow server cannot hide its
// queue). Ramp raises an open-loop rate step by step until a RampRule fails
// and reports the highest rate sustained: the capacity.
//
// http:// targets are driven by event loops as ab's (loop.go: one per
// GOMAXPROCS, each an OS thread with an epoll instance of its own, many
// connections each); https:// ones by a goroutine per connection over Go's
// poller (client.go), for crypto/tls. Both read answers with the same
// parser and record the same results.
//
// The same code runs on the controller or, as `lvslab load-agent`, on a
// client host; Encoder and Decode carry its events as JSON lines between
// the two.
package load

import "time"

// ServerHeader is the response header that names the real server that
// answered (the lab's nginx sets it to the host's inventory name).
const ServerHeader = "X-Real-Server"

// Unnamed is the Servers key of answers without a ServerHeader.
const Unnamed = "-"

// Failure causes, the keys of Summary.Failures.
const (
	CauseRefused  = "refused"  // connection refused (nothing listens, or a RST to the SYN)
	CauseReset    = "reset"    // connection reset or closed before a whole answer
	CauseTimeout  = "timeout"  // no whole answer within Options.Timeout
	CauseStatus   = "non-2xx"  // an answer whose status is not 2xx
	CauseOverload = "overload" // open loop: MaxInFlight requests were outstanding, this one was not sent
	CauseOther    = "other"    // anything else (unreachable network, TLS, malformed answer)
)

// Bounds on Options, so that memory and time stay bounded whatever the input.
const (
	MaxDuration    = time.Hour
	MaxConcurrency = 10000
	MaxRate        = 1e6
)

// Options are one run's settings. The zero values of the optional fields
// are replaced by their defaults in Validate.
type Options struct {
	// URL is http://ADDR[:PORT]/PATH or https://...; ADDR is what is
	// connected to (an IP address or a name).
	URL string `json:"url"`
	// Host is the Host header and the TLS server name; default the URL's host.
	Host string `json:"host,omitempty"`
	// Duration is how long requests are sent (> 0, at most MaxDuration).
	Duration time.Duration `json:"duration"`
	// Requests stops the run once this many are sent (0: Duration only);
	// in an open loop, once this many were due (overload included).
	Requests int64 `json:"requests,omitempty"`
	// Concurrency is the number of workers of a closed loop, each sending
	// its next request when its last one ends (default 50 when Rate is 0).
	// With Rate it is unused.
	Concurrency int `json:"concurrency,omitempty"`
	// Rate > 0 makes an open loop: requests per second on a fixed schedule.
	Rate float64 `json:"rate,omitempty"`
	// MaxInFlight bounds the open loop's outstanding requests (default
	// 10000); a request due while that many are outstanding is not sent and
	// counts as failed by CauseOverload.
	MaxInFlight int `json:"max_in_flight,omitempty"`
	// KeepAlive reuses connections (HTTP/1.1 keep-alive).
	KeepAlive bool `json:"keepalive,omitempty"`
	// Timeout bounds one request, connecting included (default 5s).
	Timeout time.Duration `json:"timeout,omitempty"`
	// Interval is the length of the Intervals of the summary and of the live
	// events (default 1s).
	Interval time.Duration `json:"interval,omitempty"`
}

// Latency are latency figures in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Interval is what one Options.Interval of a run saw: requests ended in it.
type Interval struct {
	Step      int              `json:"step"`    // the ramp step (0 outside a ramp)
	Elapsed   float64          `json:"elapsed"` // seconds since the run (or ramp) started, at the interval's end
	Completed int64            `json:"completed"`
	Failed    int64            `json:"failed"`
	Failures  map[string]int64 `json:"failures,omitempty"` // by cause, when some failed
	RPS       float64          `json:"rps"`                // completed per second
	P99       float64          `json:"p99_ms"`             // of the requests completed in the interval
	Servers   map[string]int64 `json:"servers"`
}

// Summary is one run's outcome.
type Summary struct {
	URL         string  `json:"url"`
	Host        string  `json:"host"`
	Concurrency int     `json:"concurrency,omitempty"` // closed loop
	Rate        float64 `json:"rate,omitempty"`        // open loop: offered requests per second
	KeepAlive   bool    `json:"keepalive"`
	Seconds     float64 `json:"seconds"` // from the first request sent to the last one ended
	// Sent counts the requests sent that ended, answered or failed (those
	// abandoned by a cancelled run are not counted): Completed plus every
	// failure but CauseOverload.
	Sent      int64 `json:"sent"`
	Completed int64 `json:"completed"` // 2xx answers
	// Failed is Sent - Completed + Failures[CauseOverload]: every request
	// due that did not complete, sent or not; it is the sum of Failures.
	Failed      int64            `json:"failed"`
	Failures    map[string]int64 `json:"failures"` // by cause (non-2xx included)
	Statuses    map[string]int64 `json:"statuses"` // answers by status code ("200", "502")
	RPS         float64          `json:"rps"`      // Completed / Seconds
	Latency     Latency          `json:"latency"`  // of completed requests
	Bytes       int64            `json:"bytes"`    // received, headers and bodies
	BytesPerSec float64          `json:"bytes_per_sec"`
	Servers     map[string]int64 `json:"servers"` // completed answers by ServerHeader value (Unnamed without; see OtherServers)
	Intervals   []Interval       `json:"intervals"`
}

// RampRule says whether one step of a ramp was sustained.
type RampRule struct {
	MaxP99       time.Duration `json:"max_p99"`        // default 200ms
	MaxFailRatio float64       `json:"max_fail_ratio"` // failed / due (sent + overload), default 0.001
}

// RampOptions are a ramp's steps: open-loop rates Start, Start×Factor, ...
// each for Step, until the rule fails or MaxSteps have run.
type RampOptions struct {
	Start    float64       `json:"start"`     // requests per second of the first step (> 0)
	Factor   float64       `json:"factor"`    // default 1.25 (> 1)
	Step     time.Duration `json:"step"`      // default 5s
	MaxSteps int           `json:"max_steps"` // default 20, at most 100
	Rule     RampRule      `json:"rule"`
}

// RampStep is one step of a ramp.
type RampStep struct {
	Rate    float64 `json:"rate"` // offered
	Summary Summary `json:"summary"`
	Pass    bool    `json:"pass"`
	Why     string  `json:"why,omitempty"` // why it failed the rule
}

// RampResult is a ramp's outcome. Capacity is the highest completed rate
// (Summary.RPS) among the steps that passed, at CapacityRate offered; 0 when
// the first step failed.
type RampResult struct {
	Steps        []RampStep `json:"steps"`
	Capacity     float64    `json:"capacity_rps"`
	CapacityRate float64    `json:"capacity_rate"`
	StoppedBy    string     `json:"stopped_by"` // the failing step's Why, or "max steps"
}
