package ansiblecfg

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// cases are ansible.cfg files and environments that ansible-config dump
// --only-changed (ansible-core 2.14) is asked about.
var cases = []struct {
	name string
	cfg  string
	env  map[string]string
	bad  string // the error names this, and ansible-config fails too
}{
	{name: "typical", cfg: "[defaults]\ninventory = hosts.ini, other/inv\nforks=7\nremote_user = bob ; a comment\nhost_key_checking = False\nroles_path = roles:~/r:/abs\ntimeout = 30\nstdout_callback = yaml\nvault_password_file = ~/pw.txt\nprivate_key_file = keys/id\nunknown_key = ignored\n\n[privilege_escalation]\nbecome = yes\nbecome_user = admin\nbecome_method = su\n\n[ssh_connection]\npipelining = True\n"},
	{name: "env over file", cfg: "[defaults]\nforks = 7\nremote_user = bob\ninventory = a\n", env: map[string]string{"ANSIBLE_FORKS": "9", "ANSIBLE_INVENTORY": "x.yml,y", "ANSIBLE_BECOME": "true", "ANSIBLE_ROLES_PATH": "r1:r2", "ANSIBLE_STDOUT_CALLBACK": "json"}},
	{name: "env only", env: map[string]string{"ANSIBLE_REMOTE_USER": "deploy", "ANSIBLE_TIMEOUT": " 12 ", "ANSIBLE_HOST_KEY_CHECKING": "no", "ANSIBLE_PRIVATE_KEY_FILE": "k", "ANSIBLE_VAULT_PASSWORD_FILE": "/p", "ANSIBLE_BECOME_USER": "u", "ANSIBLE_VAULT_IDENTITY_LIST": "a@x, b@y"}},
	{name: "empty env is default", cfg: "[defaults]\nforks = 3\n", env: map[string]string{"ANSIBLE_FORKS": "", "ANSIBLE_TIMEOUT": ""}},
	{name: "python ints and bools", cfg: "[defaults]\nforks =  1_0 \ntimeout=+3\nhost_key_checking = maybe\n[privilege_escalation]\nbecome = On\n"},
	{name: "quotes and comments", cfg: "# comment\n; comment\n[defaults]\nremote_user = \"quoted\"\nstdout_callback = 'json'\nforks = 4 ;inline\ninventory = a;b\nprivate_key_file = k # not a comment\n"},
	{name: "DEFAULT section and case", cfg: "[DEFAULT]\nforks = 8\n[defaults]\nREMOTE_USER = upper\n[privilege_escalation]\n"},
	{name: "multiline", cfg: "[defaults]\ninventory = a,\n   b\n\n    c\nforks = 2\n"},
	{name: "colon delimiter", cfg: "[defaults]\nforks: 6\nremote_user : me\n"},
	{name: "bad forks", cfg: "[defaults]\nremote_user = x\nforks = abc\n", bad: "ansible.cfg:3: forks"},
	{name: "bad env forks", env: map[string]string{"ANSIBLE_FORKS": "many"}, bad: "ANSIBLE_FORKS=many"},
	{name: "bad hex timeout", cfg: "[defaults]\ntimeout = 0x10\n", bad: "ansible.cfg:2: timeout"},
	{name: "no section", cfg: "forks = 3\n", bad: "ansible.cfg:1:"},
	{name: "duplicate option", cfg: "[defaults]\nforks = 3\nforks = 4\n", bad: "ansible.cfg:3:"},
	{name: "not key value", cfg: "[defaults]\njust words\n", bad: "ansible.cfg:2:"},
}

type dumped struct {
	Name   string `json:"name"`
	Origin string `json:"origin"`
	Value  any    `json:"value"`
}

// ansibleDump runs ansible-config dump --only-changed in dir with only env
// of the ANSIBLE_ variables.
func ansibleDump(t *testing.T, dir string, env map[string]string) (map[string]dumped, bool) {
	t.Helper()
	cmd := exec.Command("ansible-config", "dump", "--only-changed", "-f", "json")
	cmd.Dir = dir
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "ANSIBLE_") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, false
	}
	var list []dumped
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("ansible-config dump: %v\n%s", err, out)
	}
	m := map[string]dumped{}
	for _, d := range list {
		m[d.Name] = d
	}
	return m, true
}

func TestAgainstAnsibleConfigDump(t *testing.T) {
	if _, err := exec.LookPath("ansible-config"); err != nil {
		t.Skip("ansible-config not installed")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir) // relative paths of the environment are the working directory's
			env := map[string]string{}
			for k, v := range c.env {
				env[k] = v
			}
			file := ""
			if c.cfg != "" {
				file = filepath.Join(dir, "ansible.cfg")
				if err := os.WriteFile(file, []byte(c.cfg), 0o644); err != nil {
					t.Fatal(err)
				}
				env["ANSIBLE_CONFIG"] = file
			}
			want, ok := ansibleDump(t, dir, env)
			got, err := LoadFile(file, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if c.bad != "" {
				if ok {
					t.Errorf("ansible-config accepted it")
				}
				if err == nil || !strings.Contains(err.Error(), c.bad) {
					t.Errorf("error %v, want one naming %q", err, c.bad)
				}
				return
			}
			if !ok || err != nil {
				t.Fatalf("ansible-config ok %v; LoadFile: %v", ok, err)
			}
			for _, s := range settings {
				w, inDump := want[s.name]
				if !got.Set(s.name) {
					if inDump {
						t.Errorf("%s: not set, ansible-config %v (%s)", s.name, w.Value, w.Origin)
					}
					continue
				}
				v := got.Values[s.name]
				if !inDump {
					t.Errorf("%s: %v (%s), ansible-config has it unchanged", s.name, v.V, v.Origin)
					continue
				}
				if !reflect.DeepEqual(jsonOf(t, v.V), w.Value) || v.Origin != w.Origin {
					t.Errorf("%s: %#v (%s), ansible-config %#v (%s)", s.name, v.V, v.Origin, w.Value, w.Origin)
				}
			}
		})
	}
}

func jsonOf(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

// TestFind looks where Ansible looks: ANSIBLE_CONFIG (a directory too),
// then ./ansible.cfg unless the directory is world-writable.
func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOME", t.TempDir())
	os.WriteFile("ansible.cfg", []byte("[defaults]\n"), 0o644)
	other := filepath.Join(t.TempDir(), "ansible.cfg")
	os.WriteFile(other, []byte("[defaults]\n"), 0o644)
	none := func(string) (string, bool) { return "", false }
	if f, w := Find(none); f != filepath.Join(dir, "ansible.cfg") || len(w) > 0 {
		t.Errorf("cwd: %q %v", f, w)
	}
	if f, _ := Find(func(k string) (string, bool) { return filepath.Dir(other), k == "ANSIBLE_CONFIG" }); f != other {
		t.Errorf("ANSIBLE_CONFIG directory: %q", f)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if f, w := Find(none); f == filepath.Join(dir, "ansible.cfg") || len(w) != 1 {
		t.Errorf("world-writable cwd: %q %v", f, w)
	}
	if out, err := exec.Command("ansible-config", "dump", "--only-changed").CombinedOutput(); err == nil && !strings.Contains(string(out), "CONFIG_FILE() = None") {
		t.Errorf("ansible-config read the world-writable directory's file:\n%s", out)
	}
}
