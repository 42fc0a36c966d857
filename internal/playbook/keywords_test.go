package playbook

import (
	"strings"
	"testing"
)

func TestLoopAndPlayKeywords(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "inc.yml", "- debug: msg={{ x }}\n- shell: echo {{ x }}\n")
	p := write(t, dir, "ok.yml", `- hosts: web
  serial: [1, "50%"]
  strategy: free
  order: reverse_sorted
  remote_user: deploy
  environment: {A: "1"}
  check_mode: true
  vars_prompt:
    - name: pw
      prompt: Password?
      default: s3
  tasks:
    - debug: msg={{ item.key }}
      with_dict: "{{ d }}"
      loop_control: {label: "{{ item.key }}", pause: 0.5, index_var: i, extended: true}
    - local_action: shell echo hi
      run_once: true
    - local_action:
        module: copy
        content: x
        dest: /tmp/x
    - meta: flush_handlers
    - shell: sleep 1
      async: 5
      environment: {B: "2"}
      check_mode: false
      delegate_to: "{{ other }}"
    - include_tasks: inc.yml
      loop: [1, 2]
      loop_control: {loop_var: x}
`)
	pb, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	play := pb.Plays[0]
	if len(play.Serial) != 2 || play.Serial[0].N != 1 || !play.Serial[1].Percent || play.Strategy != "free" || play.Order != "reverse_sorted" {
		t.Fatalf("play %+v", play.PlayExt)
	}
	if len(play.VarsPrompt) != 1 || play.VarsPrompt[0].Default != "s3" || !play.VarsPrompt[0].Private {
		t.Fatalf("vars_prompt %+v", play.VarsPrompt)
	}
	ts := play.Tasks
	if ts[0].LoopWith != "dict" || ts[0].LoopLabel == "" || ts[0].LoopPause != 0.5 || ts[0].IndexVar != "i" || !ts[0].LoopExtended {
		t.Fatalf("loop task %+v", ts[0].TaskExt)
	}
	if ts[1].Module != "shell" || ts[1].DelegateTo != "localhost" || !ts[1].RunOnce || ts[2].Module != "copy" || ts[2].DelegateTo != "localhost" {
		t.Fatalf("local_action %+v %+v", ts[1], ts[2])
	}
	if ts[3].Module != "meta" || ts[3].Meta != "flush_handlers" {
		t.Fatalf("meta %+v", ts[3])
	}
	if ts[4].Async != 5 || ts[4].Poll != 10 || len(ts[4].Environment) != 2 || *ts[4].CheckMode || ts[4].RemoteUser != "deploy" {
		t.Fatalf("async %+v", ts[4].TaskExt)
	}
	if !*ts[0].CheckMode {
		t.Fatal("play check_mode not inherited")
	}
	if len(ts) != 6 || !ts[5].IsInclude() || ts[5].LoopVar != "x" || ts[5].Loop == nil || len(ts[5].Include.Tasks) != 2 {
		t.Fatalf("include loop %d tasks, %+v", len(ts), ts[5].TaskExt)
	}
	if inc := ts[5].Include.Tasks[1]; inc.Module != "shell" || inc.Loop != nil || inc.LoopVar != "" || !*inc.CheckMode {
		t.Fatalf("included task %+v", inc)
	}
}

func TestBadNewKeywordsAtTheirLine(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "bad.yml", `- hosts: web
  serial: lots
  order: random
  tasks:
    - debug: msg=x
      loop: [1]
      loop_control: {looop_var: x}
    - debug: msg=x
      with_nosuch: [1]
    - meta: fly
    - copy: content=x dest=/x
      async: 3
    - debug: msg=x
      become_method: doas
    - shell: sleep 1
      async: 3
      poll: -1
`)
	_, err := Load(p, known)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"bad.yml:2:11: serial: expected a number",
		"bad.yml:3:10: order \"random\"",
		"bad.yml:7:22: unknown loop_control key \"looop_var\"",
		"bad.yml:9:7: with_nosuch: lvslab has no lookup \"nosuch\"",
		"bad.yml:10:13: meta: unknown action \"fly\"",
		"bad.yml:11:7: async: lvslab runs command and shell tasks in the background, not copy",
		"bad.yml:14:22: become_method \"doas\"",
		"bad.yml:15:7: async and poll are seconds, not negative",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}
