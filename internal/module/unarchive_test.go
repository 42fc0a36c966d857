package module

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

// testArchive returns a tar.gz (or zip) of site/index.html and site/css/a.css.
func testArchive(t *testing.T, kind string) string {
	t.Helper()
	members := []struct{ name, body string }{{"site/index.html", "<h1>hi</h1>\n"}, {"site/css/a.css", "h1{}\n"}}
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var buf bytes.Buffer
	if kind == "zip" {
		z := zip.NewWriter(&buf)
		for _, m := range members {
			w, _ := z.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: mtime})
			w.Write([]byte(m.body))
		}
		z.Close()
		return buf.String()
	}
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, d := range []string{"site/", "site/css/"} {
		tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime})
	}
	for _, m := range members {
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), ModTime: mtime})
		tw.Write([]byte(m.body))
	}
	tw.Close()
	gz.Close()
	return buf.String()
}

func TestUnarchiveFake(t *testing.T) {
	st := "dest=dir\nst=41ed 0 0 4096 1 1 1 1 1 2 8 4096 0 root root\nkind=TgzArchive\nopt=-z\n" + probeOutput(fakeProbe{"list", "site/\nsite/index.html", 0})
	args := "src: /srv/site.tgz\ndest: /var/www\nremote_src: true\nlist_files: true\nextra_opts: [--strip-components=1]"
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := hosttest.New().On(`^a=`, host.Result{Stdout: st + probeOutput(fakeProbe{"diff", "site/x: Contents differ", 1})})
		if res := apply(t, newModule(t, "unarchive", args), f, env); res.Changed || len(f.Calls) != 1 || !check && (res.Data["handler"] != "TgzArchive" || len(res.Data["files"].([]string)) != 2) {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		f = hosttest.New().On(`^a=`, host.Result{Stdout: st + probeOutput(fakeProbe{"diff", "site/x: Mod time differs", 1})})
		res := apply(t, newModule(t, "unarchive", args+"\nmode: '0755'"), f, env)
		if res.Changed != !check || res.Skipped != check || len(f.Calls) != map[bool]int{false: 2, true: 1}[check] {
			t.Errorf("unpack, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/unarchive", f.Calls, true)
		}
	}
	for out, msg := range map[string]string{"creates=1\n": "skipped, since /var/www/site exists", "src=missing\n": "Source '/srv/site.tgz' does not exist",
		"src=empty\n": "Invalid archive '/srv/site.tgz', the file is 0 bytes", "": "dest '/var/www' must be an existing dir"} {
		f := hosttest.New().On(`^a=`, host.Result{Stdout: out})
		if res := apply(t, newModule(t, "unarchive", args+"\ncreates: /var/www/site"), f, testEnv(debian12, nil)); res.Msg != msg || len(f.Calls) != 1 {
			t.Errorf("%q: %+v", out, res)
		}
	}
	_, err := newModuleErr("unarchive", "{src: 'https://x/y.tgz'}")
	for _, want := range []string{"dest is required", "not supported"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}

// TestUnarchiveOnSSHD compares unarchive through a real sshd (a tar.gz and
// a zip from the controller, one already on the host, creates) with
// Ansible's unarchive of the same archives.
func TestUnarchiveOnSSHD(t *testing.T) {
	t.Parallel()
	files := map[string]string{"site.tgz": testArchive(t, "tgz"), "site.zip": testArchive(t, "zip"), "out/.keep": ""}
	arg := func(src string, extra map[string]any) func(string) map[string]any {
		return func(dir string) map[string]any {
			m := map[string]any{"src": filepath.Join(dir, src), "dest": filepath.Join(dir, "out")}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
	}
	skip := []string{"src", "extract_results", "size", "exception"}
	compareWithAnsible(t, "unarchive", []oracleCase{
		{name: "tgz", files: files, args: arg("site.tgz", map[string]any{"list_files": true}), skip: skip},
		{name: "zip", files: files, args: arg("site.zip", nil), skip: skip},
		{name: "remote tgz", files: files, args: arg("site.tgz", map[string]any{"remote_src": true, "extra_opts": []string{"--strip-components=1"}}), skip: skip},
		{name: "creates", files: files, args: arg("site.tgz", map[string]any{"creates": "/etc"}), skip: skip},
		{name: "no dest", files: map[string]string{"site.tgz": files["site.tgz"]}, args: arg("site.tgz", nil), skip: skip},
	})
}
