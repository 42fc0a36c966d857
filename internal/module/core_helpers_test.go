package module

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
	"lvslab/internal/tmpl"
)

func init() {
	// -update rewrites the golden files; registered once even if another
	// test file of the package defines the same flag first.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata")
	}
	tempName = func() string { return "TMP" }
	aptLockWait = 0
}

func coreUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// coreGolden compares text with testdata/core/NAME.golden.
func coreGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "core", name+".golden")
	if coreUpdate() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// coreGoldenCalls records the calls of a fake, one per "$ " block.
func coreGoldenCalls(t *testing.T, name string, calls []string) {
	t.Helper()
	var b strings.Builder
	for _, c := range calls {
		b.WriteString("$ " + strings.TrimRight(c, "\n") + "\n")
	}
	coreGolden(t, name, b.String())
}

var debian12 = map[string]any{
	"os_family": "Debian", "distribution": "Debian", "distribution_version": "12",
	"distribution_major_version": "12", "pkg_mgr": "apt", "service_mgr": "systemd",
}

var rocky9 = map[string]any{
	"os_family": "RedHat", "distribution": "Rocky", "distribution_version": "9.4",
	"distribution_major_version": "9", "pkg_mgr": "dnf", "service_mgr": "systemd",
}

// coreEnv returns an Env with templates and expressions over vars.
func coreEnv(facts map[string]any, vars map[string]any) *Env {
	if vars == nil {
		vars = map[string]any{}
	}
	vars["facts"] = facts
	return &Env{
		Host: "rs01", Facts: facts, Vars: vars, BaseDir: "testdata/core/play",
		Render: func(name, text string) (string, error) { return tmpl.Render(name, text, vars) },
		Eval:   func(src string) (any, error) { return tmpl.Eval("test", src, vars) },
	}
}

// newCore decodes a module from YAML args through the registry, as a task would.
func newCore(t *testing.T, name, args string) Module {
	t.Helper()
	m, err := newCoreErr(name, args)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newCoreErr(name, args string) (Module, error) {
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

var _ = hosttest.New

// localExec runs commands with the local /bin/sh and moves files on the local
// file system: the generated scripts are tested against real coreutils.
type localExec struct {
	calls []string
}

func (l *localExec) Run(ctx context.Context, cmd string, opts host.RunOpts) (host.Result, error) {
	l.calls = append(l.calls, cmd)
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
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
