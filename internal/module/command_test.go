package module

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestCommandFreeFormQuotesEveryWord(t *testing.T) {
	f := hosttest.New().On(`^echo`, host.Result{Stdout: "hello world $HOME\n\n", Stderr: "warn\n"})
	m := newModule(t, "command", `echo "hello world" '$HOME' a|b`)
	res := apply(t, m, f, testEnv(debian12, nil))
	if !res.Changed || res.Failed || res.Skipped {
		t.Fatalf("res = %+v", res)
	}
	if got := res.Data["stdout"]; got != "hello world $HOME\n" {
		t.Errorf("stdout = %q (one trailing newline trimmed)", got)
	}
	if got := res.Data["stderr"]; got != "warn" {
		t.Errorf("stderr = %q", got)
	}
	if got := res.Data["stdout_lines"]; !reflect.DeepEqual(got, []string{"hello world $HOME", ""}) {
		t.Errorf("stdout_lines = %q", got)
	}
	if got := res.Data["cmd"]; !reflect.DeepEqual(got, []any{"echo", "hello world", "$HOME", "a|b"}) {
		t.Errorf("cmd = %v", got)
	}
	goldenShell(t, "core/command_freeform", f.Commands(), false)
}

func TestCommandArgvAndOptions(t *testing.T) {
	f := hosttest.New()
	m := newModule(t, "command", "argv: [ls, -l, 'my dir']\nchdir: /srv/www\ncreates: /etc/*.conf\nremoves: /tmp/x y\nstdin: data")
	res := apply(t, m, f, testEnv(debian12, nil))
	if !res.Changed {
		t.Fatalf("res = %+v", res)
	}
	if got := f.Stdins[0]; got != "data\n" {
		t.Errorf("stdin = %q", got)
	}
	goldenShell(t, "core/command_argv_options", f.Commands(), false)
}

func TestCommandFreeFormOptions(t *testing.T) {
	w, err := newModule(t, "command", "chdir=/tmp creates=/var/done make install").(*Command).want()
	if err != nil || w.opts.Chdir != "/tmp" || w.opts.Creates != "/var/done" || !reflect.DeepEqual(w.argv, []string{"make", "install"}) {
		t.Fatalf("got %+v, %v", w, err)
	}
}

func TestCommandCreatesSkips(t *testing.T) {
	f := hosttest.New().On(`for f in`, host.Result{Stdout: skipCreates + "\n"})
	res := apply(t, newModule(t, "command", "cmd: touch /x\ncreates: /x"), f, testEnv(debian12, nil))
	if res.Changed || !res.Skipped || res.Msg != "skipped, since /x exists" {
		t.Fatalf("res = %+v", res)
	}
	f = hosttest.New().On(`found=`, host.Result{Stdout: skipRemoves + "\n"})
	res = apply(t, newModule(t, "command", "cmd: rm /x\nremoves: /x"), f, testEnv(debian12, nil))
	if res.Changed || !res.Skipped || res.Msg != "skipped, since /x does not exist" {
		t.Fatalf("res = %+v", res)
	}
}

func TestCommandNonZeroFails(t *testing.T) {
	f := hosttest.New().On(`false`, host.Result{ExitCode: 3, Stderr: "boom\n"})
	res := apply(t, newModule(t, "command", "false"), f, testEnv(debian12, nil))
	if !res.Failed || res.Msg != "non-zero return code" || res.Data["rc"] != 3 || res.Data["stderr"] != "boom" || !res.Changed {
		t.Fatalf("res = %+v", res)
	}
}

func TestCommandCheckMode(t *testing.T) {
	env := testEnv(debian12, nil)
	env.Check = true
	f := hosttest.New()
	res := apply(t, newModule(t, "command", "rm -rf /var/lib/x"), f, env)
	if !res.Skipped || res.Changed || res.Msg != "skipped in check mode" || len(f.Commands()) != 0 {
		t.Fatalf("res = %+v, calls %q", res, f.Commands())
	}
	// With creates it probes (read-only) and says whether it would run.
	f = hosttest.New().On(`would-run`, host.Result{Stdout: wouldRun + "\n"})
	res = apply(t, newModule(t, "shell", "cmd: make install\ncreates: /usr/local/bin/x"), f, env)
	if !res.Changed || res.Skipped {
		t.Fatalf("res = %+v", res)
	}
	for _, c := range f.Commands() {
		if strings.Contains(c, "make install") {
			t.Errorf("check mode ran the command: %q", c)
		}
	}
	goldenShell(t, "core/command_check_creates", f.Commands(), false)
}

func TestShellRunsWithExecutable(t *testing.T) {
	f := hosttest.New()
	apply(t, newModule(t, "shell", "ip -o addr | grep 'eth0' > /tmp/$USER"), f, testEnv(debian12, nil))
	apply(t, newModule(t, "shell", "cmd: echo $BASH_VERSION\nexecutable: /bin/bash\nchdir: /tmp"), f, testEnv(debian12, nil))
	goldenShell(t, "core/shell", f.Commands(), false)
}

func TestCommandValidation(t *testing.T) {
	for args, want := range map[string]string{
		"chdir: /tmp":         "no command given",
		"cmd: ls\nargv: [ls]": "not both",
		"echo 'unterminated":  "unterminated '",
		"cmd: ls\nbogus: 1":   `unknown key "bogus"`,
		"creates=/x":          "no command given",
	} {
		if _, err := newModuleErr("command", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", args, err, want)
		}
	}
	if _, err := newModuleErr("shell", "chdir: /tmp"); err == nil {
		t.Error("shell without a command validated")
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`a b  c`:            {"a", "b", "c"},
		`a "b c" 'd e'`:     {"a", "b c", "d e"},
		`a\ b "x\"y" 'p\q'`: {"a b", `x"y`, `p\q`},
		`"" x`:              {"", "x"},
		`pre"mid"post`:      {"premidpost"},
	} {
		got, err := host.SplitWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestCommandLocal(t *testing.T) {
	dir := t.TempDir()
	l := &localExec{}
	env := testEnv(debian12, nil)
	res := apply(t, newModule(t, "command", "cmd: touch made\nchdir: "+dir+"\ncreates: "+dir+"/ma*"), l, env)
	if !res.Changed || res.Skipped || res.Failed {
		t.Fatalf("first run: %+v", res)
	}
	res = apply(t, newModule(t, "command", "cmd: touch made\nchdir: "+dir+"\ncreates: "+dir+"/ma*"), l, env)
	if res.Changed || !res.Skipped {
		t.Fatalf("second run: %+v", res)
	}
	res = apply(t, newModule(t, "shell", "cmd: cat; echo $((1+2)) | tr 3 x\nstdin: in"), l, env)
	if res.Data["stdout"] != "in\nx" {
		t.Fatalf("shell: %+v", res)
	}
	res = apply(t, newModule(t, "command", "echo $((1+2)) |"), l, env)
	if res.Data["stdout"] != "$((1+2)) |" {
		t.Fatalf("command interpreted shell syntax: %+v", res)
	}
	_, err := newModule(t, "command", "sleep 5").Apply(canceled(), l, env)
	if err == nil {
		t.Fatal("cancelled context: no error")
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
