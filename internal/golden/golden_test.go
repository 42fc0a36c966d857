package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errs  []string
	fatal bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "x.golden")
	r := &recorder{TB: t}
	Check(r, path, []byte("a\n"))
	if !r.fatal || !strings.Contains(r.errs[0], "go test -update writes it") {
		t.Errorf("a missing golden file: %q", r.errs)
	}

	*update = true
	r = &recorder{TB: t}
	Check(r, path, []byte("one\ntwo\nthree\n"))
	*update = false
	if b, err := os.ReadFile(path); err != nil || string(b) != "one\ntwo\nthree\n" || len(r.errs) > 0 {
		t.Fatalf("-update did not write %s: %q, %v, %q", path, b, err, r.errs)
	}

	r = &recorder{TB: t}
	Check(r, path, []byte("one\ntwo\nthree\n"))
	if len(r.errs) > 0 {
		t.Errorf("the same output differs: %q", r.errs)
	}
	r = &recorder{TB: t}
	Check(r, path, []byte("one\n2\nthree\n"))
	if len(r.errs) != 1 || r.fatal || !strings.Contains(r.errs[0], "x.golden differs at line 2 (go test -update rewrites it):\n got: \"2\"\nwant: \"two\"") {
		t.Errorf("a difference: %q", r.errs)
	}
}
