package runner

import (
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// TestBecomeSuOnRealSSHD becomes another user with become_method su (the
// password from ansible_become_password), and with ansible.cfg's default
// escalation (Options.Become) where the play says nothing; a task's
// become: false still runs as the login user.
func TestBecomeSuOnRealSSHD(t *testing.T) {
	f := newSSHDFixture(t, "rs01")
	const password = "su-Pw 'x'"
	from, to := sshtest.User(t, ""), sshtest.User(t, password)
	v := f.inv.vars["rs01"]
	v["ansible_user"], v["ansible_become_password"], v["to_user"], v["from_user"] = from, password, to, from
	play := `- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - assert: {that: ["who.stdout == to_user"]}
    - command: id -un
      become: false
      register: me
    - assert: {that: ["me.stdout == from_user"]}
`
	keywords := "- hosts: all\n  become: true\n  become_method: su\n  become_user: \"{{ to_user }}\"" + play[len("- hosts: all"):]
	if rec, st, err := f.runPlaybook(t, keywords, nil); err != nil {
		t.Fatalf("su by keywords: %v %+v %+v", err, st, rec.results)
	}
	if _, st, err := f.runPlaybook(t, play, func(o *Options) {
		o.Become = host.Become{Enabled: true, User: to, Method: "su"}
	}); err != nil {
		t.Fatalf("su by ansible.cfg: %v %+v", err, st)
	}
	// The host's ansible_become_method is over ansible.cfg's.
	v["ansible_become_method"] = "sudo"
	if _, _, err := f.runPlaybook(t, play, func(o *Options) {
		o.Become = host.Become{Enabled: true, User: to, Method: "su"}
	}); err == nil {
		t.Fatal("sudo for a user who may not sudo ran")
	}
}
