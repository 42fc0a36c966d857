package jinja

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// render renders src as internal/tmpl does: strict undefined, this
// package's filters, tests and globals, test calls rewritten.
func render(src string, vars map[string]any) (string, error) {
	cfg := config.New()
	cfg.StrictUndefined = true
	env := &exec.Environment{Context: Globals(), Filters: Filters(), Tests: Tests(),
		ControlStructures: builtins.ControlStructures, Methods: builtins.Methods}
	fsl, err := loaders.NewFileSystemLoader("")
	if err != nil {
		return "", err
	}
	l, err := loaders.NewShiftedLoader("case", strings.NewReader(RewriteTests(src, cfg)), fsl)
	if err != nil {
		return "", err
	}
	tpl, err := exec.NewTemplate("case", cfg, l, env)
	if err != nil {
		return "", err
	}
	return tpl.ExecuteToString(exec.NewContext(vars))
}

type goldenCase struct {
	Template string `json:"template"`
	Want     string `json:"want"`
	Error    string `json:"error"`
	Compare  string `json:"compare"`
}

// TestAnsibleGolden renders every case of testdata/ansible.golden.json
// (made by testdata/gen.sh with ansible-core 2.14) and compares.
func TestAnsibleGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/ansible.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Vars  map[string]any `json:"vars"`
		Cases []goldenCase   `json:"cases"`
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata/lookup")
	golden.Vars["playbook_dir"] = dir
	t.Setenv("HOME", "/root")
	vars := normalizeJSON(golden.Vars).(map[string]any)
	pass := 0
	for _, c := range golden.Cases {
		got, err := render(c.Template, vars)
		switch {
		case c.Error != "" && err == nil:
			t.Errorf("%s\n  got  %q\n  want an error as Ansible's: %s", c.Template, got, c.Error)
		case c.Error != "":
			pass++
		case err != nil:
			t.Errorf("%s\n  got error %v\n  want %q", c.Template, err, c.Want)
		case c.Compare == "json" && !sameJSON(got, c.Want), c.Compare != "json" && got != c.Want:
			t.Errorf("%s\n  got  %q\n  want %q", c.Template, got, c.Want)
		default:
			pass++
		}
	}
	t.Logf("%d of %d golden cases pass", pass, len(golden.Cases))
}

// normalizeJSON makes JSON numbers that are integers ints, as Ansible's
// variables are.
func normalizeJSON(x any) any {
	switch x := x.(type) {
	case float64:
		if x == float64(int(x)) {
			return int(x)
		}
	case []any:
		for i := range x {
			x[i] = normalizeJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeJSON(x[k])
		}
	}
	return x
}

// sameJSON compares two JSON texts as values (key order aside).
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}
