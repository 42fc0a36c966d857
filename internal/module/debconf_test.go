package module

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func debconfFake(show string, pw ...fakeProbe) *hosttest.Fake {
	return probeFake(probeOutput(append([]fakeProbe{{"show", show, 0}}, pw...)...))
}

func TestDebconf(t *testing.T) {
	show := "* tzdata/Areas: Etc\n  tzdata/Zones/Etc: UTC\n  man-db/auto-update: true"
	pwSum := sha256.Sum256([]byte("s3cret"))
	cases := []struct {
		name, args string
		f          func() *hosttest.Fake
		changed    bool
		stdin      string
	}{
		{"converged", "{name: tzdata, question: tzdata/Areas, vtype: select, value: Etc}", func() *hosttest.Fake { return debconfFake(show) }, false, ""},
		{"boolean", "{name: man-db, question: man-db/auto-update, vtype: boolean, value: 'True'}", func() *hosttest.Fake { return debconfFake(show) }, false, ""},
		{"set", "{name: tzdata, question: tzdata/Areas, vtype: select, value: Europe, unseen: true}", func() *hosttest.Fake { return debconfFake(show) }, true, "tzdata tzdata/Areas select Europe\n"},
		{"new", "{name: tzdata, question: tzdata/Other, vtype: string, value: x y}", func() *hosttest.Fake { return debconfFake(show) }, true, "tzdata tzdata/Other string x y\n"},
		{"password_same", "{name: mariadb-server, question: mysql-server/root_password, vtype: password, value: s3cret}",
			func() *hosttest.Fake {
				return debconfFake("", fakeProbe{"pw", hex.EncodeToString(pwSum[:]) + "  -", 0})
			}, false, ""},
		{"password", "{name: mariadb-server, question: mysql-server/root_password, vtype: password, value: s3cret}",
			func() *hosttest.Fake { return debconfFake("", fakeProbe{"pw", "", 3}) }, true, "mariadb-server mysql-server/root_password password s3cret\n"},
	}
	for _, c := range cases {
		for _, check := range []bool{false, true} {
			env := familyEnv("Debian")
			env.Check, env.Diff = check, true
			f := c.f()
			res := apply(t, newModule(t, "debconf", c.args), f, env)
			calls := 1
			if c.changed && !check {
				calls = 2
			}
			if res.Failed || res.Changed != c.changed || len(f.Calls) != calls {
				t.Errorf("%s, check=%v: %+v %q", c.name, check, res, f.Calls)
				continue
			}
			for _, call := range f.Calls {
				if strings.Contains(call, "s3cret") {
					t.Errorf("%s: password on a command line: %s", c.name, call)
				}
			}
			if strings.Contains(fmt.Sprintf("%+v", res), "s3cret") {
				t.Errorf("%s: password in the result: %+v", c.name, res)
			}
			if calls == 2 {
				if f.Stdins[1] != c.stdin {
					t.Errorf("%s: stdin %q", c.name, f.Stdins[1])
				}
				goldenShell(t, "core/debconf_"+c.name, f.Calls, false)
			}
		}
	}
	res := apply(t, newModule(t, "debconf", "name: tzdata"), debconfFake(show), familyEnv("Debian"))
	if res.Changed || res.Data["current"].(map[string]any)["tzdata/Zones/Etc"] != "UTC" {
		t.Errorf("read only: %+v", res)
	}
	f := debconfFake(show).On(`^debconf-set-selections`, host.Result{ExitCode: 1, Stderr: "error: Cannot find a question for x"})
	if res := apply(t, newModule(t, "debconf", "{name: tzdata, question: tzdata/Areas, vtype: select, value: Europe}"), f, familyEnv("Debian")); !res.Failed || !strings.Contains(res.Msg, "Cannot find") {
		t.Errorf("failure: %+v", res)
	}
	_, err := newModuleErr("debconf", "{question: 'a b', vtype: word}")
	for _, want := range []string{"name is required", "single words", "vtype must be one of", "must supply a valid vtype and value"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}
