package lvs

import (
	"strings"
	"testing"
)

func servers(weights ...int) []Server {
	var out []Server
	for i, w := range weights {
		out = append(out, Server{Name: "rs0" + string(rune('1'+i)), Weight: w})
	}
	return out
}

func TestExpect(t *testing.T) {
	cases := []struct {
		sched   string
		persist int
		weights []int
		want    map[string]float64
		pred    bool
		sticky  bool
	}{
		{"rr", 0, []int{1, 1}, map[string]float64{"rs01": 0.5, "rs02": 0.5}, true, false},
		{"rr", 0, []int{3, 1}, map[string]float64{"rs01": 0.5, "rs02": 0.5}, true, false},
		{"rr", 0, []int{3, 0}, map[string]float64{"rs01": 1, "rs02": 0}, true, false},
		{"wrr", 0, []int{3, 1}, map[string]float64{"rs01": 0.75, "rs02": 0.25}, true, false},
		{"WRR", 0, []int{1, 1, 2}, map[string]float64{"rs01": 0.25, "rs02": 0.25, "rs03": 0.5}, true, false},
		{"wlc", 0, []int{1, 1}, nil, false, false},
		{"lc", 0, []int{1, 1}, nil, false, false},
		{"sh", 0, []int{1, 1}, nil, false, true},
		{"rr", 300, []int{1, 1}, nil, false, true},
		{"wrr", 0, []int{0, 0}, nil, false, false},
	}
	for _, c := range cases {
		e := Expect(c.sched, c.persist, servers(c.weights...))
		if e.Predicted != c.pred || e.Persistent != c.sticky {
			t.Errorf("%s p=%d %v: predicted=%v persistent=%v, want %v %v", c.sched, c.persist, c.weights, e.Predicted, e.Persistent, c.pred, c.sticky)
			continue
		}
		for k, v := range c.want {
			if diff := e.Shares[k] - v; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("%s %v: share %s = %v, want %v", c.sched, c.weights, k, e.Shares[k], v)
			}
		}
		if e.Why == "" {
			t.Errorf("%s: no explanation", c.sched)
		}
	}
}

func TestCompareWithinTolerance(t *testing.T) {
	srv := servers(3, 1)
	o := Compare(Expect("wrr", 0, srv), srv, map[string]int{"rs01": 30, "rs02": 10}, 40, 0, 5)
	if !o.OK() {
		t.Fatalf("failures: %v", o.Failures)
	}
	o = Compare(Expect("wrr", 0, srv), srv, map[string]int{"rs01": 20, "rs02": 20}, 40, 0, 5)
	if o.OK() || !strings.Contains(o.Failures[0], "expected 75.0%") {
		t.Fatalf("want a share failure, got %v", o.Failures)
	}
}

func TestCompareErrorsAndStrangers(t *testing.T) {
	srv := servers(1, 1)
	o := Compare(Expect("rr", 0, srv), srv, map[string]int{"rs01": 4, "rs02": 4, "web9": 2}, 12, 2, 50)
	if o.Other != 2 || o.Errors != 2 || len(o.Failures) != 2 {
		t.Fatalf("other=%d errors=%d failures=%v", o.Other, o.Errors, o.Failures)
	}
}

func TestCompareNotPredicted(t *testing.T) {
	srv := servers(1, 1)
	o := Compare(Expect("wlc", 0, srv), srv, map[string]int{"rs01": 10}, 10, 0, 5)
	if o.OK() || !strings.Contains(strings.Join(o.Failures, ";"), "rs02 (weight 1) never answered") {
		t.Fatalf("failures: %v", o.Failures)
	}
	o = Compare(Expect("wlc", 0, srv), srv, map[string]int{"rs01": 9, "rs02": 1}, 10, 0, 5)
	if !o.OK() {
		t.Fatalf("failures: %v", o.Failures)
	}
}

func TestComparePersistent(t *testing.T) {
	srv := servers(1, 1)
	exp := Expect("rr", 300, srv)
	o := Compare(exp, srv, map[string]int{"rs02": 10}, 10, 0, 5)
	if !o.OK() || o.Winner != "rs02" {
		t.Fatalf("failures %v winner %q", o.Failures, o.Winner)
	}
	o = Compare(exp, srv, map[string]int{"rs01": 5, "rs02": 5}, 10, 0, 5)
	if o.OK() || !strings.Contains(o.Failures[0], "persistence broken") {
		t.Fatalf("failures %v", o.Failures)
	}
}

func TestCompareWeightZeroAnswered(t *testing.T) {
	srv := servers(1, 0)
	o := Compare(Expect("wrr", 0, srv), srv, map[string]int{"rs01": 9, "rs02": 1}, 10, 0, 50)
	if o.OK() {
		t.Fatal("a weight-0 server answering must fail")
	}
}

func TestOutcomeTableGolden(t *testing.T) {
	srv := servers(3, 1)
	o := Compare(Expect("wrr", 0, srv), srv, map[string]int{"rs01": 29, "rs02": 11}, 41, 1, 5)
	golden(t, "verify-table.golden", o.Table().String())
	sticky := Compare(Expect("rr", 300, srv), srv, map[string]int{"rs02": 20}, 20, 0, 5)
	golden(t, "verify-table-sticky.golden", sticky.Table().String())
}
