package runner

import (
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/report"
)

// TestBlockRescueAlways: as ansible-core 2.14's linear strategy: the host
// that fails in a block runs the rescue (seeing ansible_failed_task and
// ansible_failed_result) and goes on, its failure counted as rescued; the
// always runs on both; a failure with no rescue (an inner block) still runs
// its always, then the host is failed; block keywords reach the tasks.
func TestBlockRescueAlways(t *testing.T) {
	f := newFixture(t, "a", "b")
	f.opts.Modules = module.Default()
	f.fakes["a"].On("^probe$", host.Result{ExitCode: 2, Stderr: "no"})
	f.fakes["b"].On("^probe$", host.Result{ExitCode: 0})
	r, err := f.run(t, `
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: probe
          command: probe
        - name: after probe
          debug: {msg: "{{ where }}"}
      rescue:
        - name: rescue
          assert:
            that:
              - ansible_failed_task.name == 'probe'
              - ansible_failed_result.rc == 2
      always:
        - name: always
          debug: {msg: always}
      vars: {where: block}
      when: port == 80
    - name: between
      debug: {msg: between}
    - block:
        - block:
            - name: inner fails
              fail: {msg: inner}
              when: inventory_hostname == 'b'
          always:
            - name: inner always
              debug: {msg: x}
        - name: not reached on b
          debug: {msg: x}
    - name: last
      debug: {msg: x}
`)
	if err != ErrHostsFailed {
		t.Fatalf("run: %v", err)
	}
	for task, want := range map[string][2]report.Status{
		"probe":            {report.Failed, report.Changed},
		"after probe":      {"", report.OK},
		"rescue":           {report.OK, ""},
		"always":           {report.OK, report.OK},
		"between":          {report.OK, report.OK},
		"inner fails":      {report.Skipped, report.Failed},
		"inner always":     {report.OK, report.OK},
		"not reached on b": {report.OK, ""},
		"last":             {report.OK, ""},
	} {
		for i, h := range []string{"a", "b"} {
			got := f.rec.status(h, task)
			if want[i] == "" && len(got) != 0 || want[i] != "" && (len(got) != 1 || got[0] != want[i]) {
				t.Errorf("%s on %s: %v, want %v", task, h, got, want[i])
			}
		}
	}
	if s := stats(r, "a"); s.Failed != 0 || s.Rescued != 1 || s.OK != 6 || s.Skipped != 1 {
		t.Errorf("a: %+v", s)
	}
	if s := stats(r, "b"); s.Failed != 1 || s.Rescued != 0 || s.OK != 5 || s.Changed != 1 {
		t.Errorf("b: %+v", s)
	}
}
