package module

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

func TestGroupFake(t *testing.T) {
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := probeFake(probeOutput(fakeProbe{"group", "www:x:33:", 0}))
		if res := apply(t, newModule(t, "group", "name: www\ngid: 33"), f, env); res.Changed || len(f.Calls) != 1 || res.Data["gid"] != 33 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		f = probeFake(probeOutput(fakeProbe{"group", "", 2})).On(`^groupadd`, host.Result{Stdout: "app:x:999:\n"})
		res := apply(t, newModule(t, "group", "name: app\nsystem: true"), f, env)
		if !res.Changed || len(f.Calls) != map[bool]int{false: 2, true: 1}[check] || (!check && res.Data["gid"] != 999) {
			t.Errorf("add, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/group_add", f.Calls, true)
		}
	}
	f := probeFake(probeOutput(fakeProbe{"group", "www:x:33:", 0}))
	apply(t, newModule(t, "group", "name: www\ngid: 34"), f, testEnv(debian12, nil))
	apply(t, newModule(t, "group", "name: www\nstate: absent"), f, testEnv(debian12, nil))
	if c := f.Commands(); len(c) != 4 || c[1] != "groupmod -g 34 www" || c[3] != "groupdel www" {
		t.Errorf("modify, remove: %q", c)
	}
	_, err := newModuleErr("group", "{name: 'Bad Name', gid: -1, state: gone}")
	for _, want := range []string{"not a group name", "gid must not be negative", "state must be"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}

func TestUserFake(t *testing.T) {
	const hash = "$6$salt$hash"
	args := "name: app\nuid: 1500\ngroup: www\ngroups: [adm, sudo]\nshell: /bin/bash\ncomment: App\npassword: '" + hash + "'"
	exists := probeOutput(fakeProbe{"passwd", "app:x:1500:33:App:/home/app:/bin/bash", 0}, fakeProbe{"groups", "www adm sudo", 0},
		fakeProbe{"shadow", hash, 0}, fakeProbe{"group", "www:x:33:", 0})
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := probeFake(exists)
		if res := apply(t, newModule(t, "user", args), f, env); res.Changed || len(f.Calls) != 1 || res.Data["password"] != "NOT_LOGGING_PASSWORD" || res.Data["group"] != 33 {
			t.Errorf("converged, check=%v: %+v %q", check, res, f.Calls)
		}
		f = probeFake(probeOutput(fakeProbe{"passwd", "", 2}, fakeProbe{"groups", "", 1}, fakeProbe{"shadow", "", 0}, fakeProbe{"group", "www:x:33:", 0})).
			On(`^useradd`, host.Result{Stdout: "app:x:1500:33:App:/home/app:/bin/bash\n"})
		res := apply(t, newModule(t, "user", args), f, env)
		if !res.Changed || len(f.Calls) != map[bool]int{false: 2, true: 1}[check] || res.Data["create_home"] != true {
			t.Errorf("create, check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/user_add", f.Calls, true)
			if strings.Contains(strings.Join(f.Calls, ""), hash) || f.Stdins[1] != "app:"+hash+"\n" {
				t.Errorf("the hash is on a command line or not on stdin: %q %v", f.Calls, f.Stdins)
			}
		}
	}
	drift := strings.Replace(strings.Replace(exists, "www adm sudo", "www adm video", 1), "/bin/bash", "/bin/sh", 1)
	f := probeFake(drift)
	apply(t, newModule(t, "user", args), f, testEnv(debian12, nil))
	f2 := probeFake(drift)
	apply(t, newModule(t, "user", args+"\nappend: true"), f2, testEnv(debian12, nil))
	if c := f.Commands(); len(c) != 2 || !strings.HasPrefix(c[1], "usermod -s /bin/bash -G adm,sudo app &&") {
		t.Errorf("modify: %q", c)
	}
	if c := f2.Commands(); len(c) != 2 || !strings.HasPrefix(c[1], "usermod -s /bin/bash -G sudo -a app &&") {
		t.Errorf("append: %q", c)
	}
	f = probeFake(probeOutput(fakeProbe{"group", "", 2}))
	if res := apply(t, newModule(t, "user", "name: app\ngroup: nogroup"), f, testEnv(debian12, nil)); !res.Failed || res.Msg != "Group nogroup does not exist" {
		t.Errorf("missing group: %+v", res)
	}
	f = probeFake(exists)
	if res := apply(t, newModule(t, "user", "name: app\nstate: absent\nremove: true"), f, testEnv(debian12, nil)); !res.Changed || len(f.Calls) != 2 || !strings.Contains(f.Calls[1], "userdel -r app") {
		t.Errorf("remove: %+v %q", res, f.Calls)
	}
	_, err := newModuleErr("user", "{name: 'x y', uid: -2, groups: ['a b'], update_password: sometimes, password: 'a:b'}")
	for _, want := range []string{"not a user name", "uid must not be negative", `group "a b"`, "update_password", "crypt(3) hash"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}

}

// accounts returns names for test accounts (mine for lvslab, theirs for
// Ansible) and removes them, with their homes, when the test ends.
func accounts(t *testing.T, kind string) (string, string) {
	mine, theirs := fmt.Sprintf("lvst%s%da", kind, os.Getpid()%100000), fmt.Sprintf("lvst%s%db", kind, os.Getpid()%100000)
	t.Cleanup(func() {
		for _, n := range []string{mine, theirs} {
			if kind == "u" {
				exec.Command("userdel", "-r", n).Run()
			}
			exec.Command("groupdel", n).Run()
		}
	})
	return mine, theirs
}

// TestGroupUserOnSSHD runs group and user through a real sshd on this
// machine's accounts (test names, removed afterwards): made (changed), again
// (ok), changed in check mode (nothing changes), removed, and compares
// each step's registered values with Ansible's on an account of its own.
func TestGroupUserOnSSHD(t *testing.T) {
	sshtest.Require(t)
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("no useradd")
	}
	h := sshdExec(t)
	for _, kind := range []string{"g", "u"} {
		mine, theirs := accounts(t, kind)
		module := map[string]string{"g": "group", "u": "user"}[kind]
		steps := []struct {
			args  map[string]any
			check bool
		}{
			{map[string]any{"gid": 47101}, false},
			{map[string]any{"gid": 47101}, false},
			{map[string]any{"gid": 47102}, true},
			{map[string]any{"state": "absent"}, false},
			{map[string]any{"state": "absent"}, false},
		}
		if kind == "u" {
			steps[0].args = map[string]any{"uid": 47201, "groups": "adm", "shell": "/bin/sh", "comment": "test", "password": "$6$abc$def", "create_home": false}
			steps[1].args = steps[0].args
			steps[2].args = map[string]any{"shell": "/bin/bash", "groups": []string{"adm", "users"}}
			steps[3].args = map[string]any{"state": "absent", "remove": true}
			steps[4].args = steps[3].args
		}
		for i, s := range steps {
			theirArgs := map[string]any{"name": theirs}
			myArgs := map[string]any{"name": mine}
			for k, v := range s.args {
				theirArgs[k], myArgs[k] = v, v
				if k == "gid" || k == "uid" {
					theirArgs[k] = v.(int) + 50 // one account each
				}
			}
			oracle := renamed(t, ansibleRun(t, s.check, ansibleTask{module, theirArgs})[0], theirs, mine)
			res, got := applyOn(t, newModule(t, module, argsYAML(t, myArgs)), h, s.check)
			what := fmt.Sprintf("%s step %d %v", module, i+1, s.args)
			if res.Changed != (oracle["changed"] == true) || res.Failed {
				t.Errorf("%s: changed %v (%+v), ansible %v", what, res.Changed, res, oracle["changed"])
			}
			sameKeys(t, what, got, oracle, "gid", "uid", "group", "stderr", "stderr_lines", "msg", "changed", "failed")
		}
	}
}
