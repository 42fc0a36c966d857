package module

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lvslab/internal/golden"
	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

const newText = "new content\n"

func TestCopyConvergedIsOneRoundTrip(t *testing.T) {
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/motd", newText, 0644, "0", "root", false))
	res := apply(t, newModule(t, "copy", "content: |\n  new content\ndest: /etc/motd\nmode: '0644'\nowner: root"), f, testEnv(debian12, nil))
	if res.Changed || res.Failed {
		t.Fatalf("res = %+v", res)
	}
	if n := len(f.Commands()); n != 1 {
		t.Fatalf("%d calls, want 1: %q", n, f.Commands())
	}
	goldenShell(t, "core/copy_converged", f.Commands(), false)
}

func TestCopyDriftedUploadsKeepingModeAndOwner(t *testing.T) {
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/motd", "old\n", 0600, "33", "www-data", false))
	res := apply(t, newModule(t, "copy", "content: |\n  new content\ndest: /etc/motd"), f, testEnv(debian12, nil))
	if !res.Changed || res.Failed {
		t.Fatalf("res = %+v", res)
	}
	got := f.Files["/etc/motd"]
	if string(got.Data) != newText || got.Mode != 0600 || got.Owner != "33" || got.Group != "33" {
		t.Fatalf("uploaded %+v", got)
	}
	if want := []string{"upload /etc/motd"}; strings.Join(uploads(f.Commands()), ",") != want[0] {
		t.Fatalf("calls %q", f.Commands())
	}
}

func TestCopyNewFileGetsGivenMode(t *testing.T) {
	f := hosttest.New().On(`^d=`, absentAnswer("/usr/local/bin/tool"))
	res := apply(t, newModule(t, "copy", "content: x\ndest: /usr/local/bin/tool\nmode: 04755\nowner: root\ngroup: staff"), f, testEnv(debian12, nil))
	if !res.Changed {
		t.Fatalf("res = %+v", res)
	}
	got := f.Files["/usr/local/bin/tool"]
	if got.Mode != (OctalMode{Bits: 04755, Set: true}).FileMode() || got.Owner != "root" || got.Group != "staff" {
		t.Fatalf("uploaded %+v", got)
	}
	f = hosttest.New().On(`^d=`, absentAnswer("/etc/x"))
	apply(t, newModule(t, "copy", "content: x\ndest: /etc/x"), f, testEnv(debian12, nil))
	if got := f.Files["/etc/x"]; got.Mode != 0644 || got.Owner != "" {
		t.Fatalf("default attrs %+v", got)
	}
}

func TestCopyAttributesOnly(t *testing.T) {
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/motd", newText, 0600, "0", "root", false))
	res := apply(t, newModule(t, "copy", "content: |\n  new content\ndest: /etc/motd\nmode: 0644\nowner: www-data\ngroup: '0'"), f, testEnv(debian12, nil))
	if !res.Changed || len(uploads(f.Commands())) != 0 {
		t.Fatalf("res = %+v calls %q", res, f.Commands())
	}
	goldenShell(t, "core/copy_attrs", f.Commands(), false)
}

func TestCopyCheckModeAndDiff(t *testing.T) {
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/motd", "old\n", 0644, "0", "root", true))
	env := testEnv(debian12, nil)
	env.Check, env.Diff = true, true
	res := apply(t, newModule(t, "copy", "content: |\n  new content\ndest: /etc/motd\nmode: 0600\nbackup: true\nvalidate: 'true %s'"), f, env)
	if !res.Changed {
		t.Fatalf("res = %+v", res)
	}
	if len(f.Commands()) != 1 {
		t.Fatalf("check mode ran more than the probe: %q", f.Commands())
	}
	if len(res.Diff) != 1 || res.Diff[0].Before != "old\n" || res.Diff[0].After != newText || res.Diff[0].Path != "/etc/motd" {
		t.Fatalf("diff = %+v", res.Diff)
	}
	goldenShell(t, "core/copy_check_diff", f.Commands(), false)
}

func TestCopyValidateFailureLeavesDest(t *testing.T) {
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/sudoers", "old\n", 0440, "0", "root", false)).
		On(`visudo`, host.Result{ExitCode: 1, Stderr: "syntax error near line 1\n"})
	res := apply(t, newModule(t, "copy", "content: bad\ndest: /etc/sudoers\nvalidate: visudo -cf %s\nbackup: true"), f, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "syntax error near line 1") || !strings.Contains(res.Msg, "failed to validate") {
		t.Fatalf("res = %+v", res)
	}
	if _, ok := f.Files["/etc/sudoers"]; ok {
		t.Fatal("dest was uploaded over")
	}
	if got := uploads(f.Commands()); len(got) != 1 || got[0] != "upload /etc/.lvslab-TMP-sudoers" {
		t.Fatalf("uploads %q", got)
	}
	goldenShell(t, "core/copy_validate", f.Commands(), false)
}

func TestCopyValidateAndBackupLocal(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.conf")
	os.WriteFile(dest, []byte("old\n"), 0640)
	l := &localExec{}
	env := testEnv(debian12, nil)
	bad := newModule(t, "copy", "content: \"bad\\n\"\ndest: "+dest+"\nvalidate: grep -q good %s\nbackup: true")
	res := apply(t, bad, l, env)
	if !res.Failed {
		t.Fatalf("validate passed: %+v", res)
	}
	if b, _ := os.ReadFile(dest); string(b) != "old\n" {
		t.Fatalf("dest changed to %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left files behind: %v", ents)
	}
	good := newModule(t, "copy", "content: \"good\\n\"\ndest: "+dest+"\nvalidate: grep -q good %s\nbackup: true")
	res = apply(t, good, l, env)
	if !res.Changed || res.Failed {
		t.Fatalf("res = %+v", res)
	}
	if b, _ := os.ReadFile(dest); string(b) != "good\n" {
		t.Fatalf("dest = %q", b)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0640 {
		t.Fatalf("mode not kept: %v", fi.Mode())
	}
	backup, _ := res.Data["backup_file"].(string)
	if !regexp.MustCompile(`app\.conf\.\d{14}~$`).MatchString(backup) {
		t.Fatalf("backup_file = %q", backup)
	}
	if b, _ := os.ReadFile(backup); string(b) != "old\n" {
		t.Fatalf("backup holds %q", b)
	}
	l.calls = nil
	res = apply(t, good, l, env)
	if res.Changed || len(l.calls) != 1 {
		t.Fatalf("second run: %+v, calls %q", res, l.calls)
	}
}

func TestCopySrcIntoDirectoryLocal(t *testing.T) {
	dir := t.TempDir()
	l := &localExec{}
	env := testEnv(debian12, nil)
	env.Diff = true
	res := apply(t, newModule(t, "copy", "src: motd\ndest: "+dir+"/\nmode: '0600'"), l, env)
	if !res.Changed || res.Data["dest"] != dir+"/motd" {
		t.Fatalf("res = %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "motd")); string(b) != "hello from files/\n" {
		t.Fatalf("content %q", b)
	}
	if len(res.Diff) != 1 || res.Diff[0].Before != "" || res.Diff[0].After != "hello from files/\n" {
		t.Fatalf("diff %+v", res.Diff)
	}
	res = apply(t, newModule(t, "copy", "src: motd\ndest: "+dir+"\nmode: '0600'"), l, env)
	if res.Changed {
		t.Fatalf("second run changed: %+v", res)
	}
	// A missing directory is a clear failure, a directory dest with content too.
	res = apply(t, newModule(t, "copy", "content: x\ndest: "+dir+"/nope/x"), l, env)
	if !res.Failed || !strings.Contains(res.Msg, "does not exist") {
		t.Fatalf("missing dir: %+v", res)
	}
	res = apply(t, newModule(t, "copy", "content: x\ndest: "+dir), l, env)
	if !res.Failed || !strings.Contains(res.Msg, "is a directory") {
		t.Fatalf("directory dest: %+v", res)
	}
}

func TestCopyForceFalse(t *testing.T) {
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/motd", "old\n", 0644, "0", "root", false))
	res := apply(t, newModule(t, "copy", "content: new\ndest: /etc/motd\nforce: false"), f, testEnv(debian12, nil))
	if res.Changed || len(f.Commands()) != 1 {
		t.Fatalf("res = %+v calls %q", res, f.Commands())
	}
}

func TestCopyErrors(t *testing.T) {
	for args, want := range map[string]string{
		"dest: /x":                            "src or content is required",
		"src: a\ncontent: b\ndest: /x":        "not both",
		"content: b":                          "dest is required",
		"content: b\ndest: /x\nvalidate: foo": "%s",
		"content: b\ndest: /x\nmode: 0999":    "octal mode",
		"content: b\ndest: /x\nmode: u+x":     "octal mode",
	} {
		if _, err := newModuleErr("copy", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", args, err, want)
		}
	}
	_, err := newModule(t, "copy", "src: nothere\ndest: /x").Apply(t.Context(), hosttest.New(), testEnv(debian12, nil))
	if err == nil || !strings.Contains(err.Error(), `source "nothere" not found`) {
		t.Fatalf("err = %v", err)
	}
}

func TestTemplateRendersFromTemplatesDir(t *testing.T) {
	f := hosttest.New().On(`^d=`, absentAnswer("/etc/nginx/conf.d/site.conf"))
	env := testEnv(debian12, map[string]any{"port": 80, "inventory_hostname": "rs01", "root": "/app/website1"})
	res := apply(t, newModule(t, "template", "src: site.conf.tmpl\ndest: /etc/nginx/conf.d/site.conf"), f, env)
	if !res.Changed {
		t.Fatalf("res = %+v", res)
	}
	golden.Check(t, "testdata/core/template_site.conf.golden", f.Files["/etc/nginx/conf.d/site.conf"].Data)
	// Converged: one probe, no upload.
	g := hosttest.New().On(`^d=`, probeAnswer("/etc/nginx/conf.d/site.conf", string(f.Files["/etc/nginx/conf.d/site.conf"].Data), 0644, "0", "root", false))
	res = apply(t, newModule(t, "template", "src: site.conf.tmpl\ndest: /etc/nginx/conf.d/site.conf"), g, env)
	if res.Changed || len(g.Commands()) != 1 {
		t.Fatalf("converged: %+v %q", res, g.Commands())
	}
	// An undefined variable is an error naming it.
	_, err := newModule(t, "template", "src: site.conf.tmpl\ndest: /x").Apply(t.Context(), hosttest.New(), testEnv(debian12, nil))
	if err == nil || !strings.Contains(err.Error(), "port") {
		t.Fatalf("err = %v", err)
	}
}

func TestOctalMode(t *testing.T) {
	for in, want := range map[string]uint32{"0644": 0644, "644": 0644, "0o755": 0755, "1777": 01777, "0": 0, "00": 0} {
		m, err := ParseOctalMode(in)
		if err != nil || m.Bits != want || !m.Set {
			t.Errorf("%q: %+v %v", in, m, err)
		}
	}
	for _, in := range []string{"0999", "17777", "rw", "-1"} {
		if _, err := ParseOctalMode(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestCopyCheckModeMissingDirectoryIsAChange(t *testing.T) {
	f := hosttest.New().On(`^d=`, host.Result{Stdout: "path=/app/website1/index.php\nnodir=1\n"})
	env := testEnv(debian12, nil)
	env.Check = true
	res := apply(t, newModule(t, "copy", "content: x\ndest: /app/website1/index.php"), f, env)
	if !res.Changed || res.Failed || len(f.Commands()) != 1 {
		t.Fatalf("res %+v", res)
	}
	env.Check = false
	res = apply(t, newModule(t, "copy", "content: x\ndest: /app/website1/index.php"), f, env)
	if !res.Failed || res.Msg != "destination directory /app/website1 does not exist" {
		t.Fatalf("res %+v", res)
	}
}
