package load

import (
	"strings"
	"testing"
	"time"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestOptionsDefaults(t *testing.T) {
	o := Options{URL: "http://10.0.0.1:8080/x", Duration: time.Second}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Options{URL: o.URL, Host: "10.0.0.1:8080", Duration: time.Second, Concurrency: 50, MaxInFlight: 10000, Timeout: 5 * time.Second, Interval: time.Second}
	if o != want {
		t.Errorf("defaults %+v, want %+v", o, want)
	}
	open := Options{URL: "https://www.lab/", Host: "lab", Duration: time.Second, Rate: 10}
	if err := open.Validate(); err != nil || open.Concurrency != 0 || open.Host != "lab" {
		t.Errorf("open loop: %v, concurrency %d host %q", err, open.Concurrency, open.Host)
	}
}

func TestOptionsValidateAll(t *testing.T) {
	o := Options{URL: "ftp://x/", Duration: 2 * time.Hour, Concurrency: MaxConcurrency + 1, Requests: -1, Timeout: -time.Second, MaxInFlight: -3, Interval: time.Microsecond}
	err := o.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	wants := []string{
		`url "ftp://x/": scheme must be http or https`,
		"duration 2h0m0s: must be > 0 and at most 1h0m0s",
		"concurrency 10001: must be 1..10000",
		"requests -1: must be >= 0",
		"timeout -1s: must be > 0",
		"max_in_flight -3: must be 1..100000",
		"interval 1µs: must be at least 1ms",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(wants) {
		t.Errorf("%d problems reported, want %d:\n%v", len(lines), len(wants), err)
	}
	for _, w := range wants {
		if !contains(err.Error(), w) {
			t.Errorf("error does not say %q:\n%v", w, err)
		}
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{URL: "http:///x", Duration: time.Second}, `url "http:///x": no host`},
		{Options{URL: "http://a b/", Duration: time.Second}, `url "http://a b/"`},
		{Options{URL: "http://a/", Host: "a\r\nX: y", Duration: time.Second}, "host \"a\\r\\nX: y\": spaces or control characters"},
		{Options{URL: "http://a/", Rate: -1}, "duration 0s: must be > 0"},
		{Options{URL: "http://a/", Rate: 2e6, Duration: time.Second}, "rate 2e+06/s: must be >= 0 (0: closed loop) and at most 1e+06/s"},
		{Options{URL: "http://a/", Rate: -1, Duration: time.Second}, "rate -1/s"},
		{Options{URL: "http://a/", Duration: time.Hour, Interval: time.Millisecond}, "interval 1ms: more than 100000 in a duration of 1h0m0s"},
	} {
		if err := c.o.Validate(); err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}

func TestRampOptionsValidate(t *testing.T) {
	r := RampOptions{Start: 100}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	want := RampOptions{Start: 100, Factor: 1.25, Step: 5 * time.Second, MaxSteps: 20, Rule: RampRule{MaxP99: 200 * time.Millisecond, MaxFailRatio: 0.001}}
	if r != want {
		t.Errorf("defaults %+v, want %+v", r, want)
	}
	bad := RampOptions{Start: -1, Factor: 1, Step: -time.Second, MaxSteps: 101, Rule: RampRule{MaxP99: -1, MaxFailRatio: 2}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	wants := []string{"start -1/s", "factor 1: must be > 1", "step -1s", "max_steps 101: must be 1..100", "rule max_p99 -1ns", "rule max_fail_ratio 2"}
	if n := len(strings.Split(err.Error(), "\n")); n != len(wants) {
		t.Errorf("%d problems reported, want %d:\n%v", n, len(wants), err)
	}
	for _, w := range wants {
		if !contains(err.Error(), w) {
			t.Errorf("error does not say %q:\n%v", w, err)
		}
	}
}
