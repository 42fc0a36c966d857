package module

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func init() {
	// -update rewrites the golden files; registered once even if another
	// test file of the package defines the same flag first.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata")
	}
}

func labUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// labGolden compares the commands a fake recorded with testdata/lab/NAME.golden.
// Each command is one "$ " line, its " && " steps continued on "    " lines.
func labGolden(t *testing.T, name string, calls []string) {
	t.Helper()
	var b strings.Builder
	for _, c := range calls {
		b.WriteString("$ " + strings.ReplaceAll(c, " && ", " &&\n    ") + "\n")
	}
	path := filepath.Join("testdata", "lab", name+".golden")
	if labUpdate() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("commands differ from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// labFakeProbe is one probe's answer in a faked inspect output.
type labFakeProbe struct {
	name, out string
	rc        int
}

func labStdout(probes ...labFakeProbe) string {
	var b strings.Builder
	for _, p := range probes {
		b.WriteString(labMarker + p.name + "\n" + p.out + "\n" + labMarker + "rc " + p.name + " " + strconv.Itoa(p.rc) + "\n")
	}
	return b.String()
}

// labFake returns a fake whose inspect command prints stdout.
func labFake(stdout string) *hosttest.Fake {
	return hosttest.New().On(labMarker, host.Result{Stdout: stdout})
}

func labYAML(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(s), &node); err != nil {
		t.Fatal(err)
	}
	return &node
}

// labNew decodes YAML args into the named lab module and validates it.
func labNew(t *testing.T, name, args string) Module {
	t.Helper()
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(args), &node); err != nil {
		t.Fatal(err)
	}
	m, err := labRegistry().New(name, &node)
	if err != nil {
		t.Fatalf("new %s: %v", name, err)
	}
	return m
}

func labRegistry() *Registry {
	r := NewRegistry()
	for n, f := range labModules() {
		r.Register(n, f)
	}
	return r
}

func labEnv(family string) *Env {
	return &Env{Host: "h", Facts: map[string]any{"os_family": family}, BaseDir: "."}
}

func labApply(t *testing.T, m Module, f *hosttest.Fake, env *Env) Result {
	t.Helper()
	res, err := m.Apply(context.Background(), f, env)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func TestLabParseProbes(t *testing.T) {
	out := labStdout(labFakeProbe{"a", "one\ntwo\n", 0}, labFakeProbe{"b", "", 1}, labFakeProbe{"c", "no newline", 2})
	p := labParseProbes("noise\n" + out)
	if p.out["a"] != "one\ntwo\n" || p.out["b"] != "" || p.out["c"] != "no newline" || p.text("a") != "one\ntwo" {
		t.Errorf("outputs: %q", p.out)
	}
	if !p.ok("a") || p.ok("b") || p.ok("c") || p.ok("missing") {
		t.Errorf("rcs: %v", p.rc)
	}
}

func TestLabProbesInShell(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"nl": "a\nb\n", "nonl": "a\nb", "empty": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := labProbes(labProbe("nl", "cat "+dir+"/nl"), labProbe("nonl", "cat "+dir+"/nonl"),
		labProbe("empty", "cat "+dir+"/empty"), labProbe("missing", "cat "+dir+"/missing 2>/dev/null"))
	res, err := labLocalExec{}.Run(context.Background(), cmd, host.RunOpts{})
	if err != nil {
		t.Fatal(err)
	}
	p := labParseProbes(res.Stdout)
	if p.out["nl"] != "a\nb\n" || p.out["nonl"] != "a\nb" || p.out["empty"] != "" || p.out["missing"] != "" {
		t.Errorf("outputs %q", p.out)
	}
	if !p.ok("nl") || !p.ok("empty") || p.ok("missing") || p.rc["missing"] != 1 {
		t.Errorf("rcs %v", p.rc)
	}
}

func TestLabModulesRegistered(t *testing.T) {
	want := []string{"cert", "http_check", "ip_address", "iptables", "ipvs", "route"}
	if got := strings.Join(labRegistry().Names(), " "); got != strings.Join(want, " ") {
		t.Errorf("names %s, want %s", got, want)
	}
}

func TestLabValidationReportsEverything(t *testing.T) {
	cases := map[string]struct{ args, want string }{
		"ipvs":       {"{scheduler: fast, port: 99999, state: gone}", "state must be present or absent|unknown scheduler|address (the VIP) or fwmark is required|port must be"},
		"iptables":   {"{table: x, set_mark: 99}", "table must be one of|chain is required|jump is required|set_mark goes with jump MARK"},
		"ip_address": {"{address: nope, device: 'a b', label: x}", "is not an IP address|device must be|label"},
		"route":      {"{destination: nope, metric: -1}", "destination \"nope\"|gateway or device is required|metric"},
		"cert":       {"{names: ['bad name'], type: dsa, days: -1}", "neither an IP|cert_path and key_path|type must be|days must be"},
		"http_check": {"{url: 'ftp://x', count: -1, from: moon}", "url must be|count must be|from must be"},
	}
	for name, c := range cases {
		var node yaml.Node
		if err := yaml.Unmarshal([]byte(c.args), &node); err != nil {
			t.Fatal(err)
		}
		_, err := labRegistry().New(name, &node)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range strings.Split(c.want, "|") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", name, err, w)
			}
		}
	}
}

// TestLabCatIsExact runs labCat in bash and in sh: the output is the file,
// byte for byte, and it fails for a missing file and a directory.
func TestLabCatIsExact(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"", "\n", "a", "a\n", "a\nb", "a\n\nb\n\n", " lead\\ing \t\\n $x `y` %s\n" + strings.Repeat("long line ", 500)} {
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, sh := range []string{"bash", "sh"} {
			out, err := exec.Command(sh, "-c", labCat(f)).Output()
			if err != nil || string(out) != content {
				t.Errorf("%s: %q: got %q, %v", sh, content, out, err)
			}
		}
	}
	for _, p := range []string{filepath.Join(dir, "missing"), dir} {
		for _, sh := range []string{"bash", "sh"} {
			out, err := exec.Command(sh, "-c", labCat(p)).CombinedOutput()
			if err == nil || len(out) != 0 {
				t.Errorf("%s: %s: got %q, %v; want a failure and no output", sh, p, out, err)
			}
		}
	}
}
