package loadreport

import (
	"fmt"
	"testing"
)

func TestNiceStep(t *testing.T) {
	for raw, want := range map[float64]float64{0.3: 0.5, 1: 1, 1.1: 2, 3: 5, 7: 10, 420: 500, 1999: 2000, 0: 1} {
		if got := niceStep(raw); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", raw, got, want)
		}
	}
}

func TestAxes(t *testing.T) {
	for _, c := range []struct {
		ax   axis
		want string
	}{
		{linearAxis(4158, 5), "0..5000 [0 1000 2000 3000 4000 5000]"},
		{linearAxis(21, 8), "0..25 [0 5 10 15 20 25]"},
		{linearAxis(0, 5), "0..1 [0 0.2 0.4 0.6 0.8 1]"},
		{logAxis(5.6, 1012), "5..2000 log [5 10 20 50 100 200 500 1000 2000]"},
		{logAxis(2.5, 440), "2..500 log [2 5 10 20 50 100 200 500]"},
		{logAxis(0.3, 5000), "0.2..5000 log [0.2 1 10 100 1000 5000]"},
		{latencyAxis(5, 12), "0..15 [0 5 10 15]"},
	} {
		got := fmt.Sprintf("%s..%s", short(c.ax.lo), short(c.ax.hi))
		if c.ax.log {
			got += " log"
		}
		labels := make([]string, len(c.ax.ticks))
		for i, v := range c.ax.ticks {
			labels[i] = short(v)
		}
		got += fmt.Sprintf(" %v", labels)
		if got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

func TestTickLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.2: "0.2", 1500: "1500", 25000: "25k", 12500: "12.5k", 1.5e6: "1.5M"} {
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", v, got, want)
		}
	}
}
