package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/report"
)

// gateMod opens the test's gate where open holds, and waits for it to be
// open where wait holds. Under the linear strategy the waiting
// host's task holds every host back, so the gate never opens and the
// task fails after its timeout.
type gateMod struct {
	Wait bool `yaml:"wait"`
	Open bool `yaml:"open"`
	gate chan struct{}
}

func (g *gateMod) Apply(ctx context.Context, h host.Executor, env *module.Env) (module.Result, error) {
	if g.Open {
		close(g.gate)
	}
	if g.Wait {
		select {
		case <-g.gate:
		case <-time.After(10 * time.Second):
			return module.Result{Failed: true, Msg: "the gate never opened: the hosts ran in lock step"}, nil
		}
	}
	return module.Result{}, nil
}

// TestFreeStrategyHostsDoNotWait runs a play with strategy free: host a's
// first task waits until host b's handler, at the end of b's play, opens
// the gate, so b runs every task and its handler before a goes on; the
// banners are printed again when the next result is another task's, as
// ansible-core 2.14 shows a free play.
func TestFreeStrategyHostsDoNotWait(t *testing.T) {
	f := newFixture(t, "a", "b")
	gate := make(chan struct{})
	f.opts.Modules.Register("gate", func() module.Module { return &gateMod{gate: gate} })
	r, err := f.run(t, `
- hosts: web
  gather_facts: false
  strategy: free
  tasks:
    - name: one
      gate: {wait: "{{ inventory_hostname == 'a' }}"}
    - name: two
      shell: echo two
      notify: h
    - name: three
      shell: echo three
  handlers:
    - name: h
      gate: {open: "{{ inventory_hostname == 'b' }}"}
`)
	if err != nil {
		t.Fatalf("%v %+v", err, f.rec.results)
	}
	var order []string
	for _, res := range f.rec.results {
		if res.Status == report.Failed {
			t.Errorf("%s %s: %s", res.Host, res.Task, res.Result.Msg)
		}
		order = append(order, res.Host+":"+res.Task)
	}
	got := strings.Join(order, " ")
	if got != "b:one b:two b:three b:h a:one a:two a:three a:h" {
		t.Errorf("results in the order %s; want b's first", got)
	}
	if banners := strings.Join(f.rec.tasks, ","); banners != "one,two,three,h,one,two,three,h" {
		t.Errorf("banners %s", banners)
	}
	for _, h := range []string{"a", "b"} {
		if s := stats(r, h); s.OK != 4 || s.Changed != 2 {
			t.Errorf("%s: %+v", h, s)
		}
	}
}
