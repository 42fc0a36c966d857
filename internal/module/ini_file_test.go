package module

import (
	"strings"
	"testing"

	"lvslab/internal/host/hosttest"
)

const iniConf = "; php\nglobal = 1\n[PHP]\nmemory_limit = 128M\n;max_execution_time = 30\n\n[Date]\ndate.timezone = UTC\n"

func TestIniFileEdit(t *testing.T) {
	checkEdits(t, "ini_file", []editCase{
		{"change", "section: PHP\noption: memory_limit\nvalue: 256M", iniConf, strings.Replace(iniConf, "128M", "256M", 1), "option changed"},
		{"converged", "section: PHP\noption: memory_limit\nvalue: 128M", iniConf, iniConf, "OK"},
		{"uncomment", "section: PHP\noption: max_execution_time\nvalue: '60'", iniConf, strings.Replace(iniConf, ";max_execution_time = 30", "max_execution_time = 60", 1), "option changed"},
		{"add after last content", "section: PHP\noption: upload\nvalue: 2M", iniConf, strings.Replace(iniConf, "128M\n", "128M\nupload = 2M\n", 1), "option added"},
		{"new section", "section: New\noption: a\nvalue: b\nno_extra_spaces: true", iniConf, iniConf + "[New]\na=b\n", "section and option added"},
		{"global", "option: global\nvalue: '2'", iniConf, strings.Replace(iniConf, "global = 1", "global = 2", 1), "option changed"},
		{"remove option", "section: Date\noption: date.timezone\nstate: absent", iniConf, strings.TrimSuffix(iniConf, "date.timezone = UTC\n"), "option changed"},
		{"remove section", "section: Date\nstate: absent", iniConf, strings.TrimSuffix(iniConf, "[Date]\ndate.timezone = UTC\n"), "section removed"},
		{"no value", "section: PHP\noption: flag\nallow_no_value: true", iniConf, strings.Replace(iniConf, "128M\n", "128M\nflag\n", 1), "option added"},
		{"values", "section: x\noption: a\nvalues: ['1', '2']", "[x]\na = 1\na = 3\n", "[x]\na = 1\na = 2\n", "option changed"},
		{"crlf read as lf", "section: x\noption: a\nvalue: '2'", "[x]\r\na = 1\r\n", "[x]\na = 2\n", "option changed"},
	})
}

func TestIniFileFake(t *testing.T) {
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := hosttest.New().On(`^d=`, probeAnswer("/etc/php.ini", iniConf, 0644, "0", "root", true))
		if res := apply(t, newModule(t, "ini_file", "path: /etc/php.ini\nsection: PHP\noption: memory_limit\nvalue: 128M"), f, env); res.Changed || res.Msg != "OK" || len(f.Calls) != 1 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		res := apply(t, newModule(t, "ini_file", "path: /etc/php.ini\nsection: PHP\noption: memory_limit\nvalue: 1G"), f, env)
		if !res.Changed || res.Msg != "option changed" || len(f.Calls) != map[bool]int{false: 3, true: 2}[check] {
			t.Errorf("change, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/ini_file", f.Calls, false)
		}
	}
	f := hosttest.New().On(`^d=`, absentAnswer("/etc/x.ini"))
	if res := apply(t, newModule(t, "ini_file", "path: /etc/x.ini\nsection: a\noption: b\nvalue: c\ncreate: false"), f, testEnv(debian12, nil)); !res.Failed || res.Msg != "Destination /etc/x.ini does not exist!" {
		t.Errorf("missing: %+v", res)
	}
	if res := apply(t, newModule(t, "ini_file", "path: /etc/x.ini\nsection: a\nstate: absent"), f, testEnv(debian12, nil)); res.Changed || len(f.Files) != 0 {
		t.Errorf("absent from a missing file: %+v", res)
	}
	_, err := newModuleErr("ini_file", "{section: a, value: b, values: [c], state: gone}")
	for _, want := range []string{"path is required", "not both", "state must be"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	if _, err := newModuleErr("ini_file", "{path: /f, section: a, option: b}"); err == nil || !strings.Contains(err.Error(), "value or values is required") {
		t.Errorf("no value: %v", err)
	}
}

// TestIniFileOnSSHD compares ini_file through a real sshd with
// community.general's ini_file on the same files.
func TestIniFileOnSSHD(t *testing.T) {
	t.Parallel()
	conf := map[string]string{"php.ini": iniConf}
	at := func(extra map[string]any) func(string) map[string]any { return pathArgs("php.ini", extra) }

	compareWithAnsible(t, "ini_file", []oracleCase{
		{name: "change", files: conf, args: at(map[string]any{"section": "PHP", "option": "memory_limit", "value": "256M"})},
		{name: "uncomment", files: conf, args: at(map[string]any{"section": "PHP", "option": "max_execution_time", "value": "60"})},
		{name: "add", files: conf, args: at(map[string]any{"section": "Date", "option": "x", "value": "y", "no_extra_spaces": true})},
		{name: "new section", files: conf, args: at(map[string]any{"section": "mysqld", "option": "bind-address", "value": "0.0.0.0"})},
		{name: "only section", files: conf, args: at(map[string]any{"section": "empty", "allow_no_value": true})},
		{name: "global", files: conf, args: at(map[string]any{"option": "global", "value": "2"})},
		{name: "remove option", files: conf, args: at(map[string]any{"section": "Date", "option": "date.timezone", "state": "absent"})},
		{name: "remove section", files: conf, args: at(map[string]any{"section": "PHP", "state": "absent"})},
		{name: "no value", files: conf, args: at(map[string]any{"section": "PHP", "option": "skip-name-resolve", "allow_no_value": true})},
		{name: "create", files: map[string]string{}, args: at(map[string]any{"section": "a", "option": "b", "value": "c"}), skip: []string{"uid", "gid", "owner", "group", "mode", "state", "size"}},
		{name: "no create", files: map[string]string{}, args: at(map[string]any{"section": "a", "option": "b", "value": "c", "create": false}), skip: []string{"rc"}},
		{name: "unterminated", files: map[string]string{"php.ini": "[a]\nb = 1"}, args: at(map[string]any{"section": "a", "option": "b", "value": "1"})},
	})
}
