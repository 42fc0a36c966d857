package lvs

import (
	"path/filepath"
	"testing"

	goldenfile "lvslab/internal/golden"
)

// golden compares got with testdata/name (golden.Check).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), []byte(got))
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
