package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// distributions of latencies to check the histogram against.
var distributions = map[string]func(r *rand.Rand) time.Duration{
	"uniform 0-10ms": func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(10 * time.Millisecond))) },
	"exponential 2ms": func(r *rand.Rand) time.Duration {
		return time.Duration(r.ExpFloat64() * float64(2*time.Millisecond))
	},
	"lognormal": func(r *rand.Rand) time.Duration {
		return time.Duration(math.Exp(r.NormFloat64()*1.5) * float64(300*time.Microsecond))
	},
	"bimodal 200us/80ms": func(r *rand.Rand) time.Duration {
		if r.IntN(10) == 0 {
			return 80*time.Millisecond + time.Duration(r.Int64N(int64(20*time.Millisecond)))
		}
		return 200*time.Microsecond + time.Duration(r.Int64N(int64(50*time.Microsecond)))
	},
	"small (exact region)": func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(300)) },
	"huge (clamped range)": func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(40 * time.Minute))) },
}

// exactQuantile is the nearest-rank quantile of sorted samples.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func TestHistogramQuantiles(t *testing.T) {
	for name, gen := range distributions {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			samples := make([]time.Duration, 100000)
			var total float64
			for i := range samples {
				samples[i] = gen(r)
				total += float64(samples[i])
				h.Record(samples[i])
			}
			slices.Sort(samples)
			for _, q := range []float64{0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1} {
				want, got := exactQuantile(samples, q), h.Quantile(q)
				if diff := math.Abs(float64(got - want)); diff > 0.01*float64(want) {
					t.Errorf("q%g = %v, exact %v (%.2f%% off)", q, got, want, 100*diff/float64(want))
				}
			}
			if h.Count() != int64(len(samples)) || h.Max() != samples[len(samples)-1] || h.Min() != samples[0] {
				t.Errorf("count %d max %v min %v, want %d %v %v", h.Count(), h.Max(), h.Min(), len(samples), samples[len(samples)-1], samples[0])
			}
			if mean := time.Duration(total / float64(len(samples))); h.Mean() != mean {
				t.Errorf("mean %v, want %v", h.Mean(), mean)
			}
		})
	}
}

func TestHistogramMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var all, a, b Histogram
	for i := range 50000 {
		d := distributions["lognormal"](r)
		if i%3 == 0 {
			d = distributions["bimodal 200us/80ms"](r)
			b.Record(d)
		} else {
			a.Record(d)
		}
		all.Record(d)
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{})
	if !sameBuckets(&m, &all) {
		t.Error("merged buckets differ from one histogram of every sample")
	}
	if m.Count() != all.Count() || m.Max() != all.Max() || m.Min() != all.Min() {
		t.Errorf("merged count %d max %v min %v, want %d %v %v", m.Count(), m.Max(), m.Min(), all.Count(), all.Max(), all.Min())
	}
	if d := m.Mean() - all.Mean(); d < -1 || d > 1 {
		t.Errorf("merged mean %v, want %v", m.Mean(), all.Mean())
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		if m.Quantile(q) != all.Quantile(q) {
			t.Errorf("merged q%g %v, want %v", q, m.Quantile(q), all.Quantile(q))
		}
	}
}

func sameBuckets(a, b *Histogram) bool {
	for g := range a.groups {
		var x, y [subCount]uint64
		if a.groups[g] != nil {
			x = *a.groups[g]
		}
		if b.groups[g] != nil {
			y = *b.groups[g]
		}
		if x != y {
			return false
		}
	}
	return true
}

func TestHistogramEdges(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Mean() != 0 || h.Max() != 0 {
		t.Error("empty histogram: figures not 0")
	}
	h.Record(-time.Second)
	h.Record(3 * time.Hour) // beyond the buckets' range: clamped, Max exact
	if h.Min() != 0 || h.Max() != 3*time.Hour || h.Quantile(1) != 3*time.Hour {
		t.Errorf("min %v max %v q1 %v", h.Min(), h.Max(), h.Quantile(1))
	}
	h.Reset()
	if h.Count() != 0 || h.Quantile(0.99) != 0 {
		t.Error("Reset: not empty")
	}
	h.Record(5 * time.Millisecond)
	if l := h.Latency(); l.P50 != 5 || l.P99 != 5 || l.Max != 5 || l.Mean != 5 {
		t.Errorf("one sample of 5ms: %+v", l)
	}
}

func TestHistogramBuckets(t *testing.T) {
	// Every bucket's values map back to it, and buckets tile the range.
	next := uint64(0)
	for g := range numGroups {
		for i := range subCount {
			lo, width := bounds(g, i)
			if lo != next {
				t.Fatalf("bucket %d/%d starts at %d, want %d", g, i, lo, next)
			}
			for _, v := range []uint64{lo, lo + width - 1} {
				if gg, ii := bucket(v); gg != g || ii != i {
					t.Fatalf("value %d in bucket %d/%d, want %d/%d", v, gg, ii, g, i)
				}
			}
			next = lo + width
		}
	}
	if next != maxValue+1 {
		t.Errorf("buckets end at %d, want %d", next, uint64(maxValue+1))
	}
}
