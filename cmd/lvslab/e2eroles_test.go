package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// mongodbRoles is where the Debian ansible package keeps community.mongodb's
// roles.
const mongodbRoles = "/usr/lib/python3/dist-packages/ansible_collections/community/mongodb/roles"

// TestE2ERoleMongodbLinux applies a role written for Ansible by others,
// community.mongodb's mongodb_linux (swappiness and other sysctls, ntp,
// transparent huge pages off through a systemd unit, pam_limits for root
// and mongodb), to the lab's first director, a VM with a real kernel: lvslab
// converges it, finds it converged the second time, then ansible-playbook
// (2.14, run in the lab's network namespace with the lab's key and
// known_hosts) applies the same role to the same host and must change
// nothing, leaving the files and kernel settings the role touches as lvslab
// wrote them; a last lvslab run agrees. It changes the director's kernel
// tuning and limits.conf (harmless to the lab's modes). LVSLAB_E2E=1, as
// the other end-to-end tests; the director needs python3 for Ansible, which
// the test installs with lvslab first.
func TestE2ERoleMongodbLinux(t *testing.T) {
	inv := e2eInventory(t)
	if _, err := os.Stat(filepath.Join(mongodbRoles, "mongodb_linux")); err != nil {
		t.Skipf("community.mongodb is not installed: %v", err)
	}
	ap, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("ansible-playbook not installed: no oracle")
	}
	bin := e2eBinary(t)
	d := labDirector(t, inv)
	dir := t.TempDir()
	t.Setenv("ANSIBLE_ROLES_PATH", mongodbRoles)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	python := write("python.yml", "- hosts: "+d.name+"\n  gather_facts: false\n  tasks:\n    - package: {name: python3, state: present}\n")
	role := write("role.yml", "- hosts: "+d.name+"\n  roles: [mongodb_linux]\n")

	mustOK(t, runLvslab(t, bin, "run", "-i", inv, "--output", "json", python), "python3 for Ansible")
	first := runLvslab(t, bin, "run", "-i", inv, "--output", "json", role)
	mustOK(t, first, "mongodb_linux")
	t.Logf("first run changed: %s", strings.Join(first.changed, "; "))
	again := runLvslab(t, bin, "run", "-i", inv, "--output", "json", role)
	mustOK(t, again, "mongodb_linux again")
	if n := again.totalChanged(); n != 0 {
		t.Errorf("lvslab's second run: %d changed: %s", n, strings.Join(again.changed, "; "))
	}
	mine := d.state(t, mongodbState)

	changed, out := ansibleOn(t, ap, d, inv, role, mongodbRoles)
	if len(changed) != 0 {
		t.Errorf("ansible-playbook on the host lvslab converged: changed %s\n%s", strings.Join(changed, "; "), tail(out, 4000))
	}
	if theirs := d.state(t, mongodbState); theirs != mine {
		t.Errorf("after ansible-playbook the host differs from what lvslab left:\nlvslab:\n%s\nansible:\n%s", mine, theirs)
	}
	last := runLvslab(t, bin, "run", "-i", inv, "--output", "json", role)
	mustOK(t, last, "mongodb_linux after Ansible")
	if n := last.totalChanged(); n != 0 {
		t.Errorf("lvslab after ansible-playbook: %d changed: %s", n, strings.Join(last.changed, "; "))
	}
}

// labHost is how the lab's inventory reaches one host.
type labHost struct {
	name, addr, netns, key, commonArgs string
}

// labDirector reads the first host of the director group from the lab's
// inventory.
func labDirector(t *testing.T, inv string) labHost {
	t.Helper()
	return labHostsOf(t, inv, "director")[0]
}

// labHostsOf reads the hosts of group from the lab's inventory (lvslab lab
// create's layout: connection variables under all.vars, ansible_host and
// lvslab_netns on the host), sorted by name.
func labHostsOf(t *testing.T, inv, group string) []labHost {
	t.Helper()
	b, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		All struct {
			Vars     map[string]any `yaml:"vars"`
			Children map[string]struct {
				Hosts map[string]map[string]any `yaml:"hosts"`
			} `yaml:"children"`
		} `yaml:"all"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", inv, err)
	}
	hosts := doc.All.Children[group].Hosts
	var names []string
	for n := range hosts {
		names = append(names, n)
	}
	if len(names) == 0 {
		t.Fatalf("%s: no host in the %s group", inv, group)
	}
	sort.Strings(names)
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	var out []labHost
	for _, n := range names {
		h := hosts[n]
		d := labHost{name: n, addr: str(h, "ansible_host"), netns: str(h, "lvslab_netns"),
			key: str(doc.All.Vars, "ansible_ssh_private_key_file"), commonArgs: str(doc.All.Vars, "ansible_ssh_common_args")}
		if d.addr == "" || d.key == "" {
			t.Fatalf("%s: %s has no ansible_host or the lab has no key: %+v", inv, d.name, d)
		}
		out = append(out, d)
	}
	return out
}

// inNetns prefixes a command with nsenter into the host's network
// namespace, when the inventory names one.
func (d labHost) inNetns(cmd ...string) *exec.Cmd {
	if d.netns == "" {
		return exec.Command(cmd[0], cmd[1:]...)
	}
	return exec.Command("nsenter", append([]string{"--net=/run/netns/" + d.netns}, cmd...)...)
}

// mongodbState is what mongodb_linux sets on the host, as text: the files
// it writes and the kernel settings it changes.
const mongodbState = `for f in /etc/security/limits.conf /etc/systemd/system/disable-transparent-huge-pages.service /etc/sysctl.conf /etc/sysctl.d/99-lvslab.conf; do
  echo "== $f"; if [ -e "$f" ]; then stat -c '%a %U %G' "$f"; cat "$f"; else echo absent; fi
done
sysctl vm.swappiness vm.zone_reclaim_mode vm.dirty_ratio vm.dirty_background_ratio net.core.somaxconn net.ipv4.tcp_fin_timeout net.ipv4.tcp_keepalive_intvl net.ipv4.tcp_keepalive_time net.ipv4.tcp_max_syn_backlog
cat /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/defrag
systemctl is-enabled disable-transparent-huge-pages; systemctl is-active ntp
`

// state is what script prints on the host (run by ssh as root).
func (d labHost) state(t *testing.T, script string) string {
	t.Helper()
	args := append([]string{"ssh", "-i", d.key, "-o", "BatchMode=yes"}, strings.Fields(strings.NewReplacer("'", "").Replace(d.commonArgs))...)
	cmd := d.inNetns(append(args, "root@"+d.addr, script)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("ssh %s: %v: %s", d.addr, err, errb.String())
		}
	}
	return out.String()
}

// ansibleOn runs ansible-playbook with the lab's inventory in the lab's
// network namespace, limited to d, and returns the tasks it changed
// ("task: host") and its output. Its SSH connections share a ControlPersist
// master (one login per host, not per task); the master outlives the run
// for a few seconds and holds what it inherited open, so the output goes
// to a file, not a pipe that Wait would wait on.
func ansibleOn(t *testing.T, ap string, d labHost, inv, playbook, rolesPath string) ([]string, string) {
	t.Helper()
	dir := t.TempDir()
	cmd := d.inNetns(ap, "-i", inv, "-l", d.name, playbook)
	cmd.Env = append(os.Environ(), "ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0",
		"ANSIBLE_PYTHON_INTERPRETER=auto_silent", "ANSIBLE_SSH_CONTROL_PATH_DIR="+filepath.Join(dir, "cp"),
		"ANSIBLE_SSH_ARGS=-o ControlMaster=auto -o ControlPersist=5s")
	if rolesPath != "" {
		cmd.Env = append(cmd.Env, "ANSIBLE_ROLES_PATH="+rolesPath)
	}
	f, err := os.Create(filepath.Join(dir, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 30 * time.Second
	err = cmd.Run()
	f.Close()
	out, rerr := os.ReadFile(f.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Logf("ansible-playbook: %v: %s", err, tail(stderr.String(), 2000))
	}
	var doc struct {
		Plays []struct {
			Tasks []struct {
				Task  struct{ Name string }     `json:"task"`
				Hosts map[string]map[string]any `json:"hosts"`
			} `json:"tasks"`
		} `json:"plays"`
		Stats map[string]map[string]int `json:"stats"`
	}
	if jerr := json.Unmarshal(out, &doc); jerr != nil {
		t.Fatalf("ansible-playbook: %v %v: %s", err, jerr, tail(string(out), 4000))
	}
	if s := doc.Stats[d.name]; s["failures"] != 0 || s["unreachable"] != 0 {
		t.Fatalf("ansible-playbook: %v on %s: %s", s, d.name, tail(string(out), 4000))
	}
	var changed []string
	for _, p := range doc.Plays {
		for _, tk := range p.Tasks {
			for h, r := range tk.Hosts {
				if r["changed"] == true {
					changed = append(changed, tk.Task.Name+": "+h)
				}
			}
		}
	}
	if doc.Stats[d.name]["changed"] != len(changed) {
		t.Logf("ansible-playbook stats %v, changed results %d", doc.Stats[d.name], len(changed))
	}
	return changed, string(out)
}

// suiteState is what the LNMP role suite (testdata/roles-lnmp) leaves on a
// real server, as text: its files with their modes and contents, the
// site's link, the database and the user's grants, the imported table's
// rows and the backup (its mode and its INSERT lines: mysqldump's header
// holds the time), and the site's answer.
const suiteState = `for f in $(find /srv/lnmp-suite /srv/lnmp-suite-db/schema.sql /etc/nginx/sites-available/lnmp-suite.conf /etc/nginx/sites-enabled/lnmp-suite.conf /etc/php/*/fpm/pool.d/lnmp-suite.conf 2>/dev/null | sort); do
  stat -c '== %n %F %a %U %G' "$f"
  if [ -L "$f" ]; then readlink "$f"; elif [ -f "$f" ]; then cat "$f"; fi
done
mysql -Nse "SHOW DATABASES LIKE 'lnmp_suite'"
mysql -Nse "SHOW GRANTS FOR 'lnmp_suite'@'localhost'" 2>&1
mysql -Nse "SELECT id, page FROM lnmp_suite.visits ORDER BY id" 2>&1
mysql -Nse "SELECT 'max_connections', @@GLOBAL.max_connections" 2>&1
stat -c '== %n %F %a %U %G' /srv/lnmp-suite-db /srv/lnmp-suite-db/backup.sql.gz 2>&1
zcat /srv/lnmp-suite-db/backup.sql.gz | sed -n '/^INSERT INTO/,/;$/p' 2>&1
curl -s http://127.0.0.1:8089/health http://127.0.0.1:8089/index.php
`

// TestE2ERolesSuite converges the LNMP role suite (testdata/roles-lnmp:
// roles in the layout of this field's public roles, with defaults, meta
// dependencies, handlers, .j2 templates, blocks with rescue, with_items
// and with_dict, FQCN names, apt, find, set_fact, service, uri, mysql_db
// (present, import and dump), mysql_user and mysql_variables) on the lab's real servers:
// lvslab on the first, twice (the second run changes nothing),
// ansible-playbook 2.14 on the second.
// Both must leave the same files, database and grants; then each tool,
// run on the host the other converged, changes nothing. down.yml removes
// the suite at the end.
func TestE2ERolesSuite(t *testing.T) {
	inv := e2eInventory(t)
	ap, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Skip("ansible-playbook not installed: no oracle")
	}
	bin := e2eBinary(t)
	rs := labHostsOf(t, inv, "realservers")
	if len(rs) < 2 {
		t.Skipf("%s has %d real server(s): the suite needs two", inv, len(rs))
	}
	mine, theirs := rs[0], rs[1]
	site, err := filepath.Abs("testdata/roles-lnmp/site.yml")
	if err != nil {
		t.Fatal(err)
	}
	down := filepath.Join(filepath.Dir(site), "down.yml")
	prep := filepath.Join(t.TempDir(), "prep.yml")
	// What Ansible's modules need on the host: python3, python3-apt
	// (apt), python3-pymysql (mysql_db, mysql_user).
	if err := os.WriteFile(prep, []byte("- hosts: "+mine.name+":"+theirs.name+"\n  gather_facts: false\n  tasks:\n"+
		"    - package: {name: [python3, python3-apt, python3-pymysql], state: present}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustOK(t, runLvslab(t, bin, "run", "-i", inv, "--output", "json", prep), "python3 for Ansible")
	t.Cleanup(func() { mustOK(t, runLvslab(t, bin, "run", "-i", inv, "-l", mine.name+":"+theirs.name, down), "the suite removed") })

	first := runLvslab(t, bin, "run", "-i", inv, "-l", mine.name, "--output", "json", site)
	mustOK(t, first, "the suite with lvslab")
	if first.totalChanged() == 0 {
		t.Errorf("lvslab's first run changed nothing")
	}
	again := runLvslab(t, bin, "run", "-i", inv, "-l", mine.name, "--output", "json", site)
	mustOK(t, again, "the suite with lvslab again")
	if n := again.totalChanged(); n != 0 {
		t.Errorf("lvslab's second run: %d changed: %s", n, strings.Join(again.changed, "; "))
	}
	if changed, out := ansibleOn(t, ap, theirs, inv, site, ""); len(changed) == 0 {
		t.Errorf("ansible-playbook's first run on %s changed nothing:\n%s", theirs.name, tail(out, 3000))
	}
	a, b := mine.state(t, suiteState), theirs.state(t, suiteState)
	if a != b {
		t.Errorf("lvslab on %s and ansible-playbook on %s left different states:\nlvslab:\n%s\nansible:\n%s", mine.name, theirs.name, a, b)
	}
	for _, want := range []string{"listen = /run/php/php-lnmp-suite.sock", "lnmp_suite", "GRANT ALL PRIVILEGES ON `lnmp_suite`.*", "1\t/\n2\t/index.php", "max_connections\t180",
		"INSERT INTO `visits` VALUES\n(1,'/'),\n(2,'/index.php');", "ok\nlnmp suite 8"} {
		if !strings.Contains(a, want) {
			t.Errorf("the suite's state lacks %q:\n%s", want, a)
		}
	}
	cross := runLvslab(t, bin, "run", "-i", inv, "-l", theirs.name, "--output", "json", site)
	mustOK(t, cross, "lvslab on the host ansible-playbook converged")
	if n := cross.totalChanged(); n != 0 {
		t.Errorf("lvslab on %s after ansible-playbook: %d changed: %s", theirs.name, n, strings.Join(cross.changed, "; "))
	}
	if changed, out := ansibleOn(t, ap, mine, inv, site, ""); len(changed) != 0 {
		t.Errorf("ansible-playbook on %s after lvslab: changed %s\n%s", mine.name, strings.Join(changed, "; "), tail(out, 3000))
	}
}
