package module

import (
	"strings"
	"testing"

	"lvslab/internal/host/hosttest"
)

const replaceConf = "server {\n  listen 80;\n  server_name old.example;\n}\n# listen 81;\n"

func TestReplaceEdit(t *testing.T) {
	checkEdits(t, "replace", []editCase{
		{"every match", `{regexp: 'listen (\d+);', replace: 'listen \1\1;'}`, replaceConf, strings.ReplaceAll(strings.ReplaceAll(replaceConf, "80;", "8080;"), "81;", "8181;"), "2 replacements made"},
		{"converged", `{regexp: 'nomatch', replace: x}`, replaceConf, replaceConf, ""},
		{"same text", `{regexp: 'listen', replace: listen}`, replaceConf, replaceConf, ""},
		{"multiline anchors", `{regexp: '^#.*$', replace: ''}`, replaceConf, strings.Replace(replaceConf, "# listen 81;", "", 1), "1 replacements made"},
		{"named group and escapes", `{regexp: 'server_name (?P<n>\S+);', replace: 'server_name \g<n>;\n  # was \g<1>'}`, replaceConf, strings.Replace(replaceConf, "old.example;", "old.example;\n  # was old.example", 1), "1 replacements made"},
		{"after", `{regexp: 'listen', replace: port, after: '\}'}`, replaceConf, strings.Replace(replaceConf, "# listen", "# port", 1), "1 replacements made"},
		{"before", `{regexp: 'listen', replace: port, before: 'server_name'}`, replaceConf, strings.Replace(replaceConf, "  listen", "  port", 1), "1 replacements made"},
		{"section not found", `{regexp: 'listen', replace: port, after: 'nothing'}`, replaceConf, replaceConf, "Pattern for before/after params did not match the given file: nothing(?P<subsection>.*)"},
		{"end of text", `{regexp: '\n\Z', replace: ''}`, "a\n", "a", "1 replacements made"},
	})
}

func TestReplaceFake(t *testing.T) {
	args := "path: /etc/nginx.conf\nregexp: 'listen 80;'\nreplace: 'listen 8080;'"
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := hosttest.New().On(`^d=`, probeAnswer("/etc/nginx.conf", strings.Replace(replaceConf, "80;", "8080;", 1), 0644, "0", "root", true))
		if res := apply(t, newModule(t, "replace", args), f, env); res.Changed || len(f.Calls) != 1 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		f = hosttest.New().On(`^d=`, probeAnswer("/etc/nginx.conf", replaceConf, 0644, "0", "root", true))
		res := apply(t, newModule(t, "replace", args), f, env)
		if !res.Changed || res.Msg != "1 replacements made" || len(f.Calls) != map[bool]int{false: 2, true: 1}[check] {
			t.Errorf("change, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/replace", f.Calls, false)
		}
	}
	f := hosttest.New().On(`^d=`, absentAnswer("/etc/x"))
	if res := apply(t, newModule(t, "replace", "path: /etc/x\nregexp: a"), f, testEnv(debian12, nil)); !res.Failed || res.Msg != "Path /etc/x does not exist !" {
		t.Errorf("missing: %+v", res)
	}
	_, err := newModuleErr("replace", `{after: '(', replace: '\q', encoding: latin-1}`)
	for _, want := range []string{"path is required", "regexp is required", "after/before", `bad escape \q`, "only utf-8"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	if _, err := newModuleErr("replace", `{path: /f, regexp: '(?<=a)b'}`); err == nil || !strings.Contains(err.Error(), "regexp") {
		t.Errorf("lookbehind: %v", err)
	}
}

// TestReplaceOnSSHD compares replace through a real sshd with Ansible's
// replace on the same files.
func TestReplaceOnSSHD(t *testing.T) {
	t.Parallel()
	conf := map[string]string{"nginx.conf": replaceConf}
	at := func(extra map[string]any) func(string) map[string]any { return pathArgs("nginx.conf", extra) }

	compareWithAnsible(t, "replace", []oracleCase{
		{name: "backrefs", files: conf, args: at(map[string]any{"regexp": `listen (\d+);`, "replace": `listen 1\1;`})},
		{name: "named", files: conf, args: at(map[string]any{"regexp": `server_name (?P<n>\S+);`, "replace": `server_name www.\g<n>;`})},
		{name: "delete lines", files: conf, args: at(map[string]any{"regexp": `^#.*\n`})},
		{name: "after before", files: conf, args: at(map[string]any{"regexp": `listen`, "replace": "port", "after": "server", "before": "}"})},
		{name: "not found", files: conf, args: at(map[string]any{"regexp": `listen`, "after": "nothing"})},
		{name: "missing", files: map[string]string{}, args: at(map[string]any{"regexp": "x"}), skip: []string{"rc"}},
		{name: "mode only", files: conf, args: at(map[string]any{"regexp": "nomatch", "mode": "0600"})},
	})
}
