package loadrun_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
	"lvslab/internal/load"
	"lvslab/internal/loadrun"
)

// dial starts a real sshd and connects to it.
func dial(t *testing.T) *host.SSH {
	t.Helper()
	srv := sshtest.Start(t, sshtest.Options{})
	h, err := host.Dial(context.Background(), srv.SSHConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestDeploy(t *testing.T) {
	h := dial(t)
	dir := filepath.Join(t.TempDir(), "agent dir")
	bin := filepath.Join(t.TempDir(), "lvslab")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho one\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	path, uploaded, err := loadrun.Deploy(ctx, h, "h1", bin, dir)
	if err != nil || !uploaded {
		t.Fatalf("first deploy: %q uploaded=%v, %v", path, uploaded, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o755 || filepath.Dir(path) != dir {
		t.Fatalf("agent at %s: %v, %v", path, st, err)
	}
	again, uploaded, err := loadrun.Deploy(ctx, h, "h1", bin, dir)
	if err != nil || uploaded || again != path {
		t.Errorf("second deploy: %q uploaded=%v, %v; want %q, no upload", again, uploaded, err, path)
	}
	// A new build replaces the old agent, which is removed.
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho two\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	newer, uploaded, err := loadrun.Deploy(ctx, h, "h1", bin, dir)
	if err != nil || !uploaded || newer == path {
		t.Fatalf("deploy of a new build: %q uploaded=%v, %v", newer, uploaded, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("agents left in %s: %v, want only the newest", dir, entries)
	}
	// A file of the right name but other content is replaced.
	if err := os.WriteFile(newer, []byte("tampered"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, uploaded, err := loadrun.Deploy(ctx, h, "h1", bin, dir); err != nil || !uploaded {
		t.Errorf("deploy over a tampered agent: uploaded=%v, %v; want an upload", uploaded, err)
	}
	if b, _ := os.ReadFile(newer); string(b) != "#!/bin/sh\necho two\n" {
		t.Errorf("agent content after redeploy: %q", b)
	}
}

// agentScript writes a stand-in agent that prints lines and exits code.
func agentScript(t *testing.T, lines []string, stderr string, code int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent")
	body := "#!/bin/sh\n"
	for _, l := range lines {
		body += "printf '%s\\n' " + host.Quote(l) + "\n"
	}
	if stderr != "" {
		body += "echo " + host.Quote(stderr) + " >&2\n"
	}
	body += "exit " + string(rune('0'+code)) + "\n"
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRemoteEvents(t *testing.T) {
	h := dial(t)
	ctx := context.Background()
	spec := load.AgentSpec{Options: load.Options{URL: "http://127.0.0.1/"}}
	ok := agentScript(t, []string{
		`{"interval":{"step":0,"elapsed":1,"completed":5,"failed":0,"rps":5,"p99_ms":1,"servers":{"rs01":5}}}`,
		`{"interval":{"step":0,"elapsed":2,"completed":7,"failed":1,"rps":7,"p99_ms":2,"servers":{"rs01":7}}}`,
		`{"summary":{"url":"http://127.0.0.1/","sent":13,"completed":12,"failed":1,"servers":{"rs01":12}}}`,
	}, "", 0)
	var got []float64
	ev, err := loadrun.Remote{Host: "c1", Exec: h, Path: ok}.Load(ctx, spec, func(ev load.Event) {
		if ev.Interval != nil {
			got = append(got, ev.Interval.Elapsed)
		}
	})
	if err != nil || ev.Summary == nil || ev.Summary.Completed != 12 {
		t.Fatalf("Load: %+v, %v", ev, err)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("intervals seen: %v", got)
	}

	bad := agentScript(t, []string{`{"error":"rate 0: want above 0"}`}, "", 4)
	if _, err := (loadrun.Remote{Host: "c1", Exec: h, Path: bad}).Load(ctx, spec, nil); err == nil || !strings.Contains(err.Error(), "c1") || !strings.Contains(err.Error(), "rate 0") {
		t.Errorf("agent error event: %v", err)
	}
	crash := agentScript(t, nil, "exec format error", 2)
	if _, err := (loadrun.Remote{Host: "c1", Exec: h, Path: crash}).Load(ctx, spec, nil); err == nil || !strings.Contains(err.Error(), "exec format error") {
		t.Errorf("agent that printed nothing: %v", err)
	}
	garbage := agentScript(t, []string{"not json"}, "", 0)
	if _, err := (loadrun.Remote{Host: "c1", Exec: h, Path: garbage}).Load(ctx, spec, nil); err == nil {
		t.Errorf("agent that printed garbage: no error")
	}
}
