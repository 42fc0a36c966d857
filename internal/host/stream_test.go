package host_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// RunOpts.Stdout receives output while the command still runs: the command
// waits for a file that the test makes only after reading its first line.
func TestRunStreamsStdout(t *testing.T) {
	t.Parallel()
	_, h := start(t, sshtest.Options{})
	gate := filepath.Join(t.TempDir(), "gate")
	pr, pw := io.Pipe()
	type out struct {
		res host.Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := h.Run(context.Background(),
			"echo first; while [ ! -e "+host.Quote(gate)+" ]; do sleep 0.02; done; echo second; echo err >&2",
			host.RunOpts{Stdout: pw})
		pw.Close()
		done <- out{res, err}
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() || sc.Text() != "first" {
		t.Fatalf("first line: %q, %v", sc.Text(), sc.Err())
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if !sc.Scan() || sc.Text() != "second" {
		t.Fatalf("second line: %q, %v", sc.Text(), sc.Err())
	}
	for sc.Scan() {
		t.Errorf("unexpected line %q", sc.Text())
	}
	o := <-done
	if o.err != nil || o.res.ExitCode != 0 || o.res.Stdout != "" || o.res.Stderr != "err\n" {
		t.Errorf("result %+v, %v; want exit 0, no Stdout kept, stderr err", o.res, o.err)
	}
}
