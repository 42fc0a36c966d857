package load

import (
	"math"
	"math/bits"
	"time"
)

// The histogram's layout, log-linear as in HDR histograms: values (in
// nanoseconds) below 2^subBits are exact; above, each power of two is split
// into 2^subBits buckets of equal width, so that a bucket is at most 1/128 of
// its lower bound wide and its midpoint within 1/256 (0.4%) of any value in
// it. Groups of buckets are allocated when first used: a run whose latencies
// span a few powers of two holds a few KiB.
const (
	subBits   = 7
	subCount  = 1 << subBits // buckets per group
	maxBits   = 42           // values are clamped below 2^42 ns (73 minutes)
	numGroups = maxBits - subBits + 1
	maxValue  = 1<<maxBits - 1
)

// Histogram counts durations in buckets of bounded relative width: any
// quantile is within 1% of the exact one (0.4% in fact), whatever the
// number of samples, in at most 36 KiB. Count, Max, Min and Mean are exact.
// The zero value is empty and ready to use; a Histogram is not safe for
// concurrent use.
type Histogram struct {
	groups [numGroups]*[subCount]uint64
	count  uint64
	sum    float64 // nanoseconds
	min    time.Duration
	max    time.Duration
}

// bucket returns the group and the bucket within it of v.
func bucket(v uint64) (g, i int) {
	if v > maxValue {
		v = maxValue
	}
	if v < subCount {
		return 0, int(v)
	}
	g = bits.Len64(v) - subBits
	return g, int(v>>(g-1)) - subCount
}

// bounds returns the lowest value of bucket i of group g and its width.
func bounds(g, i int) (lo, width uint64) {
	if g == 0 {
		return uint64(i), 1
	}
	return uint64(subCount+i) << (g - 1), 1 << (g - 1)
}

// Record adds one duration (a negative one counts as 0).
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	g, i := bucket(uint64(d))
	grp := h.groups[g]
	if grp == nil {
		grp = new([subCount]uint64)
		h.groups[g] = grp
	}
	grp[i]++
	if h.count == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.count++
	h.sum += float64(d)
}

// Merge adds every sample of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.count == 0 {
		return
	}
	for g, src := range o.groups {
		if src == nil {
			continue
		}
		dst := h.groups[g]
		if dst == nil {
			dst = new([subCount]uint64)
			h.groups[g] = dst
		}
		for i, n := range src {
			dst[i] += n
		}
	}
	if h.count == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.count += o.count
	h.sum += o.sum
}

// Reset empties h, keeping its buckets' memory.
func (h *Histogram) Reset() {
	for _, grp := range h.groups {
		if grp != nil {
			*grp = [subCount]uint64{}
		}
	}
	h.count, h.sum, h.min, h.max = 0, 0, 0, 0
}

// Count returns the number of samples.
func (h *Histogram) Count() int64 { return int64(h.count) }

// Max returns the largest sample (0 when empty).
func (h *Histogram) Max() time.Duration { return h.max }

// Min returns the smallest sample (0 when empty).
func (h *Histogram) Min() time.Duration { return h.min }

// Mean returns the samples' mean (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.count))
}

// Quantile returns the q-quantile (0 <= q <= 1) by nearest rank: the
// smallest sample that at least q of the samples are not above, to within
// the bucket's precision (exact for q = 1: Max). It is 0 when h is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.count)))
	rank = min(max(rank, 1), h.count)
	if rank == h.count {
		return h.max
	}
	var seen uint64
	for g, grp := range h.groups {
		if grp == nil {
			continue
		}
		for i, n := range grp {
			if seen += n; seen >= rank {
				lo, width := bounds(g, i)
				v := time.Duration(lo + width/2)
				return min(max(v, h.min), h.max)
			}
		}
	}
	return h.max
}

// Latency returns h's figures in milliseconds.
func (h *Histogram) Latency() Latency {
	return Latency{
		P50:  ms(h.Quantile(0.50)),
		P90:  ms(h.Quantile(0.90)),
		P99:  ms(h.Quantile(0.99)),
		Max:  ms(h.max),
		Mean: ms(h.Mean()),
	}
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
