package load

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// jsonKeys returns the key paths of v's JSON ("latency.p50_ms",
// "intervals[].step"), not entering the maps keyed by data (maps are
// empty in the fixtures).
func jsonKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				keys = append(keys, prefix+k)
				walk(prefix+k+".", v)
			}
		case []any:
			for _, v := range x[:min(len(x), 1)] {
				walk(strings.TrimSuffix(prefix, ".")+"[].", v)
			}
		}
	}
	walk("", x)
	slices.Sort(keys)
	return keys
}

func fixtureSummary() Summary {
	return Summary{
		Rate: 1, Concurrency: 1, // both set, so that both keys show
		Failures: map[string]int64{}, Statuses: map[string]int64{}, Servers: map[string]int64{},
		Intervals: []Interval{{Servers: map[string]int64{}}},
	}
}

var summaryKeys = []string{
	"bytes", "bytes_per_sec", "completed", "concurrency", "failed", "failures", "host", "intervals",
	"intervals[].completed", "intervals[].elapsed", "intervals[].failed", "intervals[].p99_ms",
	"intervals[].rps", "intervals[].servers", "intervals[].step", "keepalive", "latency",
	"latency.max_ms", "latency.mean_ms", "latency.p50_ms", "latency.p90_ms", "latency.p99_ms",
	"rate", "rps", "seconds", "sent", "servers", "statuses", "url",
}

func TestSummarySchema(t *testing.T) {
	if got := jsonKeys(t, fixtureSummary()); !slices.Equal(got, summaryKeys) {
		t.Errorf("Summary JSON keys changed:\n got %q\nwant %q", got, summaryKeys)
	}
}

func TestRampResultSchema(t *testing.T) {
	res := RampResult{Steps: []RampStep{{Summary: fixtureSummary(), Why: "x"}}}
	want := []string{"capacity_rate", "capacity_rps", "steps", "steps[].pass", "steps[].rate", "steps[].summary", "steps[].why", "stopped_by"}
	for _, k := range summaryKeys {
		want = append(want, "steps[].summary."+k)
	}
	slices.Sort(want)
	if got := jsonKeys(t, res); !slices.Equal(got, want) {
		t.Errorf("RampResult JSON keys changed:\n got %q\nwant %q", got, want)
	}
}

func TestSpecSchema(t *testing.T) {
	spec := AgentSpec{
		Options: Options{URL: "u", Host: "h", Duration: 1, Requests: 1, Concurrency: 1, Rate: 1, MaxInFlight: 1, KeepAlive: true, Timeout: 1, Interval: 1},
		Ramp:    &RampOptions{Start: 1, Factor: 1, Step: 1, MaxSteps: 1, Rule: RampRule{MaxP99: 1, MaxFailRatio: 1}},
	}
	want := []string{
		"options", "options.concurrency", "options.duration", "options.host", "options.interval", "options.keepalive",
		"options.max_in_flight", "options.rate", "options.requests", "options.timeout", "options.url",
		"ramp", "ramp.factor", "ramp.max_steps", "ramp.rule", "ramp.rule.max_fail_ratio", "ramp.rule.max_p99", "ramp.start", "ramp.step",
	}
	if got := jsonKeys(t, spec); !slices.Equal(got, want) {
		t.Errorf("AgentSpec JSON keys changed:\n got %q\nwant %q", got, want)
	}
}
