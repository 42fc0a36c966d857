package module

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"lvslab/internal/golden"
	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
	"lvslab/internal/tmpl"
)

// The helpers every module test uses: golden files, a module built from
// YAML as a task builds it, an Env, faked inspect output, and executors
// that run the generated shell on this machine.

func init() {
	tempName = func() string { return "TMP" }
	aptLockWait = 0
}

// goldenShell compares the commands an executor was sent, as shellLog
// renders them, with testdata/NAME.golden (go test -update rewrites it).
func goldenShell(t *testing.T, name string, calls []string, steps bool) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name+".golden"), []byte(shellLog(calls, steps)))
}

// shellLog renders the commands an executor was sent, for a golden file:
// one "$ " line each; with steps, each " && " step of a command goes on a
// continuation line (the inspect and apply scripts of ipvs, iptables,
// ip_address, route and http_check are read that way).
func shellLog(calls []string, steps bool) string {
	var b strings.Builder
	for _, c := range calls {
		c = strings.TrimRight(c, "\n")
		if steps {
			c = strings.ReplaceAll(c, " && ", " &&\n    ")
		}
		b.WriteString("$ " + c + "\n")
	}
	return b.String()
}

var debian12 = map[string]any{
	"os_family": "Debian", "distribution": "Debian", "distribution_version": "12",
	"distribution_major_version": "12", "pkg_mgr": "apt", "service_mgr": "systemd",
}

var rocky9 = map[string]any{
	"os_family": "RedHat", "distribution": "Rocky", "distribution_version": "9.4",
	"distribution_major_version": "9", "pkg_mgr": "dnf", "service_mgr": "systemd",
}

// testEnv returns an Env with the facts, and templates and expressions over vars.
func testEnv(facts map[string]any, vars map[string]any) *Env {
	if vars == nil {
		vars = map[string]any{}
	}
	vars["facts"] = facts
	return &Env{
		Host: "rs01", Facts: facts, Vars: vars, BaseDir: "testdata/core/play",
		Render: func(name, text string) (string, error) { return tmpl.Render(name, text, vars) },
		Eval:   func(src string) (any, error) { return tmpl.Eval("test", src, vars) },
		Cond:   func(src string) (bool, error) { return tmpl.EvalBool("test", src, vars) },
	}
}

// familyEnv returns an Env of a host whose only fact is its os_family.
func familyEnv(family string) *Env { return testEnv(map[string]any{"os_family": family}, nil) }

// yamlNode parses s.
func yamlNode(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

// newModule decodes a module from YAML args through the registry, as a task would.
func newModule(t *testing.T, name, args string) Module {
	t.Helper()
	m, err := newModuleErr(name, args)
	if err != nil {
		t.Fatalf("new %s: %v", name, err)
	}
	return m
}

func newModuleErr(name, args string) (Module, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(args), &doc); err != nil {
		return nil, err
	}
	var n *yaml.Node
	if len(doc.Content) > 0 {
		n = doc.Content[0]
	}
	return Default().New(name, n)
}

func apply(t *testing.T, m Module, h host.Executor, env *Env) Result {
	t.Helper()
	res, err := m.Apply(context.Background(), h, env)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

// fakeProbe is one probe's answer in a faked inspect output.
type fakeProbe struct {
	name, out string
	rc        int
}

// probeOutput is what an inspect command made of these probes prints.
func probeOutput(probes ...fakeProbe) string {
	var b strings.Builder
	for _, p := range probes {
		b.WriteString(probeMarker + p.name + "\n" + p.out + "\n" + probeMarker + "rc " + p.name + " " + strconv.Itoa(p.rc) + "\n")
	}
	return b.String()
}

// probeFake returns a fake whose inspect command (made of probes) prints stdout.
func probeFake(stdout string) *hosttest.Fake {
	return hosttest.New().On(probeMarker, host.Result{Stdout: stdout})
}

// probeAnswer fakes probeScript's output for a regular file.
func probeAnswer(path string, content string, mode uint32, uid, user string, withContent bool) host.Result {
	sum := sha256hex([]byte(content))
	out := fmt.Sprintf("path=%s\nstat=%o %s %s %s %s %d\nsha=%s\n", path, mode, uid, user, uid, user, len(content), sum)
	if withContent {
		out += contentMark + "\n" + content
	}
	return host.Result{Stdout: out}
}

func absentAnswer(path string) host.Result { return host.Result{Stdout: "path=" + path + "\n"} }

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%x", sum[:])
}

// uploads returns the upload calls.
func uploads(calls []string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, "upload ") {
			out = append(out, c)
		}
	}
	return out
}

// localExec runs commands with the local /bin/sh (inside network namespace
// ns, when set) and moves files on the local file system: the generated
// scripts are tested against real programs.
type localExec struct {
	ns    string
	calls []string
}

func (l *localExec) Run(ctx context.Context, cmd string, opts host.RunOpts) (host.Result, error) {
	l.calls = append(l.calls, cmd)
	argv := []string{"/bin/sh", "-c", cmd}
	if l.ns != "" {
		argv = append([]string{"ip", "netns", "exec", l.ns}, argv...)
	}
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr, c.Stdin = &out, &errb, opts.Stdin
	err := c.Run()
	res := host.Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.ExitCode = ee.ExitCode()
		return res, nil
	}
	return res, err
}

func (l *localExec) Upload(ctx context.Context, r io.Reader, dst string, opts host.FileOpts) error {
	l.calls = append(l.calls, "upload "+dst)
	f, err := os.CreateTemp(filepath.Dir(dst), ".up-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(opts.Mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if opts.Owner != "" || opts.Group != "" {
		spec := opts.Owner
		if opts.Group != "" {
			spec += ":" + opts.Group
		}
		if out, err := exec.Command("chown", spec, f.Name()).CombinedOutput(); err != nil {
			return fmt.Errorf("chown: %s", out)
		}
	}
	return os.Rename(f.Name(), dst)
}

func (l *localExec) Download(ctx context.Context, src string, w io.Writer, b host.Become) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func (l *localExec) Close() error { return nil }

// netnsExec returns an executor running in a throwaway network namespace
// of this machine (named modtest-..., never lvslab-..., which are the local
// lab's), or skips the test.
func netnsExec(t *testing.T, need ...string) *localExec {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	for _, bin := range append([]string{"ip"}, need...) {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	ns := fmt.Sprintf("modtest-%d-%s", os.Getpid(), strings.ReplaceAll(strings.ToLower(t.Name()), "/", "-"))
	if len(ns) > 60 {
		ns = ns[:60]
	}
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	return &localExec{ns: ns}
}

// counting counts the commands run through it.
type counting struct {
	host.Executor
	n int
}

func (c *counting) Run(ctx context.Context, cmd string, o host.RunOpts) (host.Result, error) {
	c.n++
	return c.Executor.Run(ctx, cmd, o)
}
