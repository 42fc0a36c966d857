package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"lvslab/internal/pos"
)

// repoInventory is a path under the repository's inventory directory.
func repoInventory(name string) string { return filepath.Join("..", "..", "inventory", name) }

func TestTutorialLabs(t *testing.T) {
	sites := []any{
		map[string]any{"name": "www.along.com", "root": "/app/website1"},
		map[string]any{"name": "www.along2.com", "root": "/app/website2"},
	}
	tests := []struct {
		file string
		want map[string]map[string]any
	}{
		{"nat.yml", map[string]map[string]any{
			"lvs-server": {"ansible_host": "172.17.1.6", "dip": "192.168.30.106", "lvs_mode": "nat", "vip": "172.17.1.6",
				"vip_ports": []any{80}, "scheduler": "wrr", "persistence_timeout": 0, "fwmark": 99, "ssl": false, "sites": sites,
				"group_names": []any{"director"}},
			"rs01":   {"ansible_host": "192.168.30.107", "weight": 1, "group_names": []any{"realservers"}},
			"rs02":   {"ansible_host": "192.168.30.7", "weight": 1},
			"client": {"ansible_host": "172.17.1.100", "group_names": []any{"clients"}},
		}},
		{"dr.yml", map[string]map[string]any{
			"lvs-server": {"ansible_host": "172.17.1.6", "lvs_mode": "dr", "vip": "172.17.100.100", "sites": sites},
			"rs01":       {"ansible_host": "172.17.1.7", "weight": 1},
			"rs02":       {"ansible_host": "172.17.22.22", "weight": 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv, err := Load(repoInventory(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := inv.Hosts(), []string{"lvs-server", "rs01", "rs02", "client"}; !reflect.DeepEqual(got, want) {
				t.Errorf("hosts = %v, want %v", got, want)
			}
			for h, vars := range tt.want {
				got := inv.HostVars(h)
				for k, v := range vars {
					if !reflect.DeepEqual(got[k], v) {
						t.Errorf("%s %s = %#v, want %#v", h, k, got[k], v)
					}
				}
			}
			if rs, _ := inv.Match("realservers"); !reflect.DeepEqual(rs, []string{"rs01", "rs02"}) {
				t.Errorf("realservers = %v", rs)
			}
		})
	}
}

// TestYAMLAndINIAgree loads the same lab in both formats: every host must
// get the same variables, but for where the inventory file is.
func TestYAMLAndINIAgree(t *testing.T) {
	for _, lab := range []string{"nat", "dr"} {
		t.Run(lab, func(t *testing.T) {
			y, err := Load(repoInventory(lab + ".yml"))
			if err != nil {
				t.Fatal(err)
			}
			i, err := Load(repoInventory(lab + ".ini"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(y.Hosts(), i.Hosts()) || !reflect.DeepEqual(y.Groups(), i.Groups()) {
				t.Fatalf("hosts %v / %v, groups %v / %v", y.Hosts(), i.Hosts(), y.Groups(), i.Groups())
			}
			for _, h := range y.Hosts() {
				yv, iv := y.HostVars(h), i.HostVars(h)
				if !strings.HasSuffix(iv["inventory_file"].(string), lab+".ini") || yv["inventory_dir"] != iv["inventory_dir"] {
					t.Errorf("%s: inventory_file %v, inventory_dir %v / %v", h, iv["inventory_file"], yv["inventory_dir"], iv["inventory_dir"])
				}
				delete(yv, "inventory_file")
				delete(iv, "inventory_file")
				if !reflect.DeepEqual(yv, iv) {
					t.Errorf("%s:\nyaml %#v\nini  %#v", h, yv, iv)
				}
			}
		})
	}
}

// writeFiles creates files under dir from a map of relative path to content.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVarsFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"hosts": "[web]\nw1 v_host=inline\nw2\n[lb:children]\nweb\n[all:vars]\nv_all=inline\nv_allfile=inline\n" +
			"[web:vars]\nv_web=inline\nv_webfile=inline\nv_host=web\n[lb:vars]\nv_lb=inline\nv_web=lb\n",
		"group_vars/all.yml":          "v_allfile: file\nv_lb: allfile\nv_web: allfile\n",
		"group_vars/all.yaml":         "ignored: true\n", // only the first of all, all.yml, all.yaml, all.json
		"group_vars/lb.yaml":          "v_lbfile: file\nv_web: lbfile\n",
		"group_vars/web/10-a.yml":     "v_webfile: file-a\nv_dir: a\n",
		"group_vars/web/20-b.yml":     "v_dir: b\n",
		"group_vars/web/sub/c.yml":    "v_sub: c\n",
		"group_vars/web/.hidden.yml":  "v_hidden: true\n",
		"group_vars/web/notes.txt":    "not: read\n",
		"group_vars/nosuch.yml":       "x: 1\n",
		"host_vars/w1.yml":            "v_host: file\n",
		"host_vars/w2":                "v_w2: file\n",
		"host_vars/unknown-host.yaml": "{}\n",
	})
	inv, err := Load(filepath.Join(dir, "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	w1 := inv.HostVars("w1")
	want := map[string]any{
		"v_all":     "inline",
		"v_allfile": "file",    // group_vars/all beats all's inline vars
		"v_lb":      "allfile", // group_vars/all beats every group's inline vars
		"v_web":     "lbfile",  // group_vars files beat every inline group var
		"v_webfile": "file-a",
		"v_lbfile":  "file",
		"v_dir":     "b",
		"v_sub":     "c",
		"v_host":    "file", // host_vars beats inline host vars
		"ignored":   nil,
		"v_hidden":  nil,
		"not":       nil,
	}
	for k, v := range want {
		if !reflect.DeepEqual(w1[k], v) {
			t.Errorf("w1 %s = %#v, want %#v", k, w1[k], v)
		}
	}
	if got := inv.HostVars("w2")["v_w2"]; got != "file" {
		t.Errorf("w2 v_w2 = %v", got)
	}
	if got := inv.Group("web").Vars["v_webfile"]; got != "file-a" {
		t.Errorf("web group vars v_webfile = %v", got)
	}
	if got := w1["inventory_dir"]; got != dir {
		t.Errorf("inventory_dir = %v, want %v", got, dir)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"inv.yml":                "web:\n  hosts:\n    w1:\n  hostz:\n",
		"group_vars/web.yml":     "- not a mapping\n",
		"group_vars/all.yml":     "a: {b: 1, b: 2}\n",
		"host_vars/w1/vault.yml": "$ANSIBLE_VAULT;1.1;AES256\n6162\n",
	})
	_, err := Load(filepath.Join(dir, "inv.yml"))
	var es pos.List
	if !errors.As(err, &es) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		filepath.Join(dir, "inv.yml") + `:4:3: unknown key "hostz" in group "web": want hosts, vars or children`,
		filepath.Join(dir, "group_vars/all.yml") + `:1:11: duplicate key "b" (first at line 1)`,
		filepath.Join(dir, "group_vars/web.yml") + `:1:1: a variables file must be a mapping, not a list`,
		filepath.Join(dir, "host_vars/w1/vault.yml") + `: vault id "default": no vault password was given (--vault-password-file, --vault-id or --ask-vault-pass)`,
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Load(filepath.Join(dir, "missing.yml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"01-hosts":           "[web]\nw1\n",
		"02-more.yml":        "db:\n  hosts: {d1: }\n  children: {web: }\n",
		"03-ignored.ini":     "[ignored]\ni1\n",
		".hidden":            "[hidden]\nh1\n",
		"README.md":          "# not an inventory\n",
		"group_vars/web.yml": "x: 1\n",
	})
	inv, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Hosts(); !reflect.DeepEqual(got, []string{"w1", "d1"}) {
		t.Errorf("hosts = %v", got)
	}
	if got := inv.Group("web").Parents; !reflect.DeepEqual(got, []string{"db"}) {
		t.Errorf("web parents = %v", got)
	}
	if inv.HostVars("w1")["x"] != 1 {
		t.Errorf("group_vars not read for a directory inventory")
	}
}

func TestBrokenYAMLWithoutExtension(t *testing.T) {
	got := parseErrors(t, "hosts", "all:\n  hosts:\n    a:\n  bad\n")
	if len(got) != 1 || !strings.HasPrefix(got[0], "hosts:") || strings.Contains(got[0], "host name") {
		t.Errorf("errors = %v, want one YAML syntax error", got)
	}
}

func TestLoadHostList(t *testing.T) {
	inv, err := Load("10.0.0.5, web1:2222,")
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Hosts(); !reflect.DeepEqual(got, []string{"10.0.0.5", "web1"}) {
		t.Errorf("hosts = %v", got)
	}
	if v := inv.HostVars("web1"); v["ansible_port"] != 2222 || !reflect.DeepEqual(v["groups"].(map[string]any)["ungrouped"], []any{"10.0.0.5", "web1"}) {
		t.Errorf("web1 vars = %v", v)
	}
	if _, err := Load("a,b c"); err == nil || err.Error() != `host list:1:3: invalid host name "b c": no whitespace, ',' or '=', and no leading '!', '&' or '~'` {
		t.Errorf("err = %v", err)
	}
}

func TestLoadScript(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "inv.py")
	if err := os.WriteFile(p, []byte("#!/usr/bin/env python3\nprint('{}')\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), ":1:1: inventory scripts are not supported") {
		t.Errorf("err = %v", err)
	}
}

func TestFormatDetection(t *testing.T) {
	tests := []struct {
		name, src string
		hosts     []string
	}{
		{"hosts", "all:\n  hosts:\n    a:\n", []string{"a"}},
		{"hosts", "web:\n  hosts: {b: }\nempty:\n", []string{"b"}},
		{"hosts", "[web]\nc\n", []string{"c"}},
		{"hosts", "d\ne\n", []string{"d", "e"}},
		{"hosts", "f:2222\n", []string{"f"}},
		{"hosts.json", `{"all": {"hosts": {"g": {"x": 1}}}}`, []string{"g"}},
		{"hosts.cfg", "[web]\nh\n", []string{"h"}},
		{"hosts", "# comment\n---\nall: {hosts: {i: }}\n", []string{"i"}},
	}
	for _, tt := range tests {
		inv := mustParse(t, tt.name, tt.src)
		if got := inv.Hosts(); !reflect.DeepEqual(got, tt.hosts) {
			t.Errorf("%s %q: hosts %v, want %v", tt.name, tt.src, got, tt.hosts)
		}
	}
}
