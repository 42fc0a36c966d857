package module

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

// testKeyColons is gpg's colon listing of the test key.
const testKeyColons = "pub:-:255:22:" + testKeyID + ":1796169340:::-:::scESC:::::ed25519:::0:\nfpr:::::::::" + testKeyFpr + ":\nsub:-:255:18:" + testSubID + ":1796169340::::::e:::::cv25519::"

// rpmKeyFake answers rpm_key's inspection: the imported keys' listing and
// the key's (key "" for none).
func rpmKeyFake(imported, key string) *hosttest.Fake {
	out := "bin:rpm=1\nbin:gpg=1\n" + probeOutput(fakeProbe{"imported", imported, 0})
	if key != "" {
		out += probeOutput(fakeProbe{"key", key, 0})
	}
	return hosttest.New().On(`bin:rpm`, host.Result{Stdout: out})
}

func TestRpmKey(t *testing.T) {
	other := "pub:-:4096:1:8A3872BF3228467C:1600000000:::-:::scESC::::::23::0:"
	for _, c := range []struct {
		name, args, imported, key string
		change                    bool
	}{
		{"converged_file", "{key: /etc/pki/rpm-gpg/RPM-GPG-KEY-lvslab}", other + "\n" + testKeyColons, testKeyColons, false},
		{"converged_id", "{key: '0x" + testKeyID + "'}", testKeyColons, "", false},
		{"import_file", "{key: /etc/pki/rpm-gpg/RPM-GPG-KEY-lvslab, fingerprint: '20DD BAC4 6351 40BA E84D  79A8 FC31 B7F3 C380 285B'}", other, testKeyColons, true},
		{"import_url", "{key: 'https://www.mongodb.org/static/pgp/server-7.0.asc', validate_certs: false}", "", testKeyColons, true},
		{"absent", "{key: " + testKeyID + ", state: absent}", other + "\n" + testKeyColons, "", true},
		{"absent_gone", "{key: C380285B, state: absent}", other, "", false},
	} {
		for _, check := range []bool{false, true} {
			env := familyEnv("RedHat")
			env.Check = check
			f := rpmKeyFake(c.imported, c.key)
			res := apply(t, newModule(t, "rpm_key", c.args), f, env)
			calls := 1
			if c.change && !check {
				calls = 2
			}
			if res.Failed || res.Changed != c.change || len(f.Calls) != calls {
				t.Errorf("%s, check=%v: %+v %q", c.name, check, res, f.Calls)
				continue
			}
			if calls == 2 {
				goldenShell(t, "core/rpm_key_"+c.name, f.Calls, true)
			}
		}
	}
	for args, want := range map[string]string{
		"{key: /k.asc, fingerprint: 0000}": "The specified fingerprint, '0000', does not match the key fingerprint '" + testKeyFpr + "'",
		"{key: " + testKeyID + "}":         "When importing a key, a valid file must be given",
	} {
		f := rpmKeyFake("", testKeyColons)
		if res := apply(t, newModule(t, "rpm_key", args), f, familyEnv("RedHat")); !res.Failed || res.Msg != want || len(f.Calls) != 1 {
			t.Errorf("%s: %+v, want %q", args, res, want)
		}
	}
	f := rpmKeyFake("", "nofile=1")
	if res := apply(t, newModule(t, "rpm_key", "key: /nowhere"), f, familyEnv("RedHat")); !res.Failed || res.Msg != "Not a valid key /nowhere" {
		t.Errorf("missing file: %+v", res)
	}
	f = hosttest.New().On(`bin:rpm`, host.Result{Stdout: "bin:gpg=1\n"})
	if res := apply(t, newModule(t, "rpm_key", "key: /k"), f, familyEnv("RedHat")); !res.Failed || !strings.Contains(res.Msg, `"rpm"`) {
		t.Errorf("no rpm: %+v", res)
	}
	if _, err := newModuleErr("rpm_key", "{state: gone}"); err == nil || !strings.Contains(err.Error(), "key is required") || !strings.Contains(err.Error(), "state must be") {
		t.Errorf("validation: %v", err)
	}
}

// TestRpmKeyOnSSHD imports the test key into this machine's rpm database
// through a real sshd, from a file and from a URL (an HTTP server of the
// test), and removes it, with ansible-core's rpm_key taking turns on the
// same database: each must find what the other left (converged, or a
// change).
func TestRpmKeyOnSSHD(t *testing.T) {
	key, keyURL := keyServer(t, "rpm", "gpg")
	file := filepath.Join(t.TempDir(), "RPM-GPG-KEY-lvslab")
	if err := os.WriteFile(file, key, 0o644); err != nil {
		t.Fatal(err)
	}
	// rpm's database is in the home directory on Debian (~/.rpmdb): the
	// sshd's sessions have a home of their own, which Ansible shares.
	s, h, _ := sshdFiles(t, t.TempDir())
	t.Setenv("HOME", filepath.Join(s.Dir, "home"))
	ctx := context.Background()
	lvslab := func(args map[string]any, check, changed bool) {
		t.Helper()
		env := testEnv(debian12, nil)
		env.Check = check
		res, err := newModule(t, "rpm_key", argsYAML(t, args)).Apply(ctx, h, env)
		if err != nil || res.Failed || res.Changed != changed {
			t.Fatalf("lvslab rpm_key %v (check %v): %v %+v, want changed %v", args, check, err, res, changed)
		}
	}
	ansible := func(changed []bool, tasks ...map[string]any) {
		t.Helper()
		var ts []ansibleTask
		for _, a := range tasks {
			ts = append(ts, ansibleTask{"rpm_key", a})
		}
		for i, r := range ansibleRun(t, false, ts...) {
			if r["failed"] == true || (r["changed"] == true) != changed[i] {
				t.Fatalf("ansible rpm_key %v: %v, want changed %v", tasks[i], r, changed[i])
			}
		}
	}
	present, absent := map[string]any{"key": file}, map[string]any{"key": testKeyID, "state": "absent"}
	lvslab(present, true, true)
	lvslab(present, false, true)
	lvslab(present, false, false)
	ansible([]bool{false, true}, present, absent)
	lvslab(absent, false, false)
	lvslab(map[string]any{"key": keyURL, "fingerprint": testKeyFpr}, false, true)
	ansible([]bool{false, true}, map[string]any{"key": keyURL}, map[string]any{"key": "0xc380285b", "state": "absent"})
	lvslab(map[string]any{"key": "C380285B", "state": "absent"}, false, false)
	ansible([]bool{true}, present)
	lvslab(absent, true, true)
	lvslab(absent, false, true)
	lvslab(absent, false, false)
}
