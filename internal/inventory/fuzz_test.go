package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"lvslab/internal/pos"
)

// FuzzParseYAML checks that no YAML inventory makes Parse panic, that
// every error has a position, and that a parsed inventory is consistent.
func FuzzParseYAML(f *testing.F) {
	addSeeds(f, "nat.yml", "dr.yml")
	f.Add([]byte(precedenceYAML))
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, "fuzz.yml", data) })
}

// FuzzParseINI is FuzzParseYAML for the INI format.
func FuzzParseINI(f *testing.F) {
	addSeeds(f, "nat.ini", "dr.ini")
	f.Add([]byte(matchINI))
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, "fuzz.ini", data) })
}

// addSeeds adds the repository's inventories to the seed corpus.
func addSeeds(f *testing.F, names ...string) {
	for _, n := range names {
		data, err := os.ReadFile(repoInventory(n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func checkParse(t *testing.T, name string, data []byte) {
	inv, err := Parse(name, data)
	if err != nil {
		var es pos.List
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error is not a non-empty Errors: %#v", err)
		}
		for _, e := range es {
			var pe *pos.Error
			if !errors.As(e, &pe) || pe.Pos.File != name || pe.Pos.Line < 1 || pe.Pos.Col < 1 || pe.Err.Error() == "" {
				t.Fatalf("bad error %#v", e)
			}
		}
		if inv != nil {
			t.Fatal("an inventory with an error")
		}
		return
	}
	hosts := inv.Hosts()
	all, err := inv.Match("all")
	if err != nil || !reflect.DeepEqual(sorted(all), sorted(hosts)) {
		t.Fatalf("Match(all) = %v, %v; hosts %v", all, err, hosts)
	}
	for i, h := range hosts {
		if i == 20 {
			break
		}
		v := inv.HostVars(h)
		if v["inventory_hostname"] != h {
			t.Fatalf("inventory_hostname of %q = %v", h, v["inventory_hostname"])
		}
		if m, err := inv.Match(h); err != nil || len(m) == 0 && inv.Group(h) == nil {
			t.Fatalf("Match(%q) = %v, %v", h, m, err)
		}
	}
	for i, g := range inv.Groups() {
		if i == 20 {
			break
		}
		if inv.Group(g) == nil {
			t.Fatalf("no group %q", g)
		}
		if _, err := inv.Match(g + ":&all:!ungrouped"); err != nil {
			t.Fatalf("Match(%q): %v", g, err)
		}
	}
	if ug := inv.Group("ungrouped"); ug == nil || inv.Group("all") == nil || len(inv.Group("all").Children) == 0 {
		t.Fatal("all or ungrouped missing or incomplete")
	}
}

// TestFuzzCorpusFormat keeps the checked-in corpus readable by go test.
func TestFuzzCorpusFormat(t *testing.T) {
	for _, target := range []string{"FuzzParseYAML", "FuzzParseINI"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		if len(files) == 0 {
			t.Errorf("no seed corpus for %s", target)
		}
	}
}

// sorted returns a sorted copy.
func sorted(l []string) []string { return slices.Sorted(slices.Values(l)) }
