package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestAgentBadSpec(t *testing.T) {
	for spec, want := range map[string]string{
		`{"options":{"url":"http://127.0.0.1/","duration":1000000000,"rat":5}}`: `unknown field "rat"`,
		`{"options":{"url":"http://127.0.0.1/"}}`:                               "duration 0s",
		`{"options":{"url":"http://127.0.0.1/"},"ramp":{"factor":0.5}}`:         "factor 0.5",
		`{"options":{"url":"http://127.0.0.1/","duration":1}} {}`:               "data after the spec",
		`not json`: "invalid character",
	} {
		var out bytes.Buffer
		err := Agent(context.Background(), []byte(spec), &out)
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrSpec saying %q", spec, err, want)
			continue
		}
		var events []Event
		if err := Decode(&out, func(ev Event) error { events = append(events, ev); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || !strings.Contains(events[0].Error, want) {
			t.Errorf("%s: events %+v, want one error event", spec, events)
		}
	}
}

// agentEvents runs Agent with spec and returns its events.
func agentEvents(t *testing.T, spec string) []Event {
	t.Helper()
	var out bytes.Buffer
	if err := Agent(context.Background(), []byte(spec), &out); err != nil {
		t.Fatal(err)
	}
	var events []Event
	if err := Decode(&out, func(ev Event) error { events = append(events, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestAgentRun(t *testing.T) {
	s := newServer(t, okHandler, false)
	events := agentEvents(t, fmt.Sprintf(`{"options":{"url":%q,"duration":60000000000,"requests":30,"concurrency":3,"interval":100000000}}`, s.URL))
	last := events[len(events)-1]
	for _, ev := range events[:len(events)-1] {
		if ev.Interval == nil || ev.Step != nil || ev.Summary != nil {
			t.Errorf("event before the summary: %+v", ev)
		}
	}
	if sum := last.Summary; sum == nil || sum.Completed != 30 || len(sum.Intervals) != len(events)-1 {
		t.Errorf("last event %+v after %d interval events", last, len(events)-1)
	}
}

func TestAgentRamp(t *testing.T) {
	s := newServer(t, okHandler, false)
	events := agentEvents(t, fmt.Sprintf(`{"options":{"url":%q,"interval":100000000},"ramp":{"start":20,"factor":2,"step":200000000,"max_steps":2,"rule":{"max_p99":60000000000,"max_fail_ratio":1}}}`, s.URL))
	steps := 0
	for _, ev := range events[:len(events)-1] {
		switch {
		case ev.Step != nil:
			steps++
		case ev.Interval == nil:
			t.Errorf("event before the ramp's result: %+v", ev)
		}
	}
	ramp := events[len(events)-1].Ramp
	if ramp == nil || steps != 2 || len(ramp.Steps) != 2 || ramp.StoppedBy != StoppedMaxSteps {
		t.Errorf("ramp %+v after %d step events", ramp, steps)
	}
}
