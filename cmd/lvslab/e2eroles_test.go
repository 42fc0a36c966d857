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
	mine := d.state(t)

	changed, out := ansibleOn(t, ap, d, inv, role)
	if len(changed) != 0 {
		t.Errorf("ansible-playbook on the host lvslab converged: changed %s\n%s", strings.Join(changed, "; "), tail(out, 4000))
	}
	if theirs := d.state(t); theirs != mine {
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
// inventory (lvslab lab create's layout: connection variables under
// all.vars, ansible_host and lvslab_netns on the host).
func labDirector(t *testing.T, inv string) labHost {
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
	hosts := doc.All.Children["director"].Hosts
	var names []string
	for n := range hosts {
		names = append(names, n)
	}
	if len(names) == 0 {
		t.Fatalf("%s: no host in the director group", inv)
	}
	sort.Strings(names)
	h := hosts[names[0]]
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	d := labHost{name: names[0], addr: str(h, "ansible_host"), netns: str(h, "lvslab_netns"),
		key: str(doc.All.Vars, "ansible_ssh_private_key_file"), commonArgs: str(doc.All.Vars, "ansible_ssh_common_args")}
	if d.addr == "" || d.key == "" {
		t.Fatalf("%s: director %s has no ansible_host or the lab has no key: %+v", inv, d.name, d)
	}
	return d
}

// inNetns prefixes a command with nsenter into the host's network
// namespace, when the inventory names one.
func (d labHost) inNetns(cmd ...string) *exec.Cmd {
	if d.netns == "" {
		return exec.Command(cmd[0], cmd[1:]...)
	}
	return exec.Command("nsenter", append([]string{"--net=/run/netns/" + d.netns}, cmd...)...)
}

// state is what mongodb_linux sets on the host, as text: the files it
// writes and the kernel settings it changes.
func (d labHost) state(t *testing.T) string {
	t.Helper()
	const script = `for f in /etc/security/limits.conf /etc/systemd/system/disable-transparent-huge-pages.service /etc/sysctl.conf /etc/sysctl.d/99-lvslab.conf; do
  echo "== $f"; if [ -e "$f" ]; then stat -c '%a %U %G' "$f"; cat "$f"; else echo absent; fi
done
sysctl vm.swappiness vm.zone_reclaim_mode vm.dirty_ratio vm.dirty_background_ratio net.core.somaxconn net.ipv4.tcp_fin_timeout net.ipv4.tcp_keepalive_intvl net.ipv4.tcp_keepalive_time net.ipv4.tcp_max_syn_backlog
cat /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/defrag
systemctl is-enabled disable-transparent-huge-pages; systemctl is-active ntp
`
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
// network namespace and returns the tasks it changed ("task: host") and
// its output.
func ansibleOn(t *testing.T, ap string, d labHost, inv, playbook string) ([]string, string) {
	t.Helper()
	cmd := d.inNetns(ap, "-i", inv, "-l", d.name, playbook)
	// No ControlPersist master: it would keep ansible-playbook's stdout open
	// (and Output waiting) for a minute after the run.
	cmd.Env = append(os.Environ(), "ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0",
		"ANSIBLE_ROLES_PATH="+mongodbRoles, "ANSIBLE_PYTHON_INTERPRETER=auto_silent", "ANSIBLE_SSH_ARGS=-o ControlMaster=no")
	cmd.WaitDelay = 30 * time.Second
	out, err := cmd.Output()
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
