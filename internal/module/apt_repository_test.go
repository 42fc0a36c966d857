package module

import (
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

// sourcesFake answers the sources listing with these files (path, content).
func sourcesFake(files ...string) *hosttest.Fake {
	var b strings.Builder
	for i := 0; i+1 < len(files); i += 2 {
		b.WriteString(probeOutput(fakeProbe{"file:" + files[i], files[i+1], 0}))
	}
	return hosttest.New().On(`sources.list.d/\*.list`, host.Result{Stdout: b.String()})
}

const nginxRepo = "deb [signed-by=/etc/apt/keyrings/nginx.gpg] http://nginx.org/packages/debian bookworm nginx"

func TestAptRepositoryFileName(t *testing.T) {
	for line, want := range map[string]string{
		"deb [signed-by=/usr/share/keyrings/x.gpg] http://user:pw@example.org/debian bookworm main": "example_org_debian",
		nginxRepo: "nginx_org_packages_debian",
		"deb-src https://deb.debian.org/debian/ bookworm main contrib": "deb_debian_org_debian",
		"deb http://dl.google.com/linux/chrome/deb/ stable main":       "dl_google_com_linux_chrome_deb",
	} {
		if got := aptRepoFileName(line); got != want {
			t.Errorf("%s: %s, want %s", line, got, want)
		}
	}
}

func TestAptRepository(t *testing.T) {
	debian := "deb http://deb.debian.org/debian bookworm main\n"
	file := "/etc/apt/sources.list.d/nginx_org_packages_debian.list"
	cases := []struct {
		name, args string
		files      []string
		changes    []string // path=after, after "" is removed
	}{
		{"converged", "repo: '" + nginxRepo + "'", []string{"/etc/apt/sources.list", debian, "/etc/apt/sources.list.d/other.list", "# mine\n" + strings.ReplaceAll(nginxRepo, " ", "  ") + "\n"}, nil},
		{"add", "repo: '" + nginxRepo + "'", []string{"/etc/apt/sources.list", debian}, []string{file + "=" + nginxRepo + "\n"}},
		{"add_named", "{repo: '" + nginxRepo + "', filename: nginx, mode: '0600', update_cache: false}", []string{"/etc/apt/sources.list.d/nginx.list", "# keep\n"}, []string{"/etc/apt/sources.list.d/nginx.list=# keep\n" + nginxRepo + "\n"}},
		{"enable", "repo: '" + nginxRepo + "'", []string{"/etc/apt/sources.list", debian + "# " + nginxRepo + "\n"}, []string{"/etc/apt/sources.list=" + debian + nginxRepo + "\n"}},
		{"absent", "{repo: '" + nginxRepo + "', state: absent}", []string{"/etc/apt/sources.list", debian + nginxRepo + "\n", file, nginxRepo + "\n"}, []string{"/etc/apt/sources.list=" + debian, file + "="}},
		{"absent_gone", "{repo: '" + nginxRepo + "', state: absent}", []string{"/etc/apt/sources.list", debian + "# " + nginxRepo + "\n"}, nil},
	}
	for _, c := range cases {
		for _, check := range []bool{false, true} {
			env := familyEnv("Debian")
			env.Check, env.Diff = check, true
			f := sourcesFake(c.files...)
			res := apply(t, newModule(t, "apt_repository", c.args), f, env)
			calls := 1
			if len(c.changes) > 0 && !check {
				calls = 2
			}
			if res.Failed || res.Changed != (len(c.changes) > 0) || len(f.Calls) != calls || len(res.Diff) != len(c.changes) {
				t.Errorf("%s, check=%v: %+v %q", c.name, check, res, f.Calls)
				continue
			}
			for i, ch := range c.changes {
				path, after, _ := strings.Cut(ch, "=")
				if res.Diff[i].Path != path || res.Diff[i].After != after {
					t.Errorf("%s: diff %d: %+v, want %s", c.name, i, res.Diff[i], ch)
				}
			}
			if calls == 2 {
				goldenShell(t, "core/apt_repository_"+c.name, f.Calls, true)
			}
		}
	}
	f := sourcesFake().On(`apt-get update`, host.Result{ExitCode: 100, Stderr: "E: The repository does not have a Release file."})
	if res := apply(t, newModule(t, "apt_repository", "repo: '"+nginxRepo+"'"), f, familyEnv("Debian")); !res.Failed || !strings.Contains(res.Msg, "Release file") {
		t.Errorf("update fails: %+v", res)
	}
	_, err := newModuleErr("apt_repository", "{state: gone, filename: a/b, update_cache_retries: -1}")
	for _, want := range []string{"repo is required", "state must be", `filename "a/b"`, "update_cache_retries"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	for _, repo := range []string{"ppa:nginx/stable", "deb nginx.org bookworm"} {
		if _, err := newModuleErr("apt_repository", "repo: '"+repo+"'"); err == nil {
			t.Errorf("%s: no error", repo)
		}
	}
}
