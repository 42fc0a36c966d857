package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"lvslab/internal/host/sshtest"
	"lvslab/internal/vault"
)

// TestInventoryCommandGolden compares lvslab inventory --list, --host and
// --graph with what ansible-inventory 2.14 printed for the inventory
// package's golden cases (internal/inventory/testdata/ansible/gen.py).
func TestInventoryCommandGolden(t *testing.T) {
	root, _ := filepath.Abs("../../internal/inventory/testdata/ansible")
	cases, _ := filepath.Glob(filepath.Join(root, "*", "case.json"))
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, f := range cases {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var c struct {
				Sources     []string `json:"sources"`
				PlaybookDir string   `json:"playbook_dir"`
			}
			var g struct {
				List  any            `json:"list"`
				Host  map[string]any `json:"host"`
				Graph string         `json:"graph"`
			}
			readJSONFile(t, f, &c)
			readJSONFile(t, filepath.Join(dir, "golden.json"), &g)
			var args []string
			for _, s := range c.Sources {
				if _, err := os.Stat(filepath.Join(dir, s)); err == nil || !strings.Contains(s, ",") {
					s = filepath.Join(dir, s)
				}
				args = append(args, "-i", s)
			}
			if c.PlaybookDir != "" {
				args = append(args, "--playbook-dir", filepath.Join(dir, c.PlaybookDir))
			}
			out, errOut, code := lvslab(t, t.TempDir(), append([]string{"inventory", "--list"}, args...)...)
			if code != 0 {
				t.Fatalf("--list: exit %d: %s", code, errOut)
			}
			var got any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("--list: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(got, g.List) {
				t.Errorf("--list:\n%s\nansible-inventory:\n%v", out, g.List)
			}
			out, errOut, code = lvslab(t, t.TempDir(), append([]string{"inventory", "--graph"}, args...)...)
			if code != 0 || out != g.Graph {
				t.Errorf("--graph: exit %d %s\n%s\nansible-inventory:\n%s", code, errOut, out, g.Graph)
			}
			for h, want := range g.Host {
				delete(want.(map[string]any), "ansible_python_interpreter")
				out, _, _ = lvslab(t, t.TempDir(), append([]string{"inventory", "--host", h}, args...)...)
				var got any
				json.Unmarshal([]byte(out), &got)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("--host %s:\n%s\nansible-inventory %v", h, out, want)
				}
			}
		})
	}
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestInventoryCommandBytes compares the bytes of --list and --host with
// ansible-inventory's own, where it is installed: key order, indentation,
// floats, non-ASCII text and a !vault value, which neither decrypts.
func TestInventoryCommandBytes(t *testing.T) {
	if _, err := exec.LookPath("ansible-inventory"); err != nil {
		t.Skip("ansible-inventory not installed")
	}
	dir := t.TempDir()
	enc, _ := vault.Encrypt([]byte("s3cret"), []byte("pw"), "")
	inv := "all:\n  vars:\n    f: 1.5\n    big: 1.0e+20\n    u: \"ünï <&>\"\n    tok: !vault |\n" + indentLines(string(enc), "      ") +
		"  children:\n    web:\n      hosts:\n        w1: {port: 80, l: [1, {a: null}], e: {}}\n        w2:\n"
	writeFile(t, dir, "inv.yml", inv)
	for _, args := range [][]string{{"--list"}, {"--host", "w1"}, {"--graph"}} {
		cmd := exec.Command("ansible-inventory", append([]string{"-i", filepath.Join(dir, "inv.yml")}, args...)...)
		cmd.Dir = dir
		want, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		got, errOut, code := lvslab(t, dir, append([]string{"inventory", "-i", filepath.Join(dir, "inv.yml")}, args...)...)
		if code != 0 || got != string(want) {
			t.Errorf("%v: exit %d %s\n%s\nansible-inventory:\n%s", args, code, errOut, got, want)
		}
	}
}

func indentLines(s, by string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		b.WriteString(by + l + "\n")
	}
	return b.String()
}

// TestAnsibleCfgInventoryAndForks: without -i and --forks, ./ansible.cfg's
// inventory= and forks= are used; ANSIBLE_FORKS over the file; the flag
// over both; a bad value is bad input naming file:line.
func TestAnsibleCfgInventoryAndForks(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	writeFile(t, dir, "hosts.yml", "all:\n  hosts:\n    me: {ansible_connection: local}\n")
	writeFile(t, dir, "pb.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"forks={{ ansible_forks }}\"}\n")
	writeFile(t, dir, "ansible.cfg", "[defaults]\ninventory = hosts.yml\nforks = 3\n")
	check := func(want string, env []string, args ...string) {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"run", "pb.yml"}, args...)...)
		cmd.Dir, cmd.Env = dir, append(cleanEnv(), env...)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), want) {
			t.Errorf("%v %v: want %q in\n%s", env, args, want, out)
		}
	}
	check("forks=3", nil)
	check("forks=4", []string{"ANSIBLE_FORKS=4"})
	check("forks=5", []string{"ANSIBLE_FORKS=4"}, "--forks", "5")
	writeFile(t, dir, "ansible.cfg", "[defaults]\ninventory = hosts.yml\n\nforks = abc\n")
	cmd := exec.Command(binary, "run", "pb.yml")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitBadInput || !strings.Contains(string(out), filepath.Join(dir, "ansible.cfg")+":4: forks") {
		t.Errorf("forks = abc: %v\n%s", err, out)
	}
}

// cleanEnv is the environment without ANSIBLE_ variables and with a HOME
// of no ~/.ansible.cfg.
func cleanEnv() []string {
	var out []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "ANSIBLE_") && !strings.HasPrefix(e, "HOME=") {
			out = append(out, e)
		}
	}
	return append(out, "HOME="+os.TempDir())
}

// TestVaultedVarsOverSSH runs a playbook against a real sshd with a
// vaulted group_vars file (made by ansible-vault where it is installed)
// and a vault password script: the host gets the value, no output shows
// it; a wrong password is bad input naming the file and the vault id;
// without a password at all the same.
func TestVaultedVarsOverSSH(t *testing.T) {
	sshtest.Require(t)
	s := sshtest.Start(t, sshtest.Options{})
	dir := labDir(t, map[string]*sshtest.Server{"w1": s}, "")
	const secret = "vlt-c4nary-9f3e"
	plain := "db_password: " + secret + "\nplain_value: visible\n"
	writeFile(t, dir, "pw.txt", "right-pw\n")
	os.MkdirAll(filepath.Join(dir, "group_vars", "web"), 0o755)
	vf := filepath.Join(dir, "group_vars", "web", "vault.yml")
	writeFile(t, dir, "group_vars/web/vault.yml", plain)
	if _, err := exec.LookPath("ansible-vault"); err == nil {
		cmd := exec.Command("ansible-vault", "encrypt", "--vault-id", "lab@"+filepath.Join(dir, "pw.txt"), vf)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ansible-vault: %v\n%s", err, out)
		}
	} else {
		enc, _ := vault.Encrypt([]byte(plain), []byte("right-pw"), "lab")
		os.WriteFile(vf, enc, 0o600)
	}
	writeFile(t, dir, "pwscript.sh", "#!/bin/sh\necho right-pw\n")
	os.Chmod(filepath.Join(dir, "pwscript.sh"), 0o755)
	writeFile(t, dir, "pb.yml", `- hosts: web
  gather_facts: false
  tasks:
    - copy: {dest: "{{ root }}/db", content: "{{ db_password }}\n"}
    - command: cat {{ root }}/db
    - debug: {msg: "the password is {{ db_password }}, the plain one {{ plain_value }}"}
`)
	inv := filepath.Join(dir, "inv.yml")
	for _, args := range [][]string{
		{"--vault-id", "lab@" + filepath.Join(dir, "pwscript.sh")},
		{"--vault-password-file", filepath.Join(dir, "pw.txt"), "-o", "json", "-vv"},
	} {
		out, errOut, code := lvslab(t, dir, append([]string{"run", "-i", inv, "pb.yml"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if strings.Contains(out+errOut, secret) || strings.Contains(out+errOut, "c4nary") {
			t.Errorf("%v: the vaulted value is in the output:\n%s\n%s", args, out, errOut)
		}
		if strings.Contains(out, "visible") {
			t.Errorf("%v: a value of the vaulted file is shown (every one is a secret):\n%s", args, out)
		}
	}
	invText, _ := os.ReadFile(inv)
	_, root, _ := strings.Cut(string(invText), "root: ")
	root, _ = strconv.Unquote(strings.SplitN(root, "\n", 2)[0])
	if b, err := os.ReadFile(filepath.Join(root, "db")); err != nil || string(b) != secret+"\n" {
		t.Errorf("the host got %q, %v", b, err)
	}
	writeFile(t, dir, "wrong.txt", "wrong-pw\n")
	for _, args := range [][]string{{"--vault-password-file", filepath.Join(dir, "wrong.txt")}, nil} {
		_, errOut, code := lvslab(t, dir, append([]string{"run", "-i", inv, "pb.yml"}, args...)...)
		if code != exitBadInput || !strings.Contains(errOut, vf) || !strings.Contains(errOut, `vault id "lab"`) {
			t.Errorf("%v: exit %d, want 4 naming %s and the vault id:\n%s", args, code, vf, errOut)
		}
	}
	_, errOut, code := lvslab(t, dir, "run", "-i", inv, "pb.yml", "--ask-vault-pass")
	if code != exitBadInput || !strings.Contains(errOut, "terminal") {
		t.Errorf("--ask-vault-pass without a terminal: exit %d\n%s", code, errOut)
	}
}
