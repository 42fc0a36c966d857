package module

import (
	"strings"
	"testing"

	"lvslab/internal/host/hosttest"
)

// debianLimits is the end of Debian 12's /etc/security/limits.conf.
const debianLimits = "#<domain>      <type>  <item>         <value>\n#\n\n#*               soft    core            0\n#@student        -       maxlogins       4\n\n# End of file\n"

func TestPamLimitsEdit(t *testing.T) {
	set := "mongodb hard nproc 64000"
	for _, c := range []struct{ name, args, in, want, msg string }{
		{"appended", "{domain: mongodb, limit_type: hard, limit_item: nproc, value: '64000'}", debianLimits, debianLimits + "mongodb\thard\tnproc\t64000\n", "mongodb\thard\tnproc\t64000\n"},
		{"converged", "{domain: mongodb, limit_type: hard, limit_item: nproc, value: '64000'}", set + "\n", set + "\n", set + "\n"},
		{"changed in place", "{domain: mongodb, limit_type: hard, limit_item: nproc, value: '32000'}", "a soft core 0\n" + set + "\n", "a soft core 0\nmongodb\thard\tnproc\t32000\n", "mongodb\thard\tnproc\t32000\n"},
		{"use_max keeps larger", "{domain: mongodb, limit_type: hard, limit_item: nproc, value: '100', use_max: true}", set + "\n", set + "\n", set + "\n"},
		{"use_max unlimited", "{domain: mongodb, limit_type: hard, limit_item: nproc, value: unlimited, use_max: true}", set + "\n", "mongodb\thard\tnproc\tunlimited\n", "mongodb\thard\tnproc\tunlimited\n"},
		{"use_min", "{domain: mongodb, limit_type: hard, limit_item: nproc, value: '100', use_min: true}", set + "\n", "mongodb\thard\tnproc\t100\n", "mongodb\thard\tnproc\t100\n"},
		{"comment", "{domain: '*', limit_type: '-', limit_item: nofile, value: '1024', comment: mine}", "", "*\t-\tnofile\t1024\t#mine\n", "*\t-\tnofile\t1024\t#mine\n"},
		{"last line without newline", "{domain: a, limit_type: soft, limit_item: core, value: '0'}", "# End of file", "# End of filea\tsoft\tcore\t0\n", "a\tsoft\tcore\t0\n"},
	} {
		m := newModule(t, "pam_limits", c.args).(*PamLimits)
		w, err := m.want()
		if err != nil {
			t.Fatal(err)
		}
		got, msg, keep, _ := w.edit(c.in, true)
		if keep || got != c.want || msg != c.msg {
			t.Errorf("%s: got %q %q, want %q %q", c.name, got, msg, c.want, c.msg)
		}
	}
	m := newModule(t, "pam_limits", "{domain: a, limit_type: soft, limit_item: core, value: '0'}").(*PamLimits)
	w, _ := m.want()
	if _, msg, keep, failed := w.edit("a soft core lots\n", true); !keep || !failed || !strings.HasPrefix(msg, "Invalid configuration found in '/etc/security/limits.conf'. Value of 'lots'") {
		t.Errorf("bad line: %q %v %v", msg, keep, failed)
	}
}

func TestPamLimitsFake(t *testing.T) {
	args := "{domain: mongodb, limit_type: soft, limit_item: nofile, value: 64000}"
	conf := "/etc/security/limits.conf"
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := hosttest.New().On(`^d=`, probeAnswer(conf, debianLimits+"mongodb\tsoft\tnofile\t64000\n", 0644, "0", "root", true))
		if res := apply(t, newModule(t, "pam_limits", args), f, env); res.Changed || len(f.Calls) != 1 || res.Msg != "mongodb\tsoft\tnofile\t64000\n" {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		f = hosttest.New().On(`^d=`, probeAnswer(conf, debianLimits, 0644, "0", "root", true))
		res := apply(t, newModule(t, "pam_limits", args), f, env)
		if !res.Changed || res.Msg != "mongodb\tsoft\tnofile\t64000\n" || len(f.Calls) != map[bool]int{false: 2, true: 1}[check] {
			t.Errorf("change, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/pam_limits", f.Calls, false)
		}
	}
	_, err := newModuleErr("pam_limits", "{limit_type: both, limit_item: files, value: lots, use_max: true, use_min: true}")
	for _, want := range []string{"domain is required", `limit_type "both"`, `limit_item "files"`, "use_min and use_max", "Value of 'lots'"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	if _, err := newModuleErr("pam_limits", "{domain: a, limit_type: soft, limit_item: nice, value: 20}"); err == nil || !strings.Contains(err.Error(), "-20 to 19") {
		t.Errorf("nice 20: %v", err)
	}
}

// TestPamLimitsOnSSHD compares pam_limits through a real sshd with
// community.general's on the same files.
func TestPamLimitsOnSSHD(t *testing.T) {
	t.Parallel()
	conf := map[string]string{"limits.conf": debianLimits + "mongodb\thard\tnproc\t32000  # old\n"}
	at := func(extra map[string]any) func(string) map[string]any {
		return func(dir string) map[string]any {
			args := map[string]any{"dest": dir + "/limits.conf", "domain": "mongodb", "limit_type": "hard", "limit_item": "nproc", "value": "64000"}
			for k, v := range extra {
				args[k] = v
			}
			return args
		}
	}
	compareWithAnsible(t, "pam_limits", []oracleCase{
		{name: "append", files: conf, args: at(map[string]any{"domain": "root"})},
		{name: "change keeps comment", files: conf, args: at(nil)},
		{name: "use_max", files: conf, args: at(map[string]any{"use_max": true, "value": "100"})},
		{name: "use_min", files: conf, args: at(map[string]any{"use_min": true, "value": "unlimited"})},
		{name: "comment", files: conf, args: at(map[string]any{"limit_type": "soft", "comment": "mongodb"})},
		{name: "missing file", files: map[string]string{}, args: at(nil)},
	})
}
