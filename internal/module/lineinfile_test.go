package module

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestLineInFileEdit(t *testing.T) {
	const conf = "# c\nlisten = 127.0.0.1:9000\nuser = nobody\n"
	cases := []struct {
		name, args, in, want string
	}{
		{"replace last match", "line: listen = /run/php.sock\nregexp: '^listen ='", conf, "# c\nlisten = /run/php.sock\nuser = nobody\n"},
		{"already there", "line: user = nobody\nregexp: '^user'", conf, conf},
		{"append at EOF", "line: group = www", conf, conf + "group = www\n"},
		{"append after unterminated", "line: b", "a", "a\nb\n"},
		{"exact line present, regexp misses", "line: user = nobody\nregexp: '^xx'", conf, conf},
		{"insertafter", "line: group = www\ninsertafter: '^listen'", conf, "# c\nlisten = 127.0.0.1:9000\ngroup = www\nuser = nobody\n"},
		{"insertafter no match goes to EOF", "line: g\ninsertafter: '^zz'", conf, conf + "g\n"},
		{"insertbefore", "line: ; top\ninsertbefore: '^user'", conf, "# c\nlisten = 127.0.0.1:9000\n; top\nuser = nobody\n"},
		{"insertbefore BOF", "line: first\ninsertbefore: BOF", conf, "first\n" + conf},
		{"backrefs", "line: 'listen = \\1:8000'\nregexp: '^listen = ([0-9.]+):\\d+'\nbackrefs: true", conf, "# c\nlisten = 127.0.0.1:8000\nuser = nobody\n"},
		{"backrefs no match leaves file", "line: 'x \\1'\nregexp: '^nothing(.*)'\nbackrefs: true", conf, conf},
		{"absent by regexp", "regexp: '^(listen|user)'\nstate: absent", conf, "# c\n"},
		{"absent by line", "line: user = nobody\nstate: absent", conf, "# c\nlisten = 127.0.0.1:9000\n"},
		{"crlf kept", "line: b = 2\nregexp: '^b'", "a = 1\r\nb = 1\r\n", "a = 1\r\nb = 2\r\n"},
		{"empty file", "line: x", "", "x\n"},
		{"firstmatch", "line: x = 9\nregexp: '^x'\nfirstmatch: true", "x = 1\nx = 2\n", "x = 9\nx = 2\n"},
		{"last match by default", "line: x = 9\nregexp: '^x'", "x = 1\nx = 2\n", "x = 1\nx = 9\n"},
	}
	for _, c := range cases {
		w, err := newModule(t, "lineinfile", "path: /f\n"+c.args).(*LineInFile).want()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := w.edit(c.in)
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestLineInFileOneRoundTripWhenConverged(t *testing.T) {
	const conf = "net.ipv4.ip_forward = 1\n"
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/sysctl.conf", conf, 0644, "0", "root", true))
	res := apply(t, newModule(t, "lineinfile", "path: /etc/sysctl.conf\nline: net.ipv4.ip_forward = 1\nregexp: '^net.ipv4.ip_forward'"), f, testEnv(debian12, nil))
	if res.Changed || len(f.Commands()) != 1 {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	goldenShell(t, "core/lineinfile_converged", f.Commands(), false)
}

func TestLineInFileDriftCheckDiff(t *testing.T) {
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/hosts", "127.0.0.1 localhost\n", 0644, "0", "root", true))
	env := testEnv(debian12, nil)
	env.Check, env.Diff = true, true
	res := apply(t, newModule(t, "lineinfile", "path: /etc/hosts\nline: 172.17.1.6 vip"), f, env)
	if !res.Changed || res.Msg != "line added" || len(uploads(f.Commands())) != 0 {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	if len(res.Diff) != 1 || res.Diff[0].After != "127.0.0.1 localhost\n172.17.1.6 vip\n" {
		t.Fatalf("diff %+v", res.Diff)
	}
	env.Check = false
	res = apply(t, newModule(t, "lineinfile", "path: /etc/hosts\nline: 172.17.1.6 vip"), f, env)
	if !res.Changed || string(f.Files["/etc/hosts"].Data) != "127.0.0.1 localhost\n172.17.1.6 vip\n" {
		t.Fatalf("res %+v files %v", res, f.Files)
	}
}

func TestLineInFileMissingFile(t *testing.T) {
	f := hosttest.New().On(`^d=`, absentAnswer("/etc/x.conf"))
	res := apply(t, newModule(t, "lineinfile", "path: /etc/x.conf\nline: a"), f, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "does not exist") {
		t.Fatalf("res %+v", res)
	}
	res = apply(t, newModule(t, "lineinfile", "path: /etc/x.conf\nline: a\nstate: absent"), f, testEnv(debian12, nil))
	if res.Changed || res.Failed {
		t.Fatalf("absent on missing: %+v", res)
	}
	res = apply(t, newModule(t, "lineinfile", "path: /etc/x.conf\nline: a\ncreate: true\nmode: '0600'"), f, testEnv(debian12, nil))
	if !res.Changed || string(f.Files["/etc/x.conf"].Data) != "a\n" || f.Files["/etc/x.conf"].Mode != 0600 {
		t.Fatalf("create: %+v %+v", res, f.Files["/etc/x.conf"])
	}
}

func TestLineInFileValidateFailure(t *testing.T) {
	f := hosttest.New().On(`^d=`, probeAnswer("/etc/ssh/sshd_config", "Port 22\n", 0644, "0", "root", true)).
		On(`sshd -t`, host.Result{ExitCode: 255, Stderr: "Bad configuration option\n"})
	res := apply(t, newModule(t, "lineinfile", "path: /etc/ssh/sshd_config\nline: Bogus yes\nvalidate: sshd -t -f %s"), f, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "Bad configuration option") {
		t.Fatalf("res %+v", res)
	}
	if _, ok := f.Files["/etc/ssh/sshd_config"]; ok {
		t.Fatal("dest uploaded over")
	}
}

func TestLineInFileLocal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "php.ini")
	os.WriteFile(p, []byte(";x\nmemory_limit = 128M\n"), 0640)
	l := &localExec{}
	args := "path: " + p + "\nregexp: '^memory_limit'\nline: memory_limit = 256M\nbackup: true"
	res := apply(t, newModule(t, "lineinfile", args), l, testEnv(debian12, nil))
	if !res.Changed || res.Msg != "line replaced" {
		t.Fatalf("res %+v", res)
	}
	if b, _ := os.ReadFile(p); string(b) != ";x\nmemory_limit = 256M\n" {
		t.Fatalf("content %q", b)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0640 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if b, _ := os.ReadFile(res.Data["backup_file"].(string)); string(b) != ";x\nmemory_limit = 128M\n" {
		t.Fatalf("backup %q", b)
	}
	l.calls = nil
	res = apply(t, newModule(t, "lineinfile", args), l, testEnv(debian12, nil))
	if res.Changed || len(l.calls) != 1 {
		t.Fatalf("converged: %+v %q", res, l.calls)
	}
}

func TestLineInFileValidation(t *testing.T) {
	for args, want := range map[string]string{
		"line: x":                           "path is required",
		"path: /f\nregexp: '('":             "regexp",
		"path: /f\nstate: absent":           "needs regexp or line",
		"path: /f\nline: x\nbackrefs: true": "backrefs needs regexp",
		"path: /f\nline: x\ninsertafter: a\ninsertbefore: b": "not both",
		"path: /f\nline: x\nstate: gone":                     `state "gone"`,
	} {
		if _, err := newModuleErr("lineinfile", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", args, err, want)
		}
	}
}

func TestLineInFileFollowsSymlinkLocal(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sites-available-default")
	link := filepath.Join(dir, "default")
	os.WriteFile(target, []byte("server {}\n"), 0644)
	os.Symlink(target, link)
	res := apply(t, newModule(t, "lineinfile", "path: "+link+"\nline: '# managed'\ninsertbefore: BOF"), &localExec{}, testEnv(debian12, nil))
	if !res.Changed || res.Failed {
		t.Fatalf("res %+v", res)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("link replaced by a file")
	}
	if b, _ := os.ReadFile(target); string(b) != "# managed\nserver {}\n" {
		t.Fatalf("target %q", b)
	}
}
