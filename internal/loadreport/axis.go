package loadreport

import (
	"math"
	"strconv"
	"strings"
)

// scale maps a domain [lo, hi] to pixels [a, b], linearly or by logarithm.
type scale struct {
	lo, hi float64
	a, b   float64
	log    bool
}

// at is the pixel of v; values outside the domain are clamped to it.
func (s scale) at(v float64) float64 {
	v = math.Min(math.Max(v, s.lo), s.hi)
	f := 0.0
	switch {
	case s.hi <= s.lo:
	case s.log:
		f = math.Log(v/s.lo) / math.Log(s.hi/s.lo)
	default:
		f = (v - s.lo) / (s.hi - s.lo)
	}
	return s.a + f*(s.b-s.a)
}

// axis is a scale's domain with its ticks.
type axis struct {
	lo, hi float64
	log    bool
	ticks  []float64
}

// scale is the axis mapped onto pixels [a, b].
func (ax axis) scale(a, b float64) scale { return scale{lo: ax.lo, hi: ax.hi, a: a, b: b, log: ax.log} }

// niceStep is the smallest 1, 2 or 5 × 10^k that is at least raw.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// linearAxis runs from 0 to the first nice tick at or above top, with about
// n ticks.
func linearAxis(top float64, n int) axis {
	if top <= 0 {
		top = 1
	}
	step := niceStep(top / float64(n))
	count := int(math.Ceil(top/step - 1e-9))
	ax := axis{hi: float64(count) * step}
	for i := 0; i <= count; i++ {
		ax.ticks = append(ax.ticks, float64(i)*step)
	}
	return ax
}

// logAxis runs from the highest 1, 2 or 5 × 10^k at or below low (> 0) to
// the lowest at or above top, with ticks at 1, 2 and 5 × 10^k, or at the
// decades and both ends when it spans more than three decades.
func logAxis(low, top float64) axis {
	ax := axis{lo: mark(low, false), hi: mark(top, true), log: true}
	if ax.hi <= ax.lo {
		ax.hi = mark(ax.lo*1.01, true)
	}
	wide := math.Log10(ax.hi/ax.lo) > 3
	for k := math.Floor(math.Log10(ax.lo)); k <= math.Ceil(math.Log10(ax.hi)); k++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, k)
			inside := v >= ax.lo*(1-1e-9) && v <= ax.hi*(1+1e-9)
			if inside && (!wide || m == 1 || near(v, ax.lo) || near(v, ax.hi)) {
				ax.ticks = append(ax.ticks, v)
			}
		}
	}
	return ax
}

// mark is the nearest 1, 2 or 5 × 10^k to v (> 0): at or above it when up,
// else at or below it.
func mark(v float64, up bool) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	ms := []float64{1, 2, 5, 10}
	if up {
		for _, m := range ms {
			if m*p >= v*(1-1e-9) {
				return m * p
			}
		}
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i]*p <= v*(1+1e-9) {
			return ms[i] * p
		}
	}
	return p
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(a, b) }

// latencyAxis is linear from 0 with some room above top, or logarithmic
// when the values span more than a factor of 20, so that one slow interval
// does not flatten the rest.
func latencyAxis(low, top float64) axis {
	if low > 0 && top/low > 20 {
		return logAxis(low, top)
	}
	return linearAxis(top*1.08, 5)
}

// tickLabel formats a tick value compactly: 0.05, 2, 1500, 25k, 1.5M.
func tickLabel(v float64) string {
	switch {
	case v >= 1e6:
		return short(v/1e6) + "M"
	case v >= 1e4:
		return short(v/1e3) + "k"
	}
	return short(v)
}

// short formats v with at most 3 significant decimals, no trailing zeros.
func short(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// quantity formats an amount for reading: 1234, 56.7, 0.89.
func quantity(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
