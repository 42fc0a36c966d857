package loadreport

import (
	"fmt"
	"testing"

	"lvslab/internal/load"
)

func TestTrackBounded(t *testing.T) {
	tr := newTrack(longRun())
	if len(tr.samples) > maxPoints {
		t.Errorf("%d samples, want at most %d", len(tr.samples), maxPoints)
	}
	if tr.merged != 167 {
		t.Errorf("each sample merges %d intervals, want 167", tr.merged)
	}
	if len(tr.servers) != maxServers+1 || !tr.others || tr.servers[maxServers] != othersName {
		t.Errorf("servers %v (others %v), want %d and others", tr.servers, tr.others, maxServers)
	}
	var answers, drawn int64
	for _, n := range tr.answers {
		answers += n
	}
	for _, s := range tr.samples {
		for _, n := range s.servers {
			drawn += n
		}
	}
	if answers != 100_000*300 || drawn != answers {
		t.Errorf("answers %d, in samples %d, want %d", answers, drawn, 100_000*300)
	}
}

func TestRampSpans(t *testing.T) {
	tr := newTrack(rampRun())
	var got string
	for _, st := range tr.steps {
		got += fmt.Sprintf("%s-%s@%s:%v ", short(st.start), short(st.end), quantity(st.rate), st.pass)
	}
	want := "0-5@500:true 5-10@750:true 10-15@1125:true 15-20@1688:true 20-25@2531:true 25-30@3797:false "
	if got != want {
		t.Errorf("spans %s\nwant  %s", got, want)
	}
	if len(tr.samples) != 30 || tr.end != 30 {
		t.Errorf("%d samples ending at %v, want 30 ending at 30", len(tr.samples), tr.end)
	}
	if s := tr.samples[0]; s.dt != 1 || s.mid() != 0.5 {
		t.Errorf("first sample covers %v s, drawn at %v; want 1 s at 0.5", s.dt, s.mid())
	}
}

func TestHeadline(t *testing.T) {
	tracks := func(runs []Run) []track {
		out := make([]track, len(runs))
		for i, r := range runs {
			out[i] = newTrack(r)
		}
		return out
	}
	for _, c := range []struct {
		runs []Run
		want string
	}{
		{compareRuns(), "×1.91 scale-out"},
		{[]Run{rampRun()}, "capacity 2521 req/s"},
		{compareRuns()[:1], "2013 req/s"},
		{[]Run{{Label: "idle"}, compareRuns()[1]}, "scale-out n/a: the first run completed nothing"},
		{[]Run{compareRuns()[0], compareRuns()[1], {Ramp: &load.RampResult{Capacity: 5000}}}, "2013 req/s · 3845 req/s · capacity 5000 req/s"},
	} {
		if got, _ := headline(c.runs, tracks(c.runs)); got != c.want {
			t.Errorf("headline %q, want %q", got, c.want)
		}
	}
}
