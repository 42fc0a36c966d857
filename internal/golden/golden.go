// Package golden compares what a test produces with a golden file under
// the test's testdata/ and, under go test -update, rewrites the file with
// it. It registers the one -update flag of every test binary that imports
// it; a package's own tests ask Update instead of defining another.
//
//	golden.Check(t, filepath.Join("testdata", "status.golden"), []byte(out))
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with what the tests produce")

// Update reports whether this run rewrites the golden files (-update).
func Update() bool { return *update }

// Check compares got with the golden file at path. Under -update it first
// writes got there, creating the directories. A difference is a test
// error (the test goes on) naming the file and the first line that
// differs; a missing file is fatal.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	line, g, w := firstDiff(string(got), string(want))
	t.Errorf("%s differs at line %d (go test -update rewrites it):\n got: %q\nwant: %q\n--- got\n%s\n--- want\n%s", path, line, g, w, got, want)
}

// firstDiff returns the first line (from 1) where got and want differ, and
// that line of each ("" past the end).
func firstDiff(got, want string) (int, string, string) {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; ; i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) && i >= len(w) {
			return i + 1, gl, wl
		}
	}
}
