package host

import (
	"errors"
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
	}, Defaults{})
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
	cfg, err := ConfigFromVars("web1", map[string]any{"ansible_port": 22, "ansible_become": true, "ansible_password": nil}, Defaults{})
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
	}, Defaults{})
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
	if _, err := ConfigFromVars("x", map[string]any{"ansible_port": 70000}, Defaults{}); err == nil || !strings.Contains(err.Error(), "70000 is not a port number") {
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
	got, err := SplitWords(`-o 'A=b c' "d \"e\" \$f" g\ h  ''`)
	want := []string{"-o", "A=b c", `d "e" $f`, "g h", ""}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{`'open`, `"open`} {
		if _, err := SplitWords(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestBecomeFromVars: the one reading of the become variables, the same in
// ConfigFromVars (lint, the connection) as on its own (runner, verify).
func TestBecomeFromVars(t *testing.T) {
	cases := []struct {
		vars map[string]any
		want Become
	}{
		{map[string]any{}, Become{User: "root"}},
		{map[string]any{"ansible_become": "on"}, Become{Enabled: true, User: "root"}},
		{map[string]any{"ansible_become": "Yes", "ansible_become_user": "www-data"}, Become{Enabled: true, User: "www-data"}},
		{map[string]any{"ansible_become": "TRUE", "ansible_become_pass": "p"}, Become{Enabled: true, User: "root", Password: "p"}},
		{map[string]any{"ansible_become": "y", "ansible_become_password": "q", "ansible_become_pass": "p"}, Become{Enabled: true, User: "root", Password: "q"}},
		{map[string]any{"ansible_become": "off"}, Become{User: "root"}},
		{map[string]any{"ansible_become": 1, "ansible_become_password": 1234}, Become{Enabled: true, User: "root", Password: "1234"}},
	}
	for _, c := range cases {
		got, err := BecomeFromVars("rs01", c.vars)
		if err != nil || got != c.want {
			t.Errorf("BecomeFromVars(%v) = %+v, %v; want %+v", c.vars, got, err, c.want)
		}
		cfg, err := ConfigFromVars("rs01", c.vars, Defaults{})
		if err != nil || cfg.Become != c.want {
			t.Errorf("ConfigFromVars(%v).Become = %+v, %v; want %+v", c.vars, cfg.Become, err, c.want)
		}
	}
	_, err := BecomeFromVars("rs01", map[string]any{"ansible_become": "maybe", "ansible_become_pass": "a\nb"})
	var ve *VarError
	if err == nil || !errors.As(err, &ve) || !strings.Contains(err.Error(), "host rs01: ansible_become: want yes/no or true/false, got maybe") ||
		!strings.Contains(err.Error(), "ansible_become_password: must not contain a line break") {
		t.Errorf("bad become variables: %v", err)
	}
}

// TestConfigFromVarsCommandLineDefaults: the command line's settings apply
// where the inventory sets nothing, for the host and its jump hosts; an
// option the inventory really sets wins, one only named inside another
// option's value does not.
func TestConfigFromVarsCommandLineDefaults(t *testing.T) {
	def := Defaults{KnownHostsFile: "/cli/known_hosts", HostKeyChecking: HostKeyStrict, Timeout: 4 * time.Second}
	cfg, err := ConfigFromVars("rs01", map[string]any{
		"ansible_ssh_common_args": `-J bastion -o ProxyJump=none -o "IdentityFile=/k/StrictHostKeyChecking ConnectTimeout UserKnownHostsFile ServerAliveInterval"`,
	}, def)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KnownHostsFile != def.KnownHostsFile || cfg.HostKeyChecking != HostKeyStrict || cfg.Timeout != def.Timeout || cfg.KeepAlive != def.Timeout {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	cfg, err = ConfigFromVars("rs01", map[string]any{
		"ansible_ssh_common_args": `-J bastion -o StrictHostKeyChecking=no -o UserKnownHostsFile=/inv/kh`,
		"ansible_ssh_extra_args":  `-o ConnectTimeout=30`,
	}, def)
	if err != nil {
		t.Fatal(err)
	}
	for c := &cfg; c != nil; c = c.Jump {
		if c.KnownHostsFile != "/inv/kh" || c.HostKeyChecking != HostKeyOff || c.Timeout != 30*time.Second || c.KeepAlive != DefaultKeepAlive {
			t.Errorf("%s: the inventory's settings do not win: %+v", c.Name, *c)
		}
	}
	if cfg.Jump == nil {
		t.Fatal("no jump host")
	}
	cfg, err = ConfigFromVars("rs01", map[string]any{"ansible_timeout": 2, "ansible_ssh_common_args": "-o ServerAliveInterval=9"}, def)
	if err != nil || cfg.Timeout != 2*time.Second || cfg.KeepAlive != 9*time.Second {
		t.Errorf("ansible_timeout, ServerAliveInterval: %+v, %v", cfg, err)
	}
	cfg, err = ConfigFromVars("rs01", map[string]any{"ansible_ssh_timeout": "3"}, def)
	if err != nil || cfg.Timeout != 3*time.Second || cfg.KeepAlive != 3*time.Second {
		t.Errorf("ansible_ssh_timeout: %+v, %v", cfg, err)
	}
}
