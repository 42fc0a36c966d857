package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Check reports whether a step that ended with s was sustained: something
// was sent and completed, p99 at most r.MaxP99, and failed / due (sent plus
// overload: Summary.Failed over every request due) at most r.MaxFailRatio.
// why names every figure that failed, e.g. "p99 312ms > 200ms, 0.4% failed
// > 0.1%".
func (r RampRule) Check(s Summary) (ok bool, why string) {
	due := s.Sent + s.Failures[CauseOverload]
	if due == 0 {
		return false, "nothing sent"
	}
	var whys []string
	if s.Completed == 0 {
		whys = append(whys, "nothing completed")
	} else if p99 := time.Duration(s.Latency.P99 * float64(time.Millisecond)); p99 > r.MaxP99 {
		whys = append(whys, fmt.Sprintf("p99 %v > %v", roundDuration(p99), r.MaxP99))
	}
	if ratio := float64(s.Failed) / float64(due); ratio > r.MaxFailRatio {
		whys = append(whys, fmt.Sprintf("%s failed > %s", percent(ratio), percent(r.MaxFailRatio)))
	}
	return len(whys) == 0, strings.Join(whys, ", ")
}

// roundDuration keeps three significant digits or so: 312ms, 12.3ms, 1.23ms.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// percent formats a ratio as a percentage with two significant digits or
// so: 0.1%, 0.45%, 12%.
func percent(ratio float64) string {
	p := ratio * 100
	switch {
	case p >= 10:
		return fmt.Sprintf("%.0f%%", p)
	case p >= 1:
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.2g%%", p)
}

// StoppedMaxSteps and StoppedMaxRate are RampResult.StoppedBy when every
// step passed: after r.MaxSteps, or at a rate above MaxRate.
const (
	StoppedMaxSteps = "max steps"
	StoppedMaxRate  = "max rate"
)

// Ramp runs open-loop steps of rates r.Start, r.Start×r.Factor, ... each
// for r.Step, and stops at the first step that fails r.Rule (StoppedBy is
// its Why) or after r.MaxSteps. Every setting of o is used except
// Duration, Rate and Requests, which the steps set, and Concurrency. Ramp
// validates (copies of) o and r itself. emit gets every Interval, its Step
// the step's index from 1 and its Elapsed counted from the ramp's start;
// step, when not nil, gets each step as it ends. When ctx is cancelled Ramp
// returns the steps that ended, with ctx.Err().
func Ramp(ctx context.Context, o Options, r RampOptions, emit func(Interval), step func(RampStep)) (RampResult, error) {
	if err := validateRamp(&o, &r); err != nil {
		return RampResult{}, err
	}
	res := RampResult{Steps: []RampStep{}}
	origin := time.Now()
	for i := 1; i <= r.MaxSteps; i++ {
		o.Rate = r.Start * math.Pow(r.Factor, float64(i-1))
		if o.Rate > MaxRate {
			res.StoppedBy = StoppedMaxRate
			return res, nil
		}
		s, err := run(ctx, o, emit, i, origin)
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			return res, fmt.Errorf("ramp step %d (%g/s): %w", i, o.Rate, err)
		}
		st := RampStep{Rate: o.Rate, Summary: s}
		st.Pass, st.Why = r.Rule.Check(s)
		res.Steps = append(res.Steps, st)
		if step != nil {
			step(st)
		}
		if !st.Pass {
			res.StoppedBy = st.Why
			return res, nil
		}
		if s.RPS > res.Capacity {
			res.Capacity, res.CapacityRate = s.RPS, st.Rate
		}
	}
	res.StoppedBy = StoppedMaxSteps
	return res, nil
}

// validateRamp validates r, and o as the ramp's first step will use it.
func validateRamp(o *Options, r *RampOptions) error {
	rerr := r.Validate()
	o.Duration, o.Rate, o.Requests, o.Concurrency = r.Step, r.Start, 0, 0
	if rerr != nil {
		o.Duration, o.Rate = time.Second, 1 // report o's own problems only
	}
	return errors.Join(rerr, o.Validate())
}
