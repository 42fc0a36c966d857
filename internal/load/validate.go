package load

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults of the optional fields of Options and RampOptions.
const (
	DefaultConcurrency  = 50
	DefaultMaxInFlight  = 10000
	DefaultTimeout      = 5 * time.Second
	DefaultInterval     = time.Second
	DefaultFactor       = 1.25
	DefaultStep         = 5 * time.Second
	DefaultMaxSteps     = 20
	DefaultMaxP99       = 200 * time.Millisecond
	DefaultMaxFailRatio = 0.001
)

// More bounds, so that memory stays bounded whatever the input.
const (
	maxInFlight  = 100000 // Options.MaxInFlight: each outstanding request is a goroutine
	maxRampSteps = 100
	maxIntervals = 100000 // per run: Duration / Interval
)

// Validate fills the defaults of o's optional fields, then checks every
// field and reports every problem at once (one line each).
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	u, err := url.Parse(o.URL)
	switch {
	case err != nil:
		bad("url %q: %v", o.URL, errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https":
		bad("url %q: scheme must be http or https", o.URL)
	case u.Hostname() == "":
		bad("url %q: no host", o.URL)
	case o.Host == "":
		o.Host = u.Host
	}
	if strings.ContainsFunc(o.Host, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		bad("host %q: spaces or control characters", o.Host)
	}
	if o.Duration <= 0 || o.Duration > MaxDuration {
		bad("duration %v: must be > 0 and at most %v", o.Duration, MaxDuration)
	}
	if !(o.Rate >= 0 && o.Rate <= MaxRate) {
		bad("rate %g/s: must be >= 0 (0: closed loop) and at most %g/s", o.Rate, float64(MaxRate))
	}
	if o.Rate == 0 {
		if o.Concurrency == 0 {
			o.Concurrency = DefaultConcurrency
		}
		if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
			bad("concurrency %d: must be 1..%d", o.Concurrency, MaxConcurrency)
		}
	}
	if o.Requests < 0 {
		bad("requests %d: must be >= 0 (0: no limit)", o.Requests)
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxInFlight < 1 || o.MaxInFlight > maxInFlight {
		bad("max_in_flight %d: must be 1..%d", o.MaxInFlight, maxInFlight)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Timeout < 0 {
		bad("timeout %v: must be > 0", o.Timeout)
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Interval < time.Millisecond {
		bad("interval %v: must be at least 1ms", o.Interval)
	} else if o.Duration/o.Interval > maxIntervals {
		bad("interval %v: more than %d in a duration of %v", o.Interval, maxIntervals, o.Duration)
	}
	return errors.Join(errs...)
}

// Validate fills the defaults of r's optional fields, then checks every
// field and reports every problem at once (one line each).
func (r *RampOptions) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if !(r.Start > 0 && r.Start <= MaxRate) {
		bad("start %g/s: must be > 0 and at most %g/s", r.Start, float64(MaxRate))
	}
	if r.Factor == 0 {
		r.Factor = DefaultFactor
	}
	if !(r.Factor > 1) {
		bad("factor %g: must be > 1", r.Factor)
	}
	if r.Step == 0 {
		r.Step = DefaultStep
	}
	if r.Step <= 0 || r.Step > MaxDuration {
		bad("step %v: must be > 0 and at most %v", r.Step, MaxDuration)
	}
	if r.MaxSteps == 0 {
		r.MaxSteps = DefaultMaxSteps
	}
	if r.MaxSteps < 1 || r.MaxSteps > maxRampSteps {
		bad("max_steps %d: must be 1..%d", r.MaxSteps, maxRampSteps)
	}
	if r.Rule.MaxP99 == 0 {
		r.Rule.MaxP99 = DefaultMaxP99
	}
	if r.Rule.MaxP99 < 0 {
		bad("rule max_p99 %v: must be > 0", r.Rule.MaxP99)
	}
	if r.Rule.MaxFailRatio == 0 {
		r.Rule.MaxFailRatio = DefaultMaxFailRatio
	}
	if !(r.Rule.MaxFailRatio > 0 && r.Rule.MaxFailRatio <= 1) {
		bad("rule max_fail_ratio %g: must be > 0 and at most 1", r.Rule.MaxFailRatio)
	}
	return errors.Join(errs...)
}
