package load

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEventRoundTrip(t *testing.T) {
	events := []Event{
		{Interval: &Interval{Step: 1, Elapsed: 1.5, Completed: 10, Failed: 1, RPS: 10, P99: 2.5, Servers: map[string]int64{"rs01": 10}}},
		{Step: &RampStep{Rate: 100, Pass: true, Summary: Summary{URL: "http://x/", Sent: 5, Failures: map[string]int64{}, Statuses: map[string]int64{"200": 5}, Servers: map[string]int64{}, Intervals: []Interval{}}}},
		{Summary: &Summary{URL: "http://x/", Completed: 3, Latency: Latency{P50: 1, P99: 2}}},
		{Ramp: &RampResult{Steps: []RampStep{}, Capacity: 123, CapacityRate: 125, StoppedBy: StoppedMaxSteps}},
		{Error: "boom"},
	}
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	for _, ev := range events {
		if err := enc.Encode(ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != len(events) {
		t.Errorf("%d lines for %d events", n, len(events))
	}
	var got []Event
	if err := Decode(&buf, func(ev Event) error { got = append(got, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, events) {
		t.Errorf("decoded %+v\nwant %+v", got, events)
	}
}

func TestDecodeErrors(t *testing.T) {
	long := `{"error":"` + strings.Repeat("x", MaxEventLine) + `"}`
	err := Decode(strings.NewReader("{\"error\":\"a\"}\n"+long+"\n"), func(Event) error { return nil })
	if err == nil || err.Error() != "event line 2: longer than 16 MiB" {
		t.Errorf("too long a line: %v", err)
	}
	err = Decode(strings.NewReader("{}\n\n{\"interval\":7}\n"), func(Event) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "event line 3: ") {
		t.Errorf("bad JSON: %v", err)
	}
	stop := errors.New("stop")
	if err := Decode(strings.NewReader("{}\n{}\n"), func(Event) error { return stop }); err != stop {
		t.Errorf("fn's error: %v", err)
	}
}
