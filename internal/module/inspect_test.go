package module

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
)

func TestParseInspection(t *testing.T) {
	out := "noise\nkey=one\nchanged=a\n" +
		probeOutput(fakeProbe{"a", "one\ntwo\n", 0}, fakeProbe{"b", "", 1}, fakeProbe{"c", "no newline\nx=y", 2}) +
		"key=two\nchanged=b\n" + contentMark + "\n@@lvslab:not a probe\nz=1\n"
	in := parseInspection(out)
	if in.out["a"] != "one\ntwo\n" || in.out["b"] != "" || in.out["c"] != "no newline\nx=y" || in.text("a") != "one\ntwo" {
		t.Errorf("outputs: %q", in.out)
	}
	if !in.ok("a") || in.ok("b") || in.ok("c") || in.ok("missing") {
		t.Errorf("rcs: %v", in.rc)
	}
	if in.kv["key"] != "two" || in.kv["x"] != "" || in.kv["z"] != "" || strings.Join(in.values("changed"), ",") != "a,b" {
		t.Errorf("key=value lines: %q %q", in.kv, in.all)
	}
	if !in.hasContent || in.content != "@@lvslab:not a probe\nz=1\n" {
		t.Errorf("content %q", in.content)
	}
	if parseInspection("a=1\n").hasContent {
		t.Error("content without its mark")
	}
}

func TestProbesInShell(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"nl": "a\nb\n", "nonl": "a\nb", "empty": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := probes(probe("nl", "cat "+dir+"/nl"), probe("nonl", "cat "+dir+"/nonl"),
		probe("empty", "cat "+dir+"/empty"), probe("missing", "cat "+dir+"/missing 2>/dev/null"), "echo k=v")
	in, err := inspect(context.Background(), &localExec{}, "files", cmd)
	if err != nil {
		t.Fatal(err)
	}
	if in.out["nl"] != "a\nb\n" || in.out["nonl"] != "a\nb" || in.out["empty"] != "" || in.out["missing"] != "" || in.kv["k"] != "v" {
		t.Errorf("outputs %q %q", in.out, in.kv)
	}
	if !in.ok("nl") || !in.ok("empty") || in.ok("missing") || in.rc["missing"] != 1 || in.failure("files") != nil {
		t.Errorf("rcs %v", in.rc)
	}
	if in, _ := inspect(context.Background(), &localExec{}, "x", "echo oops >&2; exit 3"); in.failure("x") == nil ||
		!strings.Contains(in.failure("x").Error(), "inspect x: exit 3: oops") {
		t.Errorf("failure %v", in.failure("x"))
	}
}

// TestCatFileIsExact runs catFile in bash and in sh: the output is the file,
// byte for byte, and it fails for a missing file and a directory.
func TestCatFileIsExact(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"", "\n", "a", "a\n", "a\nb", "a\n\nb\n\n", " lead\\ing \t\\n $x `y` %s\n" + strings.Repeat("long line ", 500)} {
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, sh := range []string{"bash", "sh"} {
			out, err := exec.Command(sh, "-c", catFile(f)).Output()
			if err != nil || string(out) != content {
				t.Errorf("%s: %q: got %q, %v", sh, content, out, err)
			}
		}
	}
	for _, p := range []string{filepath.Join(dir, "missing"), dir} {
		for _, sh := range []string{"bash", "sh"} {
			out, err := exec.Command(sh, "-c", catFile(p)).CombinedOutput()
			if err == nil || len(out) != 0 {
				t.Errorf("%s: %s: got %q, %v; want a failure and no output", sh, p, out, err)
			}
		}
	}
}

func TestModulesRegistered(t *testing.T) {
	want := "apt apt_key apt_repository assert async_status blockinfile cert command copy debconf debug dnf fail fetch file find get_url git group http_check ini_file ip_address iptables ipvs lineinfile mysql_db mysql_user mysql_variables package pam_limits pause ping reboot replace route rpm_key script service set_fact setup shell slurp stat sysctl systemd systemd_service template unarchive uri user wait_for yum yum_repository"
	if got := strings.Join(Default().Names(), " "); got != want {
		t.Errorf("names %s, want %s", got, want)
	}
}

func TestValidationReportsEverything(t *testing.T) {
	cases := map[string]struct{ args, want string }{
		"ipvs":       {"{scheduler: fast, port: 99999, state: gone}", "state must be present or absent|unknown scheduler|address (the VIP) or fwmark is required|port must be"},
		"iptables":   {"{table: x, set_mark: 99}", "table must be one of|chain is required|jump is required|set_mark goes with jump MARK"},
		"ip_address": {"{address: nope, device: 'a b', label: x}", "is not an IP address|device must be|label"},
		"route":      {"{destination: nope, metric: -1}", "destination \"nope\"|gateway or device is required|metric"},
		"cert":       {"{names: ['bad name'], type: dsa, days: -1}", "neither an IP|cert_path and key_path|type must be|days must be"},
		"http_check": {"{url: 'ftp://x', count: -1, from: moon}", "url must be|count must be|from must be"},
		"copy":       {"{validate: x}", "src or content is required|dest is required|validate must contain %s"},
		"file":       {"{state: link, recurse: true}", "path is required|state link needs src|recurse is only for state directory"},
		"package":    {"{name: 'a b', state: newest, cache_valid_time: -1}", "invalid package name|state \"newest\"|cache_valid_time"},
		"sysctl":     {"{name: 'a b', state: gone}", "invalid name|state \"gone\""},
		"wait_for":   {"{port: 70000, path: /x, sleep: 0}", "give port or path|out of range|sleep must be"},
	}
	for name, c := range cases {
		_, err := newModuleErr(name, c.args)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range strings.Split(c.want, "|") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", name, err, w)
			}
		}
	}
}

// TestModulesBuiltDirectly checks that a module made as a Go value, never
// decoded nor validated, does what the same task does: Apply works out
// the defaults itself, and reports bad arguments as Validate would.
func TestModulesBuiltDirectly(t *testing.T) {
	one := 1
	iniC := "c"
	cases := []struct {
		name, args string
		m          Module
		answer     string // every command's stdout
	}{
		{"sysctl", "{name: net.ipv4.ip_forward, value: 1}", &Sysctl{Name: "net.ipv4.ip_forward", Value: "1"}, "sysctl_rc=0\nsysctl_value=0\npath=/etc/sysctl.conf\n"},
		{"ipvs", "{address: 10.0.0.1, port: 80, realservers: [{address: 10.0.0.2}]}",
			&IPVS{Address: "10.0.0.1", Port: 80, RealServers: []IPVSRealServer{{Address: "10.0.0.2"}}}, probeOutput(fakeProbe{"table", "", 0})},
		{"route", "{destination: default, gateway: 10.0.0.1}", &Route{Destination: "default", Gateway: "10.0.0.1"}, probeOutput(fakeProbe{"routes", "", 0})},
		{"ip_address", "{address: 10.0.0.9, device: lo}", &IPAddress{Address: "10.0.0.9", Device: "lo"}, probeOutput(fakeProbe{"addrs", "", 0})},
		{"iptables", "{chain: INPUT, jump: ACCEPT}", &IPTables{Chain: "INPUT", Jump: "ACCEPT"}, probeOutput(fakeProbe{"check", "", 1})},
		{"wait_for", "{port: 80, timeout: 1}", &WaitFor{Port: 80, Timeout: &one}, "elapsed=0\n"},
		{"shell", "chdir=/tmp echo hi", &Shell{Cmd: "chdir=/tmp echo hi"}, ""},
		{"command", "creates=/x touch /x", &Command{Cmd: "creates=/x touch /x"}, ""},
		{"lineinfile", "{dest: /etc/hosts, line: x}", &LineInFile{Dest: "/etc/hosts", Line: "x"}, "path=/etc/hosts\n"},
		{"file", "{name: /srv, recurse: true}", &File{Name: "/srv", Recurse: true}, ""},
		{"package", "{name: nginx}", &Package{Name: StrList{"nginx"}}, "pkg:nginx=absent\n"},
		{"service", "{name: nginx, state: started}", &Service{Name: "nginx", State: "started"}, "LoadState=loaded\nactive=inactive\n"},
		{"assert", "{that: 'true', msg: no}", &Assert{That: StrList{"true"}, Msg: "no"}, ""},
		{"get_url", "{url: 'http://a/b', dest: /b}", &GetURL{URL: "http://a/b", Dest: "/b"}, ""},
		{"uri", "{url: 'http://a/b'}", &URI{URL: "http://a/b"}, "rc=0\nstatus=200\n"},
		{"group", "{name: www}", &Group{Name: "www"}, ""},
		{"user", "{name: app, createhome: false}", &User{Name: "app", CreateHomeOld: new(bool)}, ""},
		{"unarchive", "{src: /x.tgz, dest: /srv, remote_src: true}", &Unarchive{Src: "/x.tgz", Dest: "/srv", RemoteSrc: true}, ""},
		{"stat", "{name: /etc/hosts}", &Stat{Name: "/etc/hosts"}, "exists=0\n"},
		{"blockinfile", "{dest: /etc/hosts, block: x}", &BlockInFile{EditPath: EditPath{Dest: "/etc/hosts"}, Block: "x"}, "path=/etc/hosts\n"},
		{"replace", "{dest: /etc/hosts, regexp: x}", &Replace{EditPath: EditPath{Dest: "/etc/hosts"}, Regexp: "x"}, "path=/etc/hosts\n"},
		{"slurp", "{path: /etc/hosts}", &Slurp{Path: "/etc/hosts"}, "content=eA==\n"},
		{"fetch", "{src: /etc/hosts, dest: /tmp/x, fail_on_missing: false}", &Fetch{Src: "/etc/hosts", Dest: "/tmp/x", FailOnMissing: new(bool)}, "kind=missing\n"},
		{"find", "{path: /srv}", &Find{Path: StrList{"/srv"}}, "now=1\n"},
		{"ini_file", "{dest: /etc/x.ini, section: a, option: b, value: c}", &IniFile{Dest: "/etc/x.ini", Section: "a", Option: "b", Value: &iniC}, "path=/etc/x.ini\n"},
		{"ping", "{}", &Ping{}, "pong\n"},
		{"setup", "{filter: ansible_os_family}", &Setup{Filter: StrList{"ansible_os_family"}}, "id=debian\n"},
		{"pause", "{prompt: go on}", &Pause{Prompt: "go on"}, ""},
		{"apt_repository", "{repo: 'deb http://x.org/d bookworm main'}", &AptRepository{Repo: "deb http://x.org/d bookworm main"}, ""},
		{"apt_key", "{id: C380285B, data: x}", &AptKey{ID: "C380285B", Data: "x"}, "bin:apt-key=1\nbin:gpg=1\n"},
		{"debconf", "{name: tzdata}", &Debconf{Name: "tzdata"}, probeOutput(fakeProbe{"show", "", 0})},
		{"git", "{repo: x, dest: /srv/app}", &Git{Repo: "x", Dest: "/srv/app"}, ""},
		{"mysql_db", "{name: x}", &MySQLDB{Name: StrList{"x"}}, probeOutput(fakeProbe{"version", "10.11.6-MariaDB", 0}, fakeProbe{"dbs", "", 0})},
		{"mysql_user", "{name: x, password: y}", &MySQLUser{Name: "x", Password: &[]string{"y"}[0]}, probeOutput(fakeProbe{"version", "10.11.6-MariaDB", 0}, fakeProbe{"accounts", "", 0}, fakeProbe{"grants", "", 0})},
	}
	for _, c := range cases {
		run := func(m Module) (Result, []string) {
			f := probeFake(c.answer).On(".", host.Result{Stdout: c.answer})
			env := testEnv(debian12, nil)
			res, err := m.Apply(context.Background(), f, env)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			return res, f.Commands()
		}
		want, wantCalls := run(newModule(t, c.name, c.args))
		got, gotCalls := run(c.m)
		if got.Changed != want.Changed || got.Failed != want.Failed || got.Msg != want.Msg || strings.Join(gotCalls, "\n") != strings.Join(wantCalls, "\n") {
			t.Errorf("%s built directly: %+v %q\nthrough the registry: %+v %q", c.name, got, gotCalls, want, wantCalls)
		}
	}
	if _, err := (&Sysctl{Name: "a b"}).Apply(context.Background(), probeFake(""), testEnv(debian12, nil)); err == nil || !strings.Contains(err.Error(), "invalid name") {
		t.Errorf("bad arguments built directly: %v", err)
	}
}
