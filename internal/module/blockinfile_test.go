package module

import (
	"strings"
	"testing"

	"lvslab/internal/host/hosttest"
)

const blockConf = "# top\nlisten 80;\nroot /srv;\n"

func TestBlockInFileEdit(t *testing.T) {
	const m0, m1 = "# BEGIN ANSIBLE MANAGED BLOCK\n", "# END ANSIBLE MANAGED BLOCK\n"
	checkEdits(t, "blockinfile", []editCase{
		{"append", "block: a\n", blockConf, blockConf + m0 + "a\n" + m1, "Block inserted"},
		{"converged", "block: a\n", blockConf + m0 + "a\n" + m1, blockConf + m0 + "a\n" + m1, ""},
		{"replace", "block: \"b\\nc\"\n", "x\n" + m0 + "a\n" + m1 + "y\n", "x\n" + m0 + "b\nc\n" + m1 + "y\n", "Block inserted"},
		{"remove", "state: absent\n", "x\n" + m0 + "a\n" + m1 + "y\n", "x\ny\n", "Block removed"},
		{"empty block removes", "block: ''\n", "x\n" + m0 + "a\n" + m1, "x\n", "Block removed"},
		{"insertafter", "block: a\ninsertafter: '^listen'\n", blockConf, "# top\nlisten 80;\n" + m0 + "a\n" + m1 + "root /srv;\n", "Block inserted"},
		{"insertbefore", "block: a\ninsertbefore: '^listen'\n", blockConf, "# top\n" + m0 + "a\n" + m1 + "listen 80;\nroot /srv;\n", "Block inserted"},
		{"BOF", "block: a\ninsertbefore: BOF\n", blockConf, m0 + "a\n" + m1 + blockConf, "Block inserted"},
		{"no match goes to the end", "block: a\ninsertafter: '^zz'\n", "x", "x\n" + m0 + "a\n" + m1, "Block inserted"},
		{"dollar before newline", "block: a\ninsertafter: ';$'\n", "a;\nb\n", "a;\n" + m0 + "a\n" + m1 + "b\n", "Block inserted"},
		{"multiline", "block: a\ninsertafter: '(?m)^listen 80;$'\n", blockConf, "# top\nlisten 80;\n" + m0 + "a\n" + m1 + "root /srv;\n", "Block inserted"},
		{"own markers", "block: a\nmarker: '// {mark}'\nmarker_begin: open\nmarker_end: close\n", "", "// open\na\n// close\n", "Block inserted"},
	})
}

func TestBlockInFileFake(t *testing.T) {
	const m0, m1 = "# BEGIN ANSIBLE MANAGED BLOCK\n", "# END ANSIBLE MANAGED BLOCK\n"
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := hosttest.New().On(`^d=`, probeAnswer("/etc/x.conf", blockConf+m0+"a\n"+m1, 0644, "0", "root", true))
		if res := apply(t, newModule(t, "blockinfile", "path: /etc/x.conf\nblock: a"), f, env); res.Changed || len(f.Calls) != 1 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		env.Diff = true
		f = hosttest.New().On(`^d=`, probeAnswer("/etc/x.conf", blockConf, 0644, "0", "root", true))
		res := apply(t, newModule(t, "blockinfile", "path: /etc/x.conf\nblock: a"), f, env)
		if !res.Changed || res.Msg != "Block inserted" || len(f.Calls) != map[bool]int{false: 2, true: 1}[check] ||
			len(res.Diff) != 1 || res.Diff[0].After != blockConf+m0+"a\n"+m1 {
			t.Errorf("insert, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/blockinfile", f.Calls, false)
		}
	}
	f := hosttest.New().On(`^d=`, absentAnswer("/etc/x.conf"))
	if res := apply(t, newModule(t, "blockinfile", "path: /etc/x.conf\nblock: a"), f, testEnv(debian12, nil)); !res.Failed || res.Msg != "Path /etc/x.conf does not exist !" {
		t.Errorf("missing: %+v", res)
	}
	if res := apply(t, newModule(t, "blockinfile", "path: /etc/x.conf\nstate: absent"), f, testEnv(debian12, nil)); res.Failed || res.Changed || res.Msg != "File /etc/x.conf not present" {
		t.Errorf("missing, absent: %+v", res)
	}
	if res := apply(t, newModule(t, "blockinfile", "path: /etc/x.conf\nblock: a\ncreate: true"), f, testEnv(debian12, nil)); !res.Changed || res.Msg != "File created" ||
		string(f.Files["/etc/x.conf"].Data) != m0+"a\n"+m1 {
		t.Errorf("create: %+v %v", res, f.Files)
	}
	_, err := newModuleErr("blockinfile", "{state: gone, insertafter: '(', insertbefore: x, marker: same, validate: nope}")
	for _, want := range []string{"path is required", "state must be", "not both", "insert pattern", "marker_begin and marker_end must differ", "validate must contain"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}

// TestBlockInFileOnSSHD compares blockinfile through a real sshd with
// Ansible's blockinfile on the same files.
func TestBlockInFileOnSSHD(t *testing.T) {
	t.Parallel()
	conf := map[string]string{"site.conf": blockConf}
	at := func(extra map[string]any) func(string) map[string]any { return pathArgs("site.conf", extra) }

	managed := map[string]string{"site.conf": blockConf + "# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\n"}
	compareWithAnsible(t, "blockinfile", []oracleCase{
		{name: "append", files: conf, args: at(map[string]any{"block": "gzip on;\ngzip_types text/css;"})},
		{name: "insertafter", files: conf, args: at(map[string]any{"block": "x", "insertafter": "^listen"})},
		{name: "insertbefore BOF", files: conf, args: at(map[string]any{"block": "x", "insertbefore": "BOF", "marker": "## {mark} lvs"})},
		{name: "replace", files: managed, args: at(map[string]any{"block": "new"})},
		{name: "remove", files: managed, args: at(map[string]any{"state": "absent"})},
		{name: "create", files: map[string]string{}, args: at(map[string]any{"block": "x", "create": true})},
		{name: "missing", files: map[string]string{}, args: at(map[string]any{"block": "x"}), skip: []string{"rc"}},
		{name: "mode", files: conf, args: at(map[string]any{"block": "x", "mode": "0600"})},
	})
}
