package lvs

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func TestTableAlignment(t *testing.T) {
	tb := NewTable("name", "n")
	tb.AlignRight(1)
	tb.Add("a", "1")
	tb.Add("longer", "100")
	tb.Add("short") // missing cell
	want := "name      n\n------  ---\na         1\nlonger  100\nshort\n"
	if got := tb.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if tb.Len() != 3 {
		t.Errorf("Len = %d", tb.Len())
	}
}
