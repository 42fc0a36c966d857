package host

import (
	"errors"
	"io"
	"strings"
)

// suReady is the line a command escalated with su writes on its stderr
// first: what su wrote before it (its "Password: " prompt, PAM's notes) is
// taken out of Result.Stderr (suStderr).
const suReady = "\x1elvslab-su-ready\n"

// suCommand wraps cmd in su, as Ansible's su become plugin runs it:
// "su [FLAGS] USER -c 'sh -c CMD'". su (util-linux, with PAM) reads the
// password from its stdin when there is no terminal, so no pty is needed:
// as with sudo, stdin starts with the password line and a marker line
// that the wrapper reads up to, so that cmd's stdin is exactly stdin
// whether su asked for the password (root's su asks none) or not. Without
// a password su runs with stdin as is; an su that asks then reads cmd's
// input (or /dev/null) and fails.
func suCommand(cmd string, b Become, stdin io.Reader) (string, io.Reader, error) {
	exe := b.Exe
	if exe == "" {
		exe = "su"
	}
	if b.Flags != "" {
		exe += " " + b.Flags
	}
	inner := "printf '\\036lvslab-su-ready\\n' >&2\n"
	var pre io.Reader
	if b.Password != "" {
		if strings.ContainsAny(b.Password, "\r\n") {
			return "", nil, errors.New("the become password contains a line break")
		}
		mark := "lvslab-stdin-" + randHex(8)
		inner += "while IFS= read -r lvslab_l; do [ \"$lvslab_l\" = " + mark + " ] && break; done; unset lvslab_l\n"
		pre = strings.NewReader(b.Password + "\n" + mark + "\n")
	}
	line := exe + " " + Quote(b.User) + " -c " + Quote("sh -c "+Quote(inner+cmd))
	switch {
	case pre == nil:
		return line, stdin, nil
	case stdin == nil:
		return line, pre, nil
	}
	return line, io.MultiReader(pre, stdin), nil
}

// suStderr takes out of a command's stderr what su wrote before the
// command started; when the command never started (a wrong password) su's
// messages are all there is and stay.
func suStderr(b *Become, stderr string) string {
	if b == nil || b.Method != "su" {
		return stderr
	}
	if i := strings.Index(stderr, suReady); i >= 0 {
		return stderr[i+len(suReady):]
	}
	return stderr
}
