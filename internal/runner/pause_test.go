package runner

import (
	"strings"
	"testing"

	"lvslab/internal/module"
)

// TestPauseOncePerBatch pauses once for all the hosts, as ansible-core
// 2.14 does (its pause bypasses the host loop): the first host alone
// reports, counts and registers the result; the others see the variable
// undefined.
func TestPauseOncePerBatch(t *testing.T) {
	f := newFixture(t, "a", "b", "c")
	f.opts.Modules.Register("pause", func() module.Module { return &module.Pause{} })
	f.opts.Modules.Register("debug", func() module.Module { return &module.Debug{} })
	r, err := f.run(t, `
- hosts: web
  gather_facts: false
  tasks:
    - name: wait
      pause: {seconds: 1}
      register: p
    - name: seen
      debug: {msg: "{{ p.stdout | default('undefined') }}"}
`)
	if err != nil {
		t.Fatal(err)
	}
	var paused []string
	for _, res := range f.rec.results {
		if res.Task == "wait" {
			paused = append(paused, res.Host)
		}
	}
	if len(paused) != 1 || paused[0] != "a" {
		t.Errorf("pause reported for %v, want [a]", paused)
	}
	for h, want := range map[string]string{"a": "Paused for 1.", "b": "undefined", "c": "undefined"} {
		res, _ := f.rec.result(h, "seen")
		if !strings.HasPrefix(res.Result.Msg, want) { // 1.0, or 1.01 on a busy machine
			t.Errorf("%s saw %q, want %q", h, res.Result.Msg, want)
		}
	}
	if s := stats(r, "b"); s.OK != 1 {
		t.Errorf("b: %+v, want ok=1 as Ansible's recap", s)
	}
	if s := stats(r, "a"); s.OK != 2 {
		t.Errorf("a: %+v, want ok=2", s)
	}
}
