package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/report"
)

// runWith runs yml on inv with real SSH connections, and local ones for
// ansible_connection local (delegate_to: localhost).
func runWith(t *testing.T, inv Inventory, yml string, tune func(*Options)) (*recorder, *Runner, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "play.yml")
	os.WriteFile(path, []byte(yml), 0o644)
	reg := module.Default()
	pb, err := playbook.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	opts := Options{Inventory: inv, Modules: reg, Reporter: rec,
		Connect: func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
			if vars["ansible_connection"] == "local" {
				return host.NewLocal(name, vars)
			}
			cfg, err := host.ConfigFromVars(name, vars, host.Defaults{})
			if err != nil {
				return nil, err
			}
			cfg.Timeout = 5 * time.Second
			return host.Dial(ctx, cfg)
		}}
	if tune != nil {
		tune(&opts)
	}
	if err := Prepare([]*playbook.Playbook{pb}, opts); err != nil {
		return rec, nil, err
	}
	r := New(opts)
	err = r.Run(context.Background(), []*playbook.Playbook{pb})
	r.Close()
	return rec, r, err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestDelegationOnRealSSHD: delegate_to another host runs on its
// connection, local_action on the controller, run_once on the first host,
// environment is exported, check_mode and meta end_host per task,
// remote_user opens a connection as that user, ignore_unreachable keeps
// the host.
func TestDelegationOnRealSSHD(t *testing.T) {
	f := newFleet(t, 2, 2, 0, 1)
	a, b := f.healthy[0], f.healthy[1]
	f.inv.groups["ok"] = f.healthy
	f.inv.groups["down"] = f.down
	local := filepath.Join(t.TempDir(), "local")
	bPort := fmt.Sprint(f.inv.vars[b]["ansible_port"])
	user := f.inv.vars[a]["ansible_user"]
	delete(f.inv.vars[b], "ansible_user") // remote_user applies where ansible_user is not set
	rec, r, err := runWith(t, f.inv, `- hosts: ok
  gather_facts: false
  remote_user: `+fmt.Sprint(user)+`
  environment: {PLAYENV: p}
  vars: {other: `+b+`}
  tasks:
    - name: env
      shell: echo "$PLAYENV $TASKENV" > {{ root }}/env
      environment: {TASKENV: "{{ inventory_hostname }}"}
    - name: delegated
      shell: echo {{ inventory_hostname }} ${SSH_CONNECTION##* } >> {{ hostvars['`+b+`'].root }}/delegated
      delegate_to: "{{ other }}"
    - name: local
      local_action: shell echo {{ inventory_hostname }} >> `+local+`
    - name: once
      shell: echo once >> {{ root }}/once
      run_once: true
      register: once
    - name: checked
      shell: echo x > {{ root }}/checked
      check_mode: true
    - meta: end_host
      when: inventory_hostname == '`+b+`'
    - name: after
      shell: touch {{ root }}/after
- hosts: down
  gather_facts: false
  tasks:
    - shell: "true"
      ignore_unreachable: true
    - name: second
      shell: "true"
      ignore_unreachable: true
`, nil)
	if err != nil {
		t.Fatalf("run: %v %+v", err, rec.results)
	}
	ra, rb := f.roots[a], f.roots[b]
	if got := readFile(t, filepath.Join(ra, "env")) + readFile(t, filepath.Join(rb, "env")); got != "p "+a+"\np "+b+"\n" {
		t.Errorf("env %q", got)
	}
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(rb, "delegated"))), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], " "+bPort) || !strings.HasSuffix(lines[1], " "+bPort) {
		t.Errorf("delegated ran on %q, want both on %s's port %s", lines, b, bPort)
	}
	if got := readFile(t, local); got != a+"\n"+b+"\n" && got != b+"\n"+a+"\n" {
		t.Errorf("local %q", got)
	}
	if readFile(t, filepath.Join(ra, "once")) != "once\n" || readFile(t, filepath.Join(rb, "once")) != "" {
		t.Error("run_once ran on more than the first host")
	}
	if _, err := os.Stat(filepath.Join(ra, "checked")); err == nil {
		t.Error("check_mode: true changed the host")
	}
	if _, err := os.Stat(filepath.Join(ra, "after")); err != nil {
		t.Error("end_host ended the other host too")
	}
	if _, err := os.Stat(filepath.Join(rb, "after")); err == nil {
		t.Error("end_host did not end its host")
	}
	if s := stats(r, f.down[0]); s.Unreachable != 0 || s.OK != 2 || s.Ignored != 2 {
		t.Errorf("ignore_unreachable: %+v", s)
	}

	// A remote_user that sshd does not know: that host's connection fails.
	_, _, err = runWith(t, f.inv, `- hosts: `+b+`
  gather_facts: false
  remote_user: nosuchuser
  tasks:
    - shell: "true"
`, nil)
	if !errors.Is(err, ErrHostsFailed) {
		t.Errorf("remote_user nosuchuser: %v", err)
	}
}

// TestNewKeywordsBeforeConnecting: a bad delegate_to host is found by
// Prepare, at its task, before any login.
func TestNewKeywordsBeforeConnecting(t *testing.T) {
	f := newFleet(t, 1, 1, 0, 0)
	_, _, err := runWith(t, f.inv, `- hosts: all
  gather_facts: false
  tasks:
    - shell: "true"
      delegate_to: nosuchhost
`, nil)
	if err == nil || !strings.Contains(err.Error(), "play.yml:4:7: delegate_to: \"nosuchhost\" is no host of the inventory") {
		t.Fatalf("err = %v", err)
	}
	if f.logins() != 0 {
		t.Fatal("connected before validating")
	}
	_ = report.OK
}
