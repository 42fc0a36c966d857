package host

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConfigFromVars(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	home, _ := os.UserHomeDir()
	cfg, err := ConfigFromVars("rs01", map[string]any{
		"ansible_host":                 "10.0.0.7",
		"ansible_port":                 "2222",
		"ansible_user":                 "deploy",
		"ansible_ssh_private_key_file": "~/.ssh/lab",
		"ansible_ssh_pass":             "pw",
		"ansible_become":               "yes",
		"ansible_become_user":          "www-data",
		"ansible_become_pass":          "bpw",
		"ansible_ssh_timeout":          3,
		"ansible_ssh_common_args":      `-o StrictHostKeyChecking=no -o 'UserKnownHostsFile=/tmp/kh' -J admin@bastion:2200`,
		"lvslab_netns":                 "lab",
		"unrelated":                    []any{1, 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := SSHConfig{
		Name: "rs01", Addr: "10.0.0.7", Port: 2222, User: "deploy",
		KeyFiles: []string{filepath.Join(home, ".ssh/lab")}, Password: "pw",
		KnownHostsFile: "/tmp/kh", HostKeyChecking: HostKeyOff,
		Timeout: 3 * time.Second, KeepAlive: DefaultKeepAlive, MaxSessions: DefaultMaxSessions,
		Netns:  "lab",
		Become: Become{Enabled: true, User: "www-data", Password: "bpw"},
		Jump: &SSHConfig{
			Name: "bastion", Addr: "bastion", Port: 2200, User: "admin",
			KeyFiles: []string{filepath.Join(home, ".ssh/lab")}, KnownHostsFile: "/tmp/kh", HostKeyChecking: HostKeyOff,
			Timeout: 3 * time.Second, KeepAlive: DefaultKeepAlive, MaxSessions: DefaultMaxSessions,
			Netns: "lab", Become: Become{User: "root"},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got\n%+v\nwant\n%+v", cfg, want)
		t.Errorf("jump\n%+v\nwant\n%+v", *cfg.Jump, *want.Jump)
	}
}

func TestConfigFromVarsDefaults(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "/run/agent.sock")
	cfg, err := ConfigFromVars("web1", map[string]any{"ansible_port": 22, "ansible_become": true, "ansible_password": nil})
	if err != nil {
		t.Fatal(err)
	}
	user, _ := currentUser()
	home, _ := os.UserHomeDir()
	if cfg.Addr != "web1" || cfg.Port != 22 || cfg.User != user || !cfg.UseAgent ||
		cfg.HostKeyChecking != HostKeyAcceptNew || cfg.Timeout != DefaultTimeout ||
		cfg.KnownHostsFile != filepath.Join(home, ".ssh/known_hosts") ||
		cfg.Become != (Become{Enabled: true, User: "root"}) || cfg.Jump != nil {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestConfigFromVarsErrors(t *testing.T) {
	_, err := ConfigFromVars("rs02", map[string]any{
		"ansible_port":            "ssh",
		"ansible_become":          "maybe",
		"ansible_user":            map[string]any{},
		"ansible_become_password": "a\nb",
		"lvslab_netns":            "../etc",
		"ansible_ssh_common_args": "-o ProxyCommand='nc %h %p' -o StrictHostKeyChecking=perhaps -J",
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`host rs02: ansible_port: want a whole number, got ssh`,
		`host rs02: ansible_become: want yes/no or true/false, got maybe`,
		`host rs02: ansible_user: want a string`,
		`host rs02: ansible_become_password: must not contain a line break`,
		`host rs02: lvslab_netns: "../etc" is not a network namespace name`,
		`host rs02: ansible_ssh_common_args: -o ProxyCommand=nc %h %p: only "ssh -W %h:%p [user@]host" is supported`,
		`-o StrictHostKeyChecking=perhaps: want yes, accept-new or no`,
		`-J needs a value`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := ConfigFromVars("x", map[string]any{"ansible_port": 70000}); err == nil || !strings.Contains(err.Error(), "70000 is not a port number") {
		t.Errorf("port 70000: %v", err)
	}
}

func TestSSHArgsJumps(t *testing.T) {
	cases := []struct {
		args string
		want []string // hops from the first dialled, as user@addr:port (0: default)
	}{
		{"-J bastion", []string{"@bastion:0"}},
		{"-Jroot@1.2.3.4:2200", []string{"root@1.2.3.4:2200"}},
		{"-o ProxyJump=a@j1,j2:2022", []string{"a@j1:0", "@j2:2022"}},
		{`-o "ProxyJump ssh://u@[::1]:23"`, []string{"u@::1:23"}},
		{`-o ProxyCommand="ssh -W %h:%p -q -p 2201 -i /k ops@gw"`, []string{"ops@gw:2201"}},
		{"-o ControlMaster=auto -o ControlPersist=60s -C -o ProxyJump=none", nil},
	}
	for _, c := range cases {
		cfg := SSHConfig{Name: "t", Addr: "t"}
		if err := applySSHArgs(&cfg, c.args); err != nil {
			t.Errorf("%s: %v", c.args, err)
			continue
		}
		var got []string
		for j := cfg.Jump; j != nil; j = j.Jump {
			got = append([]string{j.User + "@" + j.Addr + ":" + strconv.Itoa(j.Port)}, got...)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: hops %q, want %q", c.args, got, c.want)
		}
	}
}

func TestShellSplit(t *testing.T) {
	got, err := shellSplit(`-o 'A=b c' "d \"e\" \$f" g\ h  ''`)
	want := []string{"-o", "A=b c", `d "e" $f`, "g h", ""}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{`'open`, `"open`} {
		if _, err := shellSplit(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
