package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// BecomeFromVars reads the escalation that Ansible's become variables of the
// inventory host name ask for: ansible_become (a boolean, as ansible.ParseBool
// reads it), ansible_become_user (default root) and ansible_become_password
// (or ansible_become_pass). Every wrong value is reported, each a *VarError.
func BecomeFromVars(name string, vars map[string]any) (Become, error) {
	p := varParser{host: name, vars: vars}
	b := p.become()
	if b.User == "" {
		b.User = "root"
	}
	return b, errors.Join(p.errs...)
}

func (p *varParser) become() Become {
	var b Become
	if v, ok := p.bool("ansible_become"); ok {
		b.Enabled = v
	}
	b.User, _ = p.str("ansible_become_user")
	b.Password, _ = p.str("ansible_become_password", "ansible_become_pass")
	if strings.ContainsAny(b.Password, "\r\n") {
		p.errorf("ansible_become_password", "must not contain a line break")
	}
	b.Method, _ = p.str("ansible_become_method")
	if err := CheckBecomeMethod(b.Method); err != nil {
		p.errorf("ansible_become_method", "%v", err)
	}
	b.Exe, _ = p.str("ansible_become_exe")
	b.Flags, _ = p.str("ansible_become_flags")
	return b
}

// CheckBecomeMethod reports a become method lvslab has not: it becomes
// with sudo ("" is sudo) and su.
func CheckBecomeMethod(m string) error {
	switch m {
	case "", "sudo", "su":
		return nil
	}
	return fmt.Errorf("become method %q: lvslab becomes with sudo and su", m)
}

// withDefaults fills the method, program and flags b leaves empty from def
// (the host's inventory escalation).
func (b Become) withDefaults(def Become) Become {
	if b.Method == "" {
		b.Method = def.Method
	}
	if b.Exe == "" && b.Method == def.Method {
		b.Exe = def.Exe
	}
	if b.Flags == "" && b.Method == def.Method {
		b.Flags = def.Flags
	}
	return b
}

// WithBecome returns an Executor that escalates as b every operation of e
// that does not ask for escalation itself.
func WithBecome(e Executor, b Become) Executor { return becomeExec{Executor: e, b: b} }

type becomeExec struct {
	Executor
	b Become
}

func (e becomeExec) Run(ctx context.Context, cmd string, opts RunOpts) (Result, error) {
	if !opts.Become.Enabled {
		opts.Become = e.b
	}
	return e.Executor.Run(ctx, cmd, opts)
}

func (e becomeExec) Upload(ctx context.Context, r io.Reader, dst string, opts FileOpts) error {
	if !opts.Become.Enabled {
		opts.Become = e.b
	}
	return e.Executor.Upload(ctx, r, dst, opts)
}

func (e becomeExec) Download(ctx context.Context, src string, w io.Writer, b Become) error {
	if !b.Enabled {
		b = e.b
	}
	return e.Executor.Download(ctx, src, w, b)
}
