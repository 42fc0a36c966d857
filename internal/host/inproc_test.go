package host_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"lvslab/internal/host"
)

// inproc is an in-process SSH server that accepts one password, by the
// password or the keyboard-interactive method, and runs exec requests with
// sh -c as the test's own user. It records every command and its stdin.
type inproc struct {
	addr     string
	port     int
	mu       sync.Mutex
	commands []string
	stdins   []string
	env      []string // the commands' environment when set
}

func startInproc(t *testing.T, password string, keyboardOnly bool) *inproc {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	cfg := &ssh.ServerConfig{}
	if keyboardOnly {
		cfg.KeyboardInteractiveCallback = func(c ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := ask(c.User(), "", []string{"Password: "}, []bool{false})
			if err != nil || len(answers) != 1 || answers[0] != password {
				return nil, errors.New("wrong password")
			}
			return nil, nil
		}
	} else {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if string(pw) != password {
				return nil, errors.New("wrong password")
			}
			return nil, nil
		}
	}
	cfg.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &inproc{addr: "127.0.0.1", port: l.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c, cfg)
		}
	}()
	return s
}

func (s *inproc) config(user, password string) host.SSHConfig {
	return host.SSHConfig{Name: "inproc", Addr: s.addr, Port: s.port, User: user, Password: password,
		HostKeyChecking: host.HostKeyOff, Timeout: 5 * time.Second}
}

func (s *inproc) serve(c net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		c.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "no")
			continue
		}
		ch, reqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go s.session(ch, reqs)
	}
}

func (s *inproc) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var cmd *exec.Cmd
	exited := make(chan int, 1)
	for req := range reqs {
		switch req.Type {
		case "exec":
			if cmd != nil || len(req.Payload) < 4 {
				_ = req.Reply(false, nil)
				continue
			}
			line := string(req.Payload[4:])
			cmd = exec.Command("/bin/sh", "-c", line)
			s.mu.Lock()
			cmd.Env = s.env
			s.mu.Unlock()
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			// Stdin through a pipe, so that the command's end does not
			// wait for the client's EOF (as sshd).
			stdin := &lockedBuilder{}
			in, err := cmd.StdinPipe()
			if err != nil {
				_ = req.Reply(false, nil)
				return
			}
			cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
			if err := cmd.Start(); err != nil {
				_ = req.Reply(false, nil)
				return
			}
			go func() {
				_, _ = io.Copy(in, io.TeeReader(ch, stdin))
				in.Close()
			}()
			_ = req.Reply(true, nil)
			go func() {
				_ = cmd.Wait()
				s.mu.Lock()
				s.commands = append(s.commands, line)
				s.stdins = append(s.stdins, stdin.String())
				s.mu.Unlock()
				exited <- cmd.ProcessState.ExitCode()
			}()
			go func() {
				code := <-exited
				status := make([]byte, 4)
				binary.BigEndian.PutUint32(status, uint32(code))
				_, _ = ch.SendRequest("exit-status", false, status)
				ch.Close()
			}()
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// lockedBuilder is a strings.Builder written and read by two goroutines.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (s *inproc) recorded() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...), append([]string(nil), s.stdins...)
}

func TestPasswordAuth(t *testing.T) {
	t.Parallel()
	for _, kbd := range []bool{false, true} {
		srv := startInproc(t, "s3cret", kbd)
		h := dial(t, srv.config("alice", "s3cret"))
		if got := run(t, h, "echo ok"); got != "ok" {
			t.Errorf("keyboard-interactive %v: %q", kbd, got)
		}
		_, err := host.Dial(context.Background(), srv.config("alice", "wrong"))
		wantUnreachable(t, err, "inproc")
	}
}

// TestBecomeStdinFeeding checks the sudo command line and its stdin: the
// password is the first line of stdin and nowhere in the command, and the
// command reads exactly the caller's stdin. The in-process server runs the
// commands as root, whose sudo reads no password: the wrapper skips it.
func TestBecomeStdinFeeding(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sudo"); err != nil {
		t.Skip("no sudo")
	}
	srv := startInproc(t, "pw", false)
	if !isRoot() {
		t.Skip("needs root to run sudo without a password")
	}
	cfg := srv.config("deploy", "pw")
	cfg.Become = host.Become{Password: "bec'ome pass"}
	h := dial(t, cfg)
	become := host.Become{Enabled: true}
	res, err := h.Run(context.Background(), "id -un; cat", host.RunOpts{Become: become, Stdin: strings.NewReader("line1\nline2")})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	if res.Stdout != "root\nline1\nline2" {
		t.Errorf("stdout %q: the command must read only the given stdin", res.Stdout)
	}
	cmds, stdins := srv.recorded()
	last := len(cmds) - 1
	if !strings.HasPrefix(cmds[last], "echo lvslab-pid:$$ >&2; sudo -S -p '' -u root -- sh -c '") {
		t.Errorf("command %q", cmds[last])
	}
	if strings.Contains(cmds[last], "ome pass") {
		t.Errorf("the password is in the command line: %q", cmds[last])
	}
	if !strings.HasPrefix(stdins[last], "bec'ome pass\nlvslab-stdin-") || !strings.HasSuffix(stdins[last], "\nline1\nline2") {
		t.Errorf("stdin %q", stdins[last])
	}

	// Without a password sudo must not prompt.
	res, err = h.Run(context.Background(), "id -un", host.RunOpts{Become: host.Become{Enabled: true, User: "nobody", Password: "x"}})
	if err != nil || res.Stdout != "nobody\n" {
		t.Errorf("become nobody: %+v, %v", res, err)
	}
	cfg.User = "root"            // root's sudo takes no password: none is sent
	cfg.SessionPerCommand = true // the exec requests show the wrapping
	h = dial(t, cfg)
	res, err = h.Run(context.Background(), "id -un", host.RunOpts{Become: host.Become{Enabled: true, User: "nobody"}})
	if err != nil || res.Stdout != "nobody\n" {
		t.Errorf("root becoming nobody: %+v, %v", res, err)
	}
	cmds, stdins = srv.recorded()
	if !strings.Contains(cmds[len(cmds)-1], "sudo -n -u nobody -- sh -c ") || stdins[len(stdins)-1] != "" {
		t.Errorf("root becoming nobody ran %q with stdin %q", cmds[len(cmds)-1], stdins[len(stdins)-1])
	}
	// Becoming the connecting user runs the command as is.
	res, err = h.Run(context.Background(), "id -un", host.RunOpts{Become: host.Become{Enabled: true}})
	if err != nil || res.Stdout != "root\n" {
		t.Errorf("root becoming root: %+v, %v", res, err)
	}
	cmds, _ = srv.recorded()
	if got := cmds[len(cmds)-1]; !strings.HasPrefix(got, "echo lvslab-pid:$$ >&2; ") || !strings.Contains(got, "(\nid -un\n)") || strings.Contains(got, "sudo") {
		t.Errorf("root becoming root ran %q", got)
	}
}
