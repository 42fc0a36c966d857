package host_test

import (
	"context"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// TestBecomeRealSu becomes another user with su, the password on stdin
// without a terminal, through a real sshd: the command's stdin is exactly
// the input, su's prompt is not in stderr, a wrong password fails the
// command, and root's su asks for no password.
func TestBecomeRealSu(t *testing.T) {
	t.Parallel()
	sshtest.Require(t)
	const password = "Lvs-su 'pw'"
	from := sshtest.User(t, "")
	to := sshtest.User(t, password)
	srv := sshtest.Start(t, sshtest.Options{})
	cfg := srv.SSHConfig()
	cfg.User = from
	h := dial(t, cfg)
	ctx := context.Background()
	su := host.Become{Enabled: true, User: to, Password: password, Method: "su"}

	res, err := h.Run(ctx, "id -un; cat; echo oops >&2", host.RunOpts{Become: su, Stdin: strings.NewReader("in\nput")})
	if err != nil || res.ExitCode != 0 || res.Stdout != to+"\nin\nput" || res.Stderr != "oops\n" {
		t.Errorf("su to %s: %+v, %v", to, res, err)
	}
	// Without input: the worker is not used (the password is stdin).
	res, err = h.Run(ctx, "id -un", host.RunOpts{Become: su})
	if err != nil || res.ExitCode != 0 || res.Stdout != to+"\n" || res.Stderr != "" {
		t.Errorf("su without input: %+v, %v", res, err)
	}
	bad := su
	bad.Password = "wrong"
	res, err = h.Run(ctx, "id -un", host.RunOpts{Become: bad})
	if err != nil || res.ExitCode == 0 || !strings.Contains(res.Stderr, "Authentication failure") {
		t.Errorf("wrong password: %+v, %v; want su's failure", res, err)
	}
	// Files go through the same escalation.
	var buf strings.Builder
	if err := h.Download(ctx, "/etc/hostname", &buf, su); err != nil || buf.Len() == 0 {
		t.Errorf("download as %s: %q, %v", to, buf.String(), err)
	}

	// root's su asks for no password, and the password given is not read.
	rootH := dial(t, srv.SSHConfig())
	res, err = rootH.Run(ctx, "id -un; cat", host.RunOpts{Become: host.Become{Enabled: true, User: to, Method: "su", Password: password}, Stdin: strings.NewReader("x")})
	if err != nil || res.ExitCode != 0 || res.Stdout != to+"\nx" {
		t.Errorf("root su to %s: %+v, %v", to, res, err)
	}
}

func TestBecomeMethodFromVars(t *testing.T) {
	b, err := host.BecomeFromVars("h", map[string]any{"ansible_become_method": "su", "ansible_become_flags": "-l"})
	if err != nil || b.Method != "su" || b.Flags != "-l" {
		t.Errorf("got %+v, %v", b, err)
	}
	if _, err := host.BecomeFromVars("h", map[string]any{"ansible_become_method": "doas"}); err == nil || !strings.Contains(err.Error(), "sudo and su") {
		t.Errorf("doas: %v", err)
	}
}
