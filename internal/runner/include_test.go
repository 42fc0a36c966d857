package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/report"
)

// includePlay exercises dynamic includes and templated keywords; each
// task appends to the host's log, so that the files tell what ran where
// and in which order.
var includeFiles = map[string]string{
	"inc.yml": `- name: inc one
  shell: echo "one {{ item | default('-') }} {{ v | default('') }}" >> {{ root }}/log
- name: inc two
  shell: echo "two {{ inventory_hostname }}" >> {{ root }}/log
`,
	"setflag.yml": `- name: clear flag
  set_fact: {flag: false}
- name: after clear
  shell: echo "after clear {{ flag }}" >> {{ root }}/log
`,
	"a.yml": "- name: per host file\n  shell: echo a >> {{ root }}/log\n",
	"b.yml": "- name: per host file\n  shell: echo b >> {{ root }}/log\n",
	"roles/r/tasks/main.yml": `- name: role task
  shell: echo "r {{ it }} {{ p }}" >> {{ root }}/log
  notify: rh
`,
	"roles/r/handlers/main.yml": "- name: rh\n  shell: echo handler >> {{ root }}/log\n",
	"site.yml": `- hosts: all
  gather_facts: false
  vars: {flag: true, yes_str: "yes", cm: "true", once: 1, ign: "on", p: P}
  tasks:
    - include_tasks: inc.yml
      when: flag
    - name: looped include
      include_tasks: inc.yml
      loop: [a, b]
      vars: {v: V}
    - include_tasks: "{{ which }}.yml"
    - include_tasks: inc.yml
      when: which == 'a'
    - name: when once
      include_tasks: setflag.yml
      when: flag
    - set_fact: {flag: true}
    - import_tasks: setflag.yml
      when: flag
    - include_role: {name: r}
      loop: [1, 2]
      loop_control: {loop_var: it}
    - name: ignore templated
      command: "false"
      ignore_errors: "{{ ign }}"
    - name: check templated
      copy: {dest: "{{ root }}/checked", content: "x\n"}
      check_mode: "{{ cm }}"
    - name: per item check mode
      copy: {dest: "{{ root }}/item-{{ item }}", content: "x\n"}
      check_mode: "{{ item == 'b' }}"
      loop: [a, b]
    - name: run once templated
      shell: echo once >> {{ root }}/log
      run_once: "{{ once }}"
    - name: become templated
      shell: id -un >> {{ root }}/log
      become: "{{ yes_str }}"
    - name: no_log templated
      shell: echo quiet >> {{ root }}/log
      no_log: "{{ yes_str }}"
`,
}

// TestIncludesAndTemplatedKeywordsAsAnsible runs includePlay with lvslab
// and with ansible-playbook (both on this machine, ansible_connection
// local) and compares the files each host wrote, the recap counts, and
// the task banners with the included lines in order.
func TestIncludesAndTemplatedKeywordsAsAnsible(t *testing.T) {
	hosts := []string{"h1", "h2"}
	which := map[string]string{"h1": "a", "h2": "b"}
	lv, ours, stats := runLocal(t, includeFiles, hosts, which, nil)
	// What lvslab did, on its own terms.
	wantLog := map[string]string{
		"h1": "one - \ntwo h1\none a V\ntwo h1\none b V\ntwo h1\na\none - \ntwo h1\nafter clear False\n" +
			"r 1 P\nr 2 P\nonce\nroot\nquiet\nhandler\n",
		"h2": "one - \ntwo h2\none a V\ntwo h2\none b V\ntwo h2\nb\nafter clear False\n" +
			"r 1 P\nr 2 P\nroot\nquiet\nhandler\n",
	}
	for _, h := range hosts {
		got, _ := os.ReadFile(filepath.Join(lv[h], "log"))
		if string(got) != wantLog[h] {
			t.Errorf("%s log:\n%s\nwant:\n%s", h, got, wantLog[h])
		}
		if _, err := os.Stat(filepath.Join(lv[h], "checked")); err == nil {
			t.Errorf("%s: check_mode \"{{ cm }}\" wrote the file", h)
		}
		if _, err := os.Stat(filepath.Join(lv[h], "item-a")); err != nil {
			t.Errorf("%s: item a not written: %v", h, err)
		}
		if _, err := os.Stat(filepath.Join(lv[h], "item-b")); err == nil {
			t.Errorf("%s: item b written in check mode", h)
		}
	}
	if !strings.Contains(ours, "included: "+filepath.Join(filepath.Dir(lv["h1"]), "play", "inc.yml")+" for h1, h2 => (item=a)\n") {
		t.Errorf("no included line with the item in\n%s", ours)
	}
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Skip("ansible-playbook not installed: not compared with Ansible")
	}
	an, theirs := runAnsible(t, includeFiles, hosts, which)
	sameAsAnsible(t, hosts, lv, an, ours, theirs, stats)
}

// sameAsAnsible compares what lvslab and ansible-playbook did: the
// hosts' files, the banners and included lines, the recap.
func sameAsAnsible(t *testing.T, hosts []string, lv, an map[string]string, ours, theirs string, stats []report.Stats) {
	t.Helper()
	for _, h := range hosts {
		sameTree(t, an[h], lv[h])
	}
	if got, want := outline(ours, lv), outline(theirs, an); got != want {
		t.Errorf("banners and included lines:\n%s\nansible-playbook's:\n%s", got, want)
	}
	recap := regexp.MustCompile(`(?m)^(\w+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)`)
	for _, m := range recap.FindAllStringSubmatch(theirs, -1) {
		for _, s := range stats {
			if s.Host != m[1] {
				continue
			}
			got := fmt.Sprintf("ok=%d changed=%d unreachable=%d failed=%d skipped=%d rescued=%d ignored=%d",
				s.OK, s.Changed, s.Unreachable, s.Failed, s.Skipped, s.Rescued, s.Ignored)
			want := fmt.Sprintf("ok=%s changed=%s unreachable=%s failed=%s skipped=%s rescued=%s ignored=%s",
				m[2], m[3], m[4], m[5], m[6], m[7], m[8])
			if got != want {
				t.Errorf("%s recap %s, ansible-playbook's %s", s.Host, got, want)
			}
		}
	}
}

// tagsFiles tag includes: an include's tags are its own, its tasks take
// apply's; a block's keywords reach the tasks of an include in it.
var tagsFiles = map[string]string{
	"inc.yml":                   "- name: inc\n  shell: echo \"inc {{ x | default('-') }}\" >> {{ root }}/log\n",
	"roles/r/tasks/main.yml":    "- name: role task\n  shell: echo role >> {{ root }}/log\n  notify: rh\n",
	"roles/r/handlers/main.yml": "- name: rh\n  shell: echo handler >> {{ root }}/log\n",
	"site.yml": `- hosts: all
  gather_facts: false
  tasks:
    - include_tasks: inc.yml
      tags: [t]
    - include_tasks:
        file: inc.yml
        apply: {tags: [t]}
      vars: {x: applied}
      tags: [t]
    - name: untagged include of tagged tasks
      include_tasks: inc.yml
    - name: blk
      tags: [t]
      block:
        - include_role: {name: r, apply: {tags: [t]}}
        - include_role: {name: r}
          when: false
`,
}

// TestIncludeTagsAsAnsible runs tagsFiles with --tags t in lvslab and
// ansible-playbook and compares them.
func TestIncludeTagsAsAnsible(t *testing.T) {
	hosts := []string{"h1", "h2"}
	which := map[string]string{"h1": "a", "h2": "b"}
	lv, ours, stats := runLocal(t, tagsFiles, hosts, which, []string{"t"})
	if got, _ := os.ReadFile(filepath.Join(lv["h1"], "log")); string(got) != "inc applied\nrole\nhandler\n" {
		t.Errorf("h1 log %q", got)
	}
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Skip("ansible-playbook not installed: not compared with Ansible")
	}
	an, theirs := runAnsible(t, tagsFiles, hosts, which, "--tags", "t")
	sameAsAnsible(t, hosts, lv, an, ours, theirs, stats)
}

// writePlay writes includeFiles under dir/play and returns site.yml's path.
func writePlay(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, "play", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "play", "site.yml")
}

// runLocal runs includePlay with lvslab on local hosts, returning each
// host's root, the text output and the recap.
func runLocal(t *testing.T, files map[string]string, hosts []string, which map[string]string, tags []string) (map[string]string, string, []report.Stats) {
	t.Helper()
	dir := t.TempDir()
	site := writePlay(t, dir, files)
	inv := &memInventory{hosts: hosts, groups: map[string][]string{}, vars: map[string]map[string]any{}}
	roots := map[string]string{}
	for _, h := range hosts {
		roots[h] = filepath.Join(dir, h)
		if err := os.Mkdir(roots[h], 0o755); err != nil {
			t.Fatal(err)
		}
		inv.vars[h] = map[string]any{"root": roots[h], "which": which[h], "ansible_connection": "local"}
	}
	reg := module.Default()
	pb, err := playbook.Load(site, reg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opts := Options{Inventory: inv, Modules: reg, Reporter: report.NewText(&out, false, 0, false, report.NewRedactor()),
		Connect: func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
			return host.NewLocal(name, vars)
		}, Tags: tags}
	if err := Prepare([]*playbook.Playbook{pb}, opts); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	r := New(opts)
	defer r.Close()
	if err := r.Run(context.Background(), []*playbook.Playbook{pb}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	return roots, out.String(), r.Stats()
}

// runAnsible runs includePlay with ansible-playbook on local hosts.
func runAnsible(t *testing.T, files map[string]string, hosts []string, which map[string]string, args ...string) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	site := writePlay(t, dir, files)
	roots := map[string]string{}
	var inv strings.Builder
	for _, h := range hosts {
		roots[h] = filepath.Join(dir, h)
		if err := os.Mkdir(roots[h], 0o755); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&inv, "%s ansible_connection=local ansible_python_interpreter=/usr/bin/python3 root=%s which=%s\n", h, roots[h], which[h])
	}
	if err := os.WriteFile(filepath.Join(dir, "inv"), []byte(inv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ansible-playbook", append([]string{"-i", filepath.Join(dir, "inv"), site}, args...)...)
	cmd.Env = append(os.Environ(), "ANSIBLE_CONFIG="+filepath.Join(dir, "none.cfg"), "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"), "ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, ".rtmp"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible-playbook: %v\n%s", err, out)
	}
	return roots, string(out)
}

// outline is the banners of a text output in order, each followed by its
// included lines (sorted, their hosts sorted, the run's directory as DIR),
// which hold no ordering of hosts that runs may differ in.
func outline(text string, roots map[string]string) string {
	dir := filepath.Dir(roots["h1"])
	var out, inc []string
	flush := func() {
		sort.Strings(inc)
		out = append(out, inc...)
		inc = nil
	}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "TASK [") || strings.HasPrefix(line, "RUNNING HANDLER ["):
			flush()
			out = append(out, strings.TrimRight(line, " *"))
		case strings.HasPrefix(line, "included: "):
			file, rest, _ := strings.Cut(strings.TrimPrefix(line, "included: "), " for ")
			names, item, _ := strings.Cut(rest, " => ")
			hs := strings.Split(names, ", ")
			sort.Strings(hs)
			inc = append(inc, "included: "+strings.Replace(file, dir, "DIR", 1)+" for "+strings.Join(hs, ", ")+" "+item)
		}
	}
	flush()
	return strings.Join(out, "\n")
}

// A templated keyword whose value is no boolean is bad input at its
// file:line, naming the keyword, before any connection; an include whose
// templated name renders to no file likewise; a file the include names
// plainly is checked where it is written.
func TestTemplatedKeywordAndIncludeErrorsBeforeTheRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("a.yml", "- debug: msg=a\n")
	site := write("site.yml", `- hosts: all
  gather_facts: false
  vars: {m: maybe, n: many, f: c}
  tasks:
    - name: bad become
      command: "true"
      become: "{{ m }}"
    - name: bad retries
      command: "true"
      retries: "{{ n }}"
      until: true
    - include_tasks: "{{ f }}.yml"
`)
	reg := module.Default()
	pb, err := playbook.Load(site, reg)
	if err != nil {
		t.Fatal(err)
	}
	connected := false
	inv := &memInventory{hosts: []string{"h1"}, groups: map[string][]string{}, vars: map[string]map[string]any{"h1": {}}}
	opts := Options{Inventory: inv, Modules: reg, Reporter: &recorder{},
		Connect: func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
			connected = true
			return nil, fmt.Errorf("no connection in this test")
		}}
	err = Prepare([]*playbook.Playbook{pb}, opts)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"site.yml:7:15: the field 'become' has an invalid value ({{ m }}), and could not be converted to a boolean: \"maybe\" is not a valid boolean",
		"site.yml:10:16: the field 'retries' has an invalid value ({{ n }}), and could not be converted to an integer: \"many\" is not an integer",
		"site.yml:12:7: include_tasks \"{{ f }}.yml\": could not find or access \"c.yml\"",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if connected {
		t.Fatal("Prepare connected")
	}
	write("inc.yml", "- name: x\n  nosuchmodule: {}\n")
	write("site.yml", "- hosts: all\n  tasks:\n    - include_tasks: inc.yml\n      when: false\n")
	if _, err := playbook.Load(site, reg); err == nil || !strings.Contains(err.Error(), "inc.yml:2:3") {
		t.Fatalf("included file not checked at its line: %v", err)
	}
}

// A templated keyword that reads a run-time value is rendered when the
// task runs, per host and per loop item; a bad one fails that host's task
// with the keyword named.
func TestTemplatedKeywordsAtRunTime(t *testing.T) {
	dir := t.TempDir()
	site := filepath.Join(dir, "site.yml")
	os.WriteFile(site, []byte(`- hosts: all
  gather_facts: false
  tasks:
    - set_fact: {ign: "{{ inventory_hostname == 'h1' }}", word: "sometimes"}
    - name: ignore per host
      command: "false"
      ignore_errors: "{{ ign }}"
    - name: item keyword
      copy: {dest: "{{ root }}/{{ item }}", content: "x\n"}
      check_mode: "{{ item == 'b' }}"
      loop: [a, b]
    - name: bad at run time
      command: "true"
      no_log: "{{ word }}"
`), 0o644)
	inv := &memInventory{hosts: []string{"h1", "h2"}, groups: map[string][]string{}, vars: map[string]map[string]any{}}
	for _, h := range inv.hosts {
		inv.vars[h] = map[string]any{"root": filepath.Join(dir, h), "ansible_connection": "local"}
		os.Mkdir(filepath.Join(dir, h), 0o755)
	}
	reg := module.Default()
	pb, err := playbook.Load(site, reg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	opts := Options{Inventory: inv, Modules: reg, Reporter: rec,
		Connect: func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
			return host.NewLocal(name, vars)
		}}
	if err := Prepare([]*playbook.Playbook{pb}, opts); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	r := New(opts)
	defer r.Close()
	if err := r.Run(context.Background(), []*playbook.Playbook{pb}); err != ErrHostsFailed {
		t.Fatalf("run: %v", err)
	}
	st := r.Stats()
	if st[0].Ignored != 1 || st[0].Failed != 1 || st[1].Failed != 1 || st[1].Ignored != 0 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "h1", "a")); err != nil {
		t.Errorf("item a: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "h1", "b")); err == nil {
		t.Error("item b written in check mode")
	}
	res, _ := rec.result("h1", "bad at run time")
	if res.Status != report.Failed || !strings.Contains(res.Err, "site.yml:14:15: the field 'no_log' has an invalid value") {
		t.Fatalf("bad keyword at run time: %+v", res)
	}
}

// --start-at-task does not look into include_tasks, as Ansible's (which
// says it "can only follow static includes"), but into import_tasks.
func TestStartAtTaskFollowsStaticIncludesOnly(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "inc.yml"), []byte("- name: inside\n  debug: msg=x\n"), 0o644)
	for kind, ok := range map[string]bool{"include_tasks": false, "import_tasks": true} {
		site := filepath.Join(dir, kind+".yml")
		os.WriteFile(site, []byte("- hosts: all\n  gather_facts: false\n  tasks:\n    - "+kind+": inc.yml\n"), 0o644)
		reg := module.Default()
		pb, err := playbook.Load(site, reg)
		if err != nil {
			t.Fatal(err)
		}
		inv := &memInventory{hosts: []string{"h1"}, groups: map[string][]string{}, vars: map[string]map[string]any{"h1": {}}}
		err = Prepare([]*playbook.Playbook{pb}, Options{Inventory: inv, Modules: reg, Reporter: &recorder{}, StartAtTask: "inside"})
		if got := err == nil; got != ok {
			t.Errorf("%s: prepare %v", kind, err)
		}
		if err != nil && !strings.Contains(err.Error(), "can only follow static includes") {
			t.Errorf("%s: %v", kind, err)
		}
	}
}

// Lint checks what an include runs on each host: not the tasks of an
// include whose when is false there, nor the files its templated name
// does not render to there; the tasks of the file it names, yes.
func TestLintFollowsIncludesPerHost(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"ha.yml":   "- debug: msg={{ ha_only }}\n",
		"nat.yml":  "- debug: msg={{ nat_only }}\n",
		"dr.yml":   "- debug: msg={{ dr_only }}\n",
		"site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - include_tasks: ha.yml\n      when: ha\n    - include_tasks: \"{{ mode }}.yml\"\n",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
	}
	reg := module.Default()
	pb, err := playbook.Load(filepath.Join(dir, "site.yml"), reg)
	if err != nil {
		t.Fatal(err)
	}
	inv := &memInventory{hosts: []string{"h1", "h2"}, groups: map[string][]string{}, vars: map[string]map[string]any{
		"h1": {"ha": false, "mode": "nat", "nat_only": 1},
		"h2": {"ha": true, "mode": "dr"},
	}}
	err = Prepare([]*playbook.Playbook{pb}, Options{Inventory: inv, Modules: reg, Reporter: &recorder{}})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"ha.yml:1:14: undefined variable \"ha_only\" (host h2)", "dr.yml:1:14: undefined variable \"dr_only\" (host h2)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "h1") || strings.Contains(msg, "nat_only") {
		t.Errorf("h1's skipped or other files checked:\n%s", msg)
	}
}
