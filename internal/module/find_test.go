package module

import (
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

func TestFindFake(t *testing.T) {
	out := "now=1700000100.5\n" +
		"f=f 644 0 0 12 1700000000.0 1700000000.0 1700000000.0 5 64768 1 8 root root\td=1\t/srv/www/index.php\n" +
		"f=f 600 0 0 900 1700000000.0 1700000090.0 1700000000.0 6 64768 1 8 root root\td=1\t/srv/www/.env\n" +
		"f=d 755 33 33 4096 1700000000.0 1700000000.0 1700000000.0 7 64768 2 8 www-data www-data\td=1\t/srv/www/img\n" +
		"f=f 644 1234 1234 3 1700000000.0 1700000000.0 1700000000.0 8 64768 1 8 1234 1234\td=1\t/srv/www/img/a.png\n" +
		"skip=/nope\n"
	for _, check := range []bool{false, true} {
		env := testEnv(debian12, nil)
		env.Check = check
		f := hosttest.New().On(`now=`, host.Result{Stdout: out})
		res := apply(t, newModule(t, "find", "paths: /srv/www,/nope\nrecurse: true\npatterns: ['*.php', '*.png']"), f, env)
		files := res.Data["files"].([]any)
		if res.Changed || len(f.Calls) != 1 || res.Data["matched"] != 2 || res.Data["examined"] != 4 || len(files) != 2 ||
			files[0].(map[string]any)["path"] != "/srv/www/index.php" || files[1].(map[string]any)["pw_name"] != "" ||
			res.Msg != "Not all paths examined, check warnings for details" || res.Data["skipped_paths"].(map[string]any)["/nope"] != "'/nope' is not a directory" {
			t.Errorf("check=%v: %+v %q", check, res, f.Calls)
		}
		if !check {
			goldenShell(t, "core/find", f.Calls, false)
		}
	}
	count := func(args string) int {
		f := hosttest.New().On(`now=`, host.Result{Stdout: out})
		return apply(t, newModule(t, "find", args), f, testEnv(debian12, nil)).Data["matched"].(int)
	}
	for args, want := range map[string]int{
		"paths: /srv/www":                                        2,
		"paths: /srv/www\nhidden: true":                          3,
		"paths: /srv/www\nfile_type: directory":                  1,
		"paths: /srv/www\nfile_type: any\nhidden: true":          4,
		"paths: /srv/www\nhidden: true\nsize: 100":               1,
		"paths: /srv/www\nhidden: true\nage: 1m":                 2,
		"paths: /srv/www\nhidden: true\nage: -1m":                1,
		"paths: /srv/www\nuse_regex: true\npatterns: 'ind.x'":    1,
		"paths: /srv/www\npatterns: '[!i]*'\nfile_type: any":     1,
		"paths: /srv/www\nexcludes: 'index*'\nfile_type: any":    2,
		"paths: /srv/www\nrecurse: true\ndepth: 1\npatterns: a*": 0,
	} {
		if got := count(args); got != want {
			t.Errorf("%q: %d matched, want %d", args, got, want)
		}
	}
	f := hosttest.New().On(`now=`, host.Result{Stdout: out}).On(`grep -qP`, host.Result{Stdout: "hit=0 a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd  -\n"})
	res := apply(t, newModule(t, "find", "paths: /srv/www\ncontains: '<\\?php'\nget_checksum: true\nhidden: true"), f, testEnv(debian12, nil))
	if files := res.Data["files"].([]any); len(files) != 1 || files[0].(map[string]any)["checksum"] != "a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd" || len(f.Calls) != 2 {
		t.Errorf("contains: %+v %q", res, f.Calls)
	}
	_, err := newModuleErr("find", "{file_type: fifo, age: 2x, size: big, age_stamp: birth, patterns: '[', use_regex: true, contains: '('}")
	for _, want := range []string{"paths is required", "file_type", "failed to process age", "failed to process size", "age_stamp", "pattern", "contains"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}

// TestFindOnSSHD compares find through a real sshd with Ansible's find on
// the same tree.
func TestFindOnSSHD(t *testing.T) {
	t.Parallel()
	tree := map[string]string{
		"www/index.php": "<?php echo 1;\n", "www/.env": "SECRET=1\n", "www/big.log": strings.Repeat("x", 5000),
		"www/img/a.png": "png", "www/img/.hidden/b.png": "png", "www/img/deep/er/c.png": "c", "www/conf/app.ini": "[a]\nkey = 1\n",
	}
	in := func(extra map[string]any) func(string) map[string]any {
		return func(dir string) map[string]any {
			m := map[string]any{"paths": []string{filepath.Join(dir, "www")}}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
	}
	cases := []oracleCase{
		{name: "default", files: tree, args: in(nil)},
		{name: "recurse patterns", files: tree, args: in(map[string]any{"recurse": true, "patterns": []string{"*.png", "*.ini"}})},
		{name: "hidden excludes", files: tree, args: in(map[string]any{"recurse": true, "hidden": true, "excludes": "*.png"})},
		{name: "depth", files: tree, args: in(map[string]any{"recurse": true, "depth": 2, "file_type": "any"})},
		{name: "directories", files: tree, args: in(map[string]any{"recurse": true, "file_type": "directory"})},
		{name: "regex", files: tree, args: in(map[string]any{"recurse": true, "use_regex": true, "patterns": `^[a-c]\.png$`})},
		{name: "size", files: tree, args: in(map[string]any{"recurse": true, "size": "4k"})},
		{name: "contains checksum", files: tree, args: in(map[string]any{"recurse": true, "contains": `key\s*=`, "get_checksum": true})},
		{name: "not a directory", files: tree, args: func(dir string) map[string]any {
			return map[string]any{"paths": filepath.Join(dir, "www/index.php") + "," + filepath.Join(dir, "www/img")}
		}},
	}
	compareWithAnsible(t, "find", cases)
}
