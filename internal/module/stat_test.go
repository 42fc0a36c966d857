package module

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestStatFake(t *testing.T) {
	out := "st=81a4 0 0 3 1.5 1700000000.250000000 2.0 611 65024 1 8 4096 0 root root\nr=1\nw=1\n" +
		"sum=52390946c590e974a358c25d40f09b566cf314be  -\nmime=/etc/hostname: text/plain; charset=us-ascii\n" +
		"lsattr=0          --------------e------- /etc/hostname\n"
	for _, check := range []bool{false, true} {
		f := hosttest.New().On(`^p=`, host.Result{Stdout: out})
		env := testEnv(debian12, nil)
		env.Check = check
		res := apply(t, newModule(t, "stat", "path: /etc/hostname"), f, env)
		st := res.Data["stat"].(map[string]any)
		if res.Changed || len(f.Calls) != 1 || st["mode"] != "0644" || st["isreg"] != true || st["size"] != int64(3) ||
			st["mtime"] != 1700000000.25 || st["checksum"] != "52390946c590e974a358c25d40f09b566cf314be" ||
			st["pw_name"] != "root" || st["executable"] != false || st["mimetype"] != "text/plain" || st["charset"] != "us-ascii" ||
			st["attr_flags"] != "e" || st["attributes"].([]any)[0] != "extents" || st["version"] != "0" {
			t.Errorf("check=%v: %+v %q", check, st, f.Calls)
		}
		if !check {
			goldenShell(t, "core/stat", f.Calls, false)
		}
	}
	f := hosttest.New().On(`^p=`, host.Result{Stdout: "exists=0\n"})
	if res := apply(t, newModule(t, "stat", "path: /nope\nfollow: true\nget_checksum: false\nchecksum_algorithm: sha256"), f, testEnv(debian12, nil)); res.Changed || res.Failed ||
		len(res.Data["stat"].(map[string]any)) != 1 || res.Data["stat"].(map[string]any)["exists"] != false {
		t.Errorf("missing: %+v", res)
	}
	f = hosttest.New().On(`^p=`, host.Result{Stdout: "error=stat: cannot statx '/root/x': Permission denied\n"})
	if res := apply(t, newModule(t, "stat", "path: /root/x"), f, testEnv(debian12, nil)); !res.Failed || !strings.Contains(res.Msg, "Permission denied") {
		t.Errorf("unreadable: %+v", res)
	}
	f = hosttest.New().On(`^p=`, host.Result{Stdout: "st=a1ff 0 0 3 1 1 1 1 1 1 0 4096 0 UNKNOWN root\nsrc=/etc/x\ntarget=x\n"})
	st := apply(t, newModule(t, "stat", "path: /etc/l\nget_mime: false\nget_attributes: false"), f, testEnv(debian12, nil)).Data["stat"].(map[string]any)
	if st["islnk"] != true || st["lnk_source"] != "/etc/x" || st["lnk_target"] != "x" || st["mode"] != "0777" || st["pw_name"] != nil || st["mimetype"] != nil {
		t.Errorf("link: %+v", st)
	}
	_, err := newModuleErr("stat", "{checksum_algorithm: crc32}")
	if err == nil || !strings.Contains(err.Error(), "path is required") || !strings.Contains(err.Error(), `checksum_algorithm "crc32"`) {
		t.Errorf("validation: %v", err)
	}
}

// TestStatOnSSHD compares stat's registered values through a real sshd with
// Ansible's stat of the same paths: a file, a directory, a link (followed
// and not), a missing path, another checksum.
func TestStatOnSSHD(t *testing.T) {
	t.Parallel()
	h := sshdExec(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "f.conf")
	os.WriteFile(file, []byte("key = value\n"), 0o640)
	os.Symlink("f.conf", filepath.Join(dir, "link"))
	cases := []map[string]any{
		{"path": file},
		{"path": dir},
		{"path": filepath.Join(dir, "link")},
		{"path": filepath.Join(dir, "link"), "follow": true},
		{"path": filepath.Join(dir, "missing")},
		{"path": file, "checksum_algorithm": "sha256", "get_mime": false, "get_attributes": false},
	}
	var tasks []ansibleTask
	for _, c := range cases {
		tasks = append(tasks, ansibleTask{"stat", c})
	}
	oracle := ansibleRun(t, false, tasks...)
	for i, c := range cases {
		y := argsYAML(t, c)
		for _, check := range []bool{false, true} {
			res, got := applyOn(t, newModule(t, "stat", y), h, check)
			if res.Changed || res.Failed {
				t.Errorf("%v: %+v", c, res)
			}
			// atime moves as Ansible reads the file.
			gs, ws := got["stat"].(map[string]any), oracle[i]["stat"].(map[string]any)
			sameKeys(t, y, gs, ws, "atime")
		}
	}
}
