package module

import (
	"strings"
	"testing"

	"lvslab/internal/host/hosttest"
)

const zabbixRepo = `# Managed by hand
[zabbix]
name = Zabbix Official Repository
baseurl = http://repo.zabbix.com/zabbix/6.0/rhel/9/$basearch/
enabled = 1
gpgcheck = 1

[zabbix-non-supported]
name=Zabbix Official Repository non-supported
BaseURL: http://repo.zabbix.com/non-supported/rhel/9/$basearch/
  http://mirror.example.org/non-supported/
; the key
gpgkey = file:///etc/pki/rpm-gpg/RPM-GPG-KEY-ZABBIX
`

// zabbixArgs are the arguments of the section [zabbix] as zabbixRepo has
// it, in dir, with extra.
func zabbixArgs(extra map[string]any) func(dir string) map[string]any {
	return func(dir string) map[string]any {
		m := map[string]any{"name": "zabbix", "description": "Zabbix Official Repository", "reposdir": dir,
			"baseurl": "http://repo.zabbix.com/zabbix/6.0/rhel/9/$basearch/", "gpgcheck": true, "enabled": "yes"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
}

func TestYumRepositoryFile(t *testing.T) {
	f, err := parseRepoFile(zabbixRepo)
	if err != nil {
		t.Fatal(err)
	}
	want := "[zabbix]\nname = Zabbix Official Repository\nbaseurl = http://repo.zabbix.com/zabbix/6.0/rhel/9/$basearch/\nenabled = 1\ngpgcheck = 1\n\n" +
		"[zabbix-non-supported]\nname = Zabbix Official Repository non-supported\nbaseurl = http://repo.zabbix.com/non-supported/rhel/9/$basearch/\n\thttp://mirror.example.org/non-supported/\ngpgkey = file:///etc/pki/rpm-gpg/RPM-GPG-KEY-ZABBIX\n\n"
	if got := f.write(); got != want {
		t.Errorf("written:\n%s\nwant:\n%s", got, want)
	}
	for text, msg := range map[string]string{
		"key = x\n":          "line 1: file contains no section headers",
		"[a]\nx = 1\n[a]\n":  `line 3: section "a" already exists`,
		"[a]\nx = 1\nX: 2\n": `line 3: option "x" in section "a" already exists`,
		"[a]\njust a line\n": `line 2: "just a line" is not key = value`,
	} {
		if _, err := parseRepoFile(text); err == nil || err.Error() != msg {
			t.Errorf("%q: %v, want %s", text, err, msg)
		}
	}
}

func TestYumRepository(t *testing.T) {
	dest := "/etc/yum.repos.d/zabbix.repo"
	args := "{name: zabbix, description: Zabbix Official Repository, baseurl: 'http://repo.zabbix.com/zabbix/6.0/rhel/9/$basearch/', gpgcheck: true, enabled: yes}"
	for _, c := range []struct {
		name, args, content string
		exists, change      bool
	}{
		{"converged", args, zabbixRepo, true, false},
		{"add", strings.Replace(args, "name: zabbix,", "name: zabbix, file: zabbix,", 1), "", false, true},
		{"change", strings.Replace(args, "gpgcheck: true", "gpgcheck: false", 1), zabbixRepo, true, true},
		{"absent", "{name: zabbix-non-supported, file: zabbix, state: absent}", zabbixRepo, true, true},
		{"absent_gone", "{name: zabbix, state: absent}", "", false, false},
	} {
		for _, check := range []bool{false, true} {
			env := familyEnv("RedHat")
			env.Check, env.Diff = check, true
			answer := absentAnswer(dest)
			if c.exists {
				answer = probeAnswer(dest, c.content, 0o644, "0", "root", true)
			}
			answer.Stdout = "reposdir=1\n" + answer.Stdout
			f := hosttest.New().On("reposdir=1", answer)
			res := apply(t, newModule(t, "yum_repository", c.args), f, env)
			if res.Failed || res.Changed != c.change || (len(res.Diff) == 1) != c.change || res.Data["repo"] == "" {
				t.Errorf("%s, check=%v: %+v %q", c.name, check, res, f.Calls)
				continue
			}
			if c.change && !check {
				if got := f.Files[dest]; c.name != "absent" && !strings.Contains(string(got.Data), "[zabbix]\n") {
					t.Errorf("%s: wrote %q", c.name, got.Data)
				}
				goldenShell(t, "core/yum_repository_"+c.name, f.Calls, true)
			} else if len(f.Calls) != 1 {
				t.Errorf("%s, check=%v: %q", c.name, check, f.Calls)
			}
		}
	}
	f := hosttest.New().On("reposdir", absentAnswer(dest))
	if res := apply(t, newModule(t, "yum_repository", args), f, familyEnv("RedHat")); !res.Failed || res.Msg != "Repo directory '/etc/yum.repos.d' does not exist." {
		t.Errorf("no reposdir: %+v", res)
	}
	_, err := newModuleErr("yum_repository", "{file: a/b, state: present, ip_resolve: 5}")
	for _, want := range []string{"name is required", "'baseurl', 'metalink' or 'mirrorlist' is required", "'description' is required", `file "a/b"`, "ip_resolve must be one of"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	if _, err := newModuleErr("yum_repository", "{name: x, state: absent}"); err != nil {
		t.Errorf("absent needs only name: %v", err)
	}
}

// TestYumRepositoryLikeAnsible writes, changes and removes sections of
// .repo files through a real sshd and compares the results and the files
// with ansible-core's yum_repository (which runs on Debian too: it only
// writes the file).
func TestYumRepositoryLikeAnsible(t *testing.T) {
	two := map[string]string{"zabbix.repo": zabbixRepo}
	compareWithAnsible(t, "yum_repository", []oracleCase{
		{name: "new", args: zabbixArgs(map[string]any{
			"name": "epel", "description": "EPEL $releasever", "baseurl": []string{"https://a.example/epel/$releasever/", "https://b.example/epel/"},
			"gpgkey": "https://a.example/RPM-GPG-KEY-EPEL", "exclude": []string{"kernel*", "php*"}, "enabled": false,
			"skip_if_unavailable": true, "cost": 100, "validate_certs": false, "metadata_expire": "6h"})},
		{name: "added", files: two, args: zabbixArgs(map[string]any{"name": "zabbix-agent2", "file": "zabbix", "description": "agent 2", "includepkgs": "zabbix-agent2*"})},
		{name: "converged", files: two, args: zabbixArgs(nil)},
		{name: "changed", files: two, args: zabbixArgs(map[string]any{"gpgcheck": false, "priority": "10"})},
		{name: "absent", files: two, args: zabbixArgs(map[string]any{"state": "absent", "baseurl": nil, "description": nil})},
		{name: "absent_last", files: map[string]string{"one.repo": "[one]\nname = One\nbaseurl = http://x/\n"}, args: func(dir string) map[string]any {
			return map[string]any{"name": "one", "state": "absent", "reposdir": dir}
		}},
		{name: "absent_gone", args: func(dir string) map[string]any {
			return map[string]any{"name": "none", "state": "absent", "reposdir": dir}
		}},
		{name: "mirrorlist", files: two, args: zabbixArgs(map[string]any{"name": "zabbix", "baseurl": nil, "mirrorlist": "http://mirrors.example/list", "mode": "0600"})},
	})
}
