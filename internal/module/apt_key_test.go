package module

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
	"lvslab/internal/host/sshtest"
)

// The test key (testdata/apt_key/lvslab-test.asc): an ed25519 key with a
// cv25519 subkey, made for these tests.
const (
	testKeyID  = "FC31B7F3C380285B"
	testKeyFpr = "20DDBAC4635140BAE84D79A8FC31B7F3C380285B"
	testSubID  = "223C4669BB8E2F6F"
)

// aptKeyListing is apt-key adv --list-public-keys --keyid-format=long of a
// keyring holding the keys (pub, sub pairs of ids).
func aptKeyListing(keys ...string) string {
	var b strings.Builder
	b.WriteString("Warning: apt-key is deprecated.\nExecuting: /tmp/apt-key-gpghome.x/gpg.1.sh --list-public-keys --keyid-format=long\n/etc/apt/trusted.gpg\n--------------------\n")
	for i := 0; i+1 < len(keys); i += 2 {
		b.WriteString("pub   ed25519/" + keys[i] + " 2026-12-01 [SC]\n      0000" + keys[i] + "\nuid                 [ unknown] x <x@x>\nsub   cv25519/" + keys[i+1] + " 2026-12-01 [E]\n\n")
	}
	return b.String()
}

// aptKeyFake answers apt_key's inspection: both programs there, the
// keyring's listing, and the key's colon listing (when key is not "").
func aptKeyFake(listing, key string) *hosttest.Fake {
	out := "bin:apt-key=1\nbin:gpg=1\n" + probeOutput(fakeProbe{"keys", listing, 0})
	if key != "" {
		out += probeOutput(fakeProbe{"key", "pub:-:255:22:" + key + ":1796169340:::-:::scESC:::::ed25519:::0:\nfpr:::::::::0000" + key + ":\nsub:-:255:18:1111222233334444:1796169340::::::e:::::cv25519::", 0})
	}
	return hosttest.New().On(`bin:\$b`, host.Result{Stdout: out})
}

func TestAptKeyID(t *testing.T) {
	for id, want := range map[string]aptKeyIDs{
		"0x" + strings.ToLower(testKeyFpr): {"C380285B", testKeyID, testKeyFpr},
		testKeyID:                          {"C380285B", testKeyID, testKeyID},
		"C380285B":                         {"C380285B", "C380285B", "C380285B"},
	} {
		if got, err := parseAptKeyID(id); err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", id, got, err, want)
		}
	}
	for _, id := range []string{"C38028", "0xC380285BC", "nothex!!"} {
		if _, err := parseAptKeyID(id); err == nil {
			t.Errorf("%s: no error", id)
		}
	}
	l := aptKeyListing(testKeyID, testSubID) + "pub   rsa4096/AAAABBBBCCCCDDDD 2010-01-01 [SC] [expired: 2012-01-01]\n"
	if got := aptKeysOf(l, false); !reflect.DeepEqual(got, []string{testKeyID, testSubID}) {
		t.Errorf("keys %q", got)
	}
	if got := aptKeysOf(l, true); !reflect.DeepEqual(got, []string{"C380285B", "BB8E2F6F"}) {
		t.Errorf("short keys %q", got)
	}
}

func TestAptKey(t *testing.T) {
	other := []string{"0123456789ABCDEF", "1111222233334444"}
	cases := []struct {
		name, args string
		keys       []string // in the keyring
		key        string   // the id gpg reads from the key, "" when id is given
		change     bool
	}{
		{"converged", "{id: " + testKeyFpr + ", url: 'https://example.org/key.asc'}", append([]string{testKeyID, testSubID}, other...), "", false},
		{"converged_short", "{id: C380285B, file: /k.asc}", []string{testKeyID, testSubID}, "", false},
		{"converged_read", "{data: 'KEY'}", []string{testKeyID, testSubID}, testKeyID, false},
		{"add_url", "{url: 'https://example.org/key.asc', validate_certs: false}", other, testKeyID, true},
		{"add_data", "{id: " + testKeyID + ", data: 'KEY', keyring: /etc/apt/trusted.gpg.d/x.gpg}", nil, "", true},
		{"add_file", "{file: /srv/key.gpg}", nil, testKeyID, true},
		{"add_keyserver", "{id: " + testKeyFpr + ", keyserver: keyserver.ubuntu.com}", other, "", true},
		{"absent", "{id: " + testKeyID + ", state: absent}", append([]string{testKeyID, testSubID}, other...), "", true},
		{"absent_gone", "{id: " + testKeyID + ", state: absent}", other, "", false},
	}
	for _, c := range cases {
		for _, check := range []bool{false, true} {
			env := familyEnv("Debian")
			env.Check, env.Diff = check, true
			after := c.keys
			if c.change {
				after = []string{testKeyID, testSubID}
				if strings.Contains(c.args, "absent") {
					after = other
				}
			}
			f := aptKeyFake(aptKeyListing(c.keys...), c.key).On(`@@lvslab:after`, host.Result{Stdout: "OK\n" + probeOutput(fakeProbe{"after", aptKeyListing(after...), 0})})
			res := apply(t, newModule(t, "apt_key", c.args), f, env)
			calls := 1
			if c.change && !check {
				calls = 2
			}
			if res.Failed || res.Changed != c.change || len(f.Calls) != calls || (len(res.Diff) == 1) != c.change {
				t.Errorf("%s, check=%v: %+v %q", c.name, check, res, f.Calls)
				continue
			}
			if res.Data["fp"] != testKeyID && res.Data["fp"] != "C380285B" || res.Data["short_id"] != "C380285B" {
				t.Errorf("%s: ids %v", c.name, res.Data)
			}
			if _, has := res.Data["after"]; has != (calls == 2) {
				t.Errorf("%s, check=%v: after %v", c.name, check, res.Data["after"])
			}
			if calls == 2 {
				goldenShell(t, "core/apt_key_"+c.name, f.Calls, true)
			}
		}
	}

	// The key does not show in the keyring afterwards: the task fails, as Ansible's.
	f := aptKeyFake(aptKeyListing(other...), "").On(`@@lvslab:after`, host.Result{Stdout: probeOutput(fakeProbe{"after", aptKeyListing(other...), 0})})
	if res := apply(t, newModule(t, "apt_key", "{id: "+testKeyID+", data: KEY}"), f, familyEnv("Debian")); !res.Failed || !strings.Contains(res.Msg, "failed to add the key") {
		t.Errorf("key not added: %+v", res)
	}
	f = hosttest.New().On(`bin:\$b`, host.Result{Stdout: "bin:gpg=1\n" + probeOutput(fakeProbe{"keys", "", 127})})
	if res := apply(t, newModule(t, "apt_key", "{id: "+testKeyID+", data: KEY}"), f, familyEnv("Debian")); !res.Failed || !strings.Contains(res.Msg, `"apt-key"`) || len(f.Calls) != 1 {
		t.Errorf("no apt-key: %+v", res)
	}
	f = hosttest.New().On(`bin:\$b`, host.Result{Stdout: "bin:apt-key=1\nbin:gpg=1\n" + probeOutput(fakeProbe{"keys", "", 0}, fakeProbe{"key", "gpg: no valid OpenPGP data found.", 2})})
	if res := apply(t, newModule(t, "apt_key", "{data: garbage}"), f, familyEnv("Debian")); !res.Failed || !strings.Contains(res.Msg, "Unable to extract key from 'inline data': gpg: no valid OpenPGP data found.") {
		t.Errorf("bad data: %+v", res)
	}

	_, err := newModuleErr("apt_key", "{id: 123, url: 'file:///k', data: x, state: gone}")
	for _, want := range []string{`id "123"`, "data and url are mutually exclusive", `url "file:///k"`, "state must be"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	for args, want := range map[string]string{"{keyserver: k.example}": "keyserver needs id", "{state: absent}": "id is required", "{id: 'xyz12345'}": "not a hexadecimal"} {
		if _, err := newModuleErr("apt_key", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}

// TestAptKeyOnSSHD adds the test key to a keyring of its own through a real
// sshd, with apt-key and gpg, from a file, inline data and a URL (an HTTP
// server of the test), and removes it, each twice (changed, then ok), and
// compares every result and the keyrings with ansible-core's apt_key doing
// the same to a twin keyring.
func TestAptKeyOnSSHD(t *testing.T) {
	key, keyURL := keyServer(t, "apt-key", "gpg")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.asc")
	if err := os.WriteFile(keyFile, key, 0o644); err != nil {
		t.Fatal(err)
	}
	h := sshdExec(t)
	steps := []struct {
		name string
		args map[string]any
	}{
		{"file", map[string]any{"file": keyFile}},
		{"data", map[string]any{"data": string(key)}},
		{"url", map[string]any{"url": keyURL, "id": testKeyFpr}},
		{"absent", map[string]any{"id": testKeyID, "state": "absent"}},
		{"absent_short", map[string]any{"id": "C380285B", "state": "absent"}},
	}
	ring := func(who, step string) string { return filepath.Join(dir, who+"-"+step+".gpg") }
	var tasks []ansibleTask
	for _, s := range steps {
		for range 2 {
			tasks = append(tasks, ansibleTask{"apt_key", with(s.args, "keyring", ring("ansible", s.name))})
		}
	}
	// absent starts from a keyring holding the key.
	for _, who := range []string{"ansible", "lvslab"} {
		for _, s := range []string{"absent", "absent_short"} {
			if out, err := exec.Command("apt-key", "--keyring", ring(who, s), "add", keyFile).CombinedOutput(); err != nil {
				t.Fatalf("apt-key add: %v %s", err, out)
			}
		}
	}
	oracle := ansibleRun(t, false, tasks...)
	ctx := context.Background()
	for i, s := range steps {
		args := with(s.args, "keyring", ring("lvslab", s.name))
		env := testEnv(debian12, nil)
		env.Check = true
		if res, err := newModule(t, "apt_key", argsYAML(t, args)).Apply(ctx, h, env); err != nil || res.Failed || !res.Changed {
			t.Errorf("%s in check mode: %v %+v", s.name, err, res)
		}
		for run := range 2 {
			res, got := applyOn(t, newModule(t, "apt_key", argsYAML(t, args)), h, false)
			want := oracle[2*i+run]
			if res.Changed != (want["changed"] == true) || res.Failed != (want["failed"] == true) {
				t.Errorf("%s run %d: changed %v failed %v (%s); ansible %v %v %v", s.name, run+1, res.Changed, res.Failed, res.Msg, want["changed"], want["failed"], want["msg"])
			}
			sameKeys(t, s.name, got, renamed(t, want, ring("ansible", s.name), ring("lvslab", s.name)), "changed", "failed", "msg")
		}
		if a, b := gpgKeys(t, ring("lvslab", s.name)), gpgKeys(t, ring("ansible", s.name)); a != b {
			t.Errorf("%s: keyring holds %q, ansible's %q", s.name, a, b)
		}
	}
}

// keyServer skips the test unless real sshd servers can run and the
// programs are here, and returns the test key and its URL on an HTTP
// server of the test.
func keyServer(t *testing.T, programs ...string) ([]byte, string) {
	t.Helper()
	sshtest.Require(t)
	for _, b := range programs {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("no %s on this machine", b)
		}
	}
	key, err := os.ReadFile("testdata/apt_key/lvslab-test.asc")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/key.asc" {
			http.NotFound(w, r)
			return
		}
		w.Write(key)
	}))
	t.Cleanup(srv.Close)
	return key, srv.URL + "/key.asc"
}

// with returns a copy of m with k set to v.
func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

// gpgKeys lists the fingerprints of a keyring.
func gpgKeys(t *testing.T, ring string) string {
	t.Helper()
	out, err := exec.Command("gpg", "--batch", "--no-options", "--homedir", t.TempDir(), "--no-default-keyring", "--keyring", ring, "--with-colons", "--list-keys").Output()
	if err != nil {
		return "<error " + err.Error() + ">"
	}
	var fprs []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "fpr:") {
			fprs = append(fprs, strings.Split(l, ":")[9])
		}
	}
	return strings.Join(fprs, " ")
}
