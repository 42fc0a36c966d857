package module

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"lvslab/internal/host"
)

// The helpers of the tests that run the modules of roles (stat, blockinfile,
// ini_file, replace, slurp, fetch, find, get_url, uri, user, group,
// unarchive) against a real OpenSSH sshd on this machine and compare them
// with what ansible-core's own module does on the same machine: Ansible is
// the oracle, run once per test with every task of the comparison.

// sshdExec starts an sshd and returns an executor connected to it.
func sshdExec(t *testing.T) host.Executor {
	t.Helper()
	_, h, _ := sshdFiles(t, t.TempDir())
	return h
}

// ansibleTask is one task of an oracle play: a module and its arguments.
type ansibleTask struct {
	module string
	args   map[string]any
}

// ansibleRun runs the tasks, in order, with ansible-playbook on localhost
// (connection local), in check mode when check, and returns each task's
// result as Ansible's json callback prints it. A task that fails does not
// stop the play. The test is skipped when ansible-playbook is missing.
func ansibleRun(t *testing.T, check bool, tasks ...ansibleTask) []map[string]any {
	t.Helper()
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("ansible-playbook not installed: no oracle")
	}
	var list []map[string]any
	for _, tk := range tasks {
		list = append(list, map[string]any{tk.module: tk.args, "ignore_errors": true})
	}
	play, _ := json.Marshal([]map[string]any{{"hosts": "localhost", "gather_facts": false, "tasks": list}})
	dir := t.TempDir()
	file := filepath.Join(dir, "play.yml")
	if err := os.WriteFile(file, play, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=/usr/bin/python3", file}
	if check {
		args = append(args, "--check")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCALHOST_WARNING=0", "ANSIBLE_RETRY_FILES_ENABLED=0")
	out, err := cmd.Output()
	var doc struct {
		Plays []struct {
			Tasks []struct {
				Hosts map[string]map[string]any `json:"hosts"`
			} `json:"tasks"`
		} `json:"plays"`
	}
	if jerr := json.Unmarshal(out, &doc); jerr != nil || len(doc.Plays) != 1 || len(doc.Plays[0].Tasks) != len(tasks) {
		t.Fatalf("ansible-playbook: %v %v: %s", err, jerr, out)
	}
	res := make([]map[string]any, len(tasks))
	for i, tk := range doc.Plays[0].Tasks {
		res[i] = tk.Hosts["localhost"]
	}
	return res
}

// asJSON returns v as encoding/json reads it back (numbers as float64),
// for comparison with Ansible's output.
func asJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameKeys reports, as test errors, the keys of want (Ansible's result)
// whose values got (lvslab's registered result) does not have; skip names
// keys not compared (times, temporary paths).
func sameKeys(t *testing.T, what string, got, want map[string]any, skip ...string) {
	t.Helper()
	for k, wv := range want {
		if strings.HasPrefix(k, "_ansible") || k == "invocation" || k == "action" || k == "warnings" || k == "deprecations" || slices.Contains(skip, k) {
			continue
		}
		gv, ok := got[k]
		if k == "files" { // find's order is the directory's, Ansible's os.walk's
			gv, wv = byPath(gv), byPath(wv)
		}
		if !ok {
			t.Errorf("%s: %s missing (ansible: %v)", what, k, wv)
			continue
		}
		if !reflect.DeepEqual(gv, wv) {
			t.Errorf("%s: %s = %#v, ansible %#v", what, k, gv, wv)
		}
	}
}

// applyOn runs m on h with check mode as given and returns its registered
// result in JSON's types.
func applyOn(t *testing.T, m Module, h host.Executor, check bool) (Result, map[string]any) {
	t.Helper()
	env := testEnv(debian12, nil)
	env.Check, env.Host = check, "localhost" // the oracle's inventory name
	res, err := m.Apply(context.Background(), h, env)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res, asJSON(t, res.Registered())
}

// twinDirs makes two directories holding the same files (name: content):
// one for lvslab, one for Ansible.
func twinDirs(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		for name, content := range files {
			p := filepath.Join(d, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return a, b
}

// readFile returns a file's content, or "<absent>".
func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "<absent>"
	}
	return string(b)
}

// argsYAML returns a module's arguments as a task gives them (JSON is YAML).
func argsYAML(t *testing.T, args map[string]any) string {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// oracleCase is one operation of a module that is compared with Ansible's:
// the files it starts from and its arguments for a directory holding them.
type oracleCase struct {
	name  string
	files map[string]string
	args  func(dir string) map[string]any
	skip  []string // registered keys not compared
}

// ansibleNames are the oracle's names of modules outside ansible.builtin.
var ansibleNames = map[string]string{"ini_file": "community.general.ini_file", "pam_limits": "community.general.pam_limits"}

// compareWithAnsible runs each case through a real sshd with lvslab's
// module and with Ansible's module on twin directories: twice (changed,
// then ok), and once in check mode on a third pair (nothing changes). The
// changed flags, the messages, the other registered keys of the first run
// (but skip) and the files afterwards must be Ansible's.
func compareWithAnsible(t *testing.T, module string, cases []oracleCase) {
	t.Helper()
	h := sshdExec(t)
	type dirs struct{ mine, theirs, mineCheck, theirsCheck string }
	var ds []dirs
	var tasks, checkTasks []ansibleTask
	for _, c := range cases {
		a, b := twinDirs(t, c.files)
		ac, bc := twinDirs(t, c.files)
		ds = append(ds, dirs{a, b, ac, bc})
		theirs := orDefault(ansibleNames[module], module)
		tasks = append(tasks, ansibleTask{theirs, c.args(b)}, ansibleTask{theirs, c.args(b)})
		checkTasks = append(checkTasks, ansibleTask{theirs, c.args(bc)})
	}
	oracle, oracleCheck := ansibleRun(t, false, tasks...), ansibleRun(t, true, checkTasks...)
	for i := range oracle {
		oracle[i] = renamed(t, oracle[i], ds[i/2].theirs, ds[i/2].mine)
	}
	for i := range oracleCheck {
		oracleCheck[i] = renamed(t, oracleCheck[i], ds[i].theirsCheck, ds[i].mineCheck)
	}
	for i, c := range cases {
		d := ds[i]
		for run, check := range []bool{false, false, true} {
			dir, want := d.mine, oracle[2*i+run%2]
			if check {
				dir, want = d.mineCheck, oracleCheck[i]
			}
			res, got := applyOn(t, newModule(t, module, argsYAML(t, c.args(dir))), h, check)
			what := fmt.Sprintf("%s %s run %d (check %v)", module, c.name, run+1, check)
			wantMsg, _ := want["msg"].(string)
			if res.Changed != (want["changed"] == true) || res.Failed != (want["failed"] == true) || res.Msg != wantMsg {
				t.Errorf("%s: changed %v failed %v msg %q; ansible changed %v failed %v msg %q", what,
					res.Changed, res.Failed, res.Msg, want["changed"], want["failed"], want["msg"])
			}
			if run == 0 {
				sameKeys(t, what, got, want, append([]string{"msg", "changed", "failed", "diff"}, c.skip...)...)
			}
		}
		if a, b := treeOf(t, d.mine), treeOf(t, d.theirs); !reflect.DeepEqual(a, b) {
			t.Errorf("%s %s: files %q, ansible made %q", module, c.name, a, b)
		}
		if a := treeOf(t, d.mineCheck); !reflect.DeepEqual(a, c.files) && !(len(a) == 0 && len(c.files) == 0) {
			t.Errorf("%s %s: check mode left %q, want %q", module, c.name, a, c.files)
		}
	}
}

// treeOf returns the regular files below dir (but backups, ending in ~) by
// relative path, with their content.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && !strings.HasSuffix(p, "~") {
			rel, _ := filepath.Rel(dir, p)
			// fetch puts the remote path (in dir) below dir.
			m[strings.ReplaceAll(rel, strings.TrimPrefix(dir, "/"), "DIR")] = readFile(t, p)
		}
		return nil
	})
	return m
}

// renamed returns Ansible's result m with the directory it worked in,
// from, replaced by lvslab's, to.
func renamed(t *testing.T, m map[string]any, from, to string) map[string]any {
	t.Helper()
	b, _ := json.Marshal(m)
	b = []byte(strings.ReplaceAll(string(b), from, to))
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// editCase is one edit of a file by an in-place editor: the arguments
// besides path, the content before and after, and the message.
type editCase struct{ name, args, in, want, msg string }

// checkEdits runs the edit of module (blockinfile, ini_file, replace) on
// each case's content.
func checkEdits(t *testing.T, module string, cases []editCase) {
	t.Helper()
	for _, c := range cases {
		var edit func(string, bool) (string, string, bool, bool)
		var err error
		args := "path: /f\n" + c.args
		if strings.HasPrefix(c.args, "{") {
			args = "{path: /f, " + c.args[1:]
		}
		switch m := newModule(t, module, args).(type) {
		case *BlockInFile:
			w, werr := m.want()
			edit, err = w.edit, werr
		case *IniFile:
			w, werr := m.want()
			edit, err = w.edit, werr
		case *Replace:
			w, werr := m.want()
			edit, err = w.edit, werr
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, msg, _, _ := edit(c.in, true); got != c.want || msg != c.msg {
			t.Errorf("%s %s: got %q %q, want %q %q", module, c.name, got, msg, c.want, c.msg)
		}
	}
}

// pathArgs returns an oracleCase's arguments: path, the file name in the
// case's directory, and extra.
func pathArgs(name string, extra map[string]any) func(dir string) map[string]any {
	return func(dir string) map[string]any {
		m := map[string]any{"path": filepath.Join(dir, name)}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
}

// byPath returns a copy of a list of dictionaries sorted by path, without
// the keys that twin directories cannot share (times, inodes).
func byPath(v any) any {
	l, _ := v.([]any)
	out := make([]any, 0, len(l))
	for _, e := range l {
		m, _ := e.(map[string]any)
		c := map[string]any{}
		for k, v := range m {
			if k != "atime" && k != "mtime" && k != "ctime" && k != "inode" {
				c[k] = v
			}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		return fmt.Sprint(out[i].(map[string]any)["path"]) < fmt.Sprint(out[j].(map[string]any)["path"])
	})
	return out
}
