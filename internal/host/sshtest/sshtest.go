// Package sshtest starts real OpenSSH sshd processes on loopback for tests
// of the transport and of everything above it.
//
// Each Server listens on 127.0.0.1 on a free port with its own ed25519 host
// key, accepts a generated client key for root (and for any other user: the
// AuthorizedKeysFile is one test-owned file), and runs in its own mount
// namespace with an empty directory bind-mounted over /root, so that
// commands do not pay for root's shell start-up files. Tests are skipped,
// with the reason, under go test -short, when not run as root or when
// /usr/sbin/sshd is missing (Require).
package sshtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"lvslab/internal/host"
)

// SSHD is the OpenSSH server binary the servers run.
const SSHD = "/usr/sbin/sshd"

// Options tunes a Server. The zero value is a plain server.
type Options struct {
	// Netns runs sshd inside this named network namespace (ip netns exec);
	// it must have lo up. The server is then not reachable from the test
	// process's namespace.
	Netns string
	// Port to listen on; 0 picks a free one.
	Port int
	// HostKey to use; nil generates one.
	HostKey ed25519.PrivateKey
	// HostCertificate is a certificate of HostKey (OpenSSH's -cert.pub
	// format, as ssh-keygen -s CA -h writes it) that sshd presents.
	HostCertificate []byte
	// AuthorizedKeys are accepted besides the generated client key.
	AuthorizedKeys []ssh.PublicKey
	// NoSFTP leaves out the sftp subsystem.
	NoSFTP bool
	// Config holds extra sshd_config lines.
	Config []string
}

// Server is a running sshd.
type Server struct {
	Addr           string        // 127.0.0.1
	Port           int           // listening port
	User           string        // root
	HostKey        ssh.PublicKey // the server's host key
	HostKeyPub     string        // the host key in authorized_keys format
	HostKeyPriv    ed25519.PrivateKey
	KeyFile        string     // the client's private key (OpenSSH format, unencrypted)
	ClientKey      ssh.Signer // the same key
	KnownHostsFile string     // a known_hosts file that holds the host key
	LogFile        string     // sshd's log (LogLevel VERBOSE)
	Dir            string     // the server's files
	Netns          string

	t      testing.TB
	cmd    *exec.Cmd
	mu     sync.Mutex
	done   chan struct{}
	starts int // how often the log says sshd listens, before this start
}

// Start starts an sshd for the test and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	// Not t.TempDir: sshd reads the authorized keys as the logging-in user,
	// so the directory must be searchable by all.
	dir, err := os.MkdirTemp("", "sshtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: "127.0.0.1", Port: opts.Port, User: "root", Dir: dir, Netns: opts.Netns, t: t,
		LogFile: filepath.Join(dir, "sshd.log"), KnownHostsFile: filepath.Join(dir, "known_hosts"),
		KeyFile: filepath.Join(dir, "id_ed25519"), done: make(chan struct{})}
	hostPriv := opts.HostKey
	if hostPriv == nil {
		hostPriv = newKey(t)
	}
	s.HostKeyPriv = hostPriv
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	s.HostKey = hostSigner.PublicKey()
	s.HostKeyPub = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey)))
	writeKey(t, filepath.Join(dir, "host_ed25519"), hostPriv)
	if opts.HostCertificate != nil {
		write(t, filepath.Join(dir, "host_ed25519-cert.pub"), opts.HostCertificate, 0o644)
	}
	clientPriv := newKey(t)
	writeKey(t, s.KeyFile, clientPriv)
	if s.ClientKey, err = ssh.NewSignerFromKey(clientPriv); err != nil {
		t.Fatal(err)
	}
	var auth bytes.Buffer
	for _, k := range append([]ssh.PublicKey{s.ClientKey.PublicKey()}, opts.AuthorizedKeys...) {
		auth.Write(ssh.MarshalAuthorizedKey(k))
	}
	write(t, filepath.Join(dir, "authorized_keys"), auth.Bytes(), 0o644)
	if s.Port == 0 {
		s.Port = freePort(t)
	}
	write(t, s.KnownHostsFile, []byte(knownhosts.Line([]string{knownhosts.Normalize(s.HostPort())}, s.HostKey)+"\n"), 0o600)
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sshd_config")
	write(t, cfg, []byte(s.config(opts)), 0o644)
	// sshd insists on its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	s.start(home, cfg)
	t.Cleanup(s.Stop)
	return s
}

// Require skips the test, saying why, unless real sshd servers can be
// started: not under go test -short (the fast loop), as root, with
// /usr/sbin/sshd installed.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("sshtest: -short leaves out the tests against a real sshd")
	}
	if os.Geteuid() != 0 {
		t.Skip("sshtest: real sshd tests need root (mount namespaces, root logins)")
	}
	if _, err := os.Stat(SSHD); err != nil {
		t.Skipf("sshtest: %s is missing (apt-get install openssh-server)", SSHD)
	}
}

// SudoUser creates a throwaway login user that may sudo (without a
// password when password is empty, else with it) and removes the user,
// its processes and its sudoers rule when the test ends. The rule is
// checked with visudo before it is installed. It skips the test where
// that cannot be done, saying why.
func SudoUser(t testing.TB, password string) string {
	t.Helper()
	Require(t)
	for _, tool := range []string{"visudo", "sudo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("sshtest: no %s for a sudo user", tool)
		}
	}
	if _, err := os.Stat("/etc/sudoers.d"); err != nil {
		t.Skip("sshtest: no /etc/sudoers.d for a sudo user")
	}
	name := newUser(t, "lvslabt", password)
	rule := name + " ALL=(ALL:ALL) NOPASSWD: ALL\n"
	if password != "" {
		rule = name + " ALL=(ALL:ALL) ALL\n"
	}
	rule = "Defaults:" + name + " !lecture, !mail_badpass, passwd_tries=1\n" + rule
	dir, err := os.MkdirTemp("", "sshtest-sudoers-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "sudoers")
	write(t, tmp, []byte(rule), 0o440)
	if out, err := exec.Command("visudo", "-cf", tmp).CombinedOutput(); err != nil {
		t.Fatalf("sshtest: visudo: %v: %s", err, out)
	}
	file := "/etc/sudoers.d/lvslab-test-" + name
	write(t, file, []byte(rule), 0o440)
	t.Cleanup(func() { os.Remove(file) })
	return name
}

// User creates a throwaway login user with a password (none when password
// is empty), who may not sudo, for tests of su; it removes the user and
// its processes when the test ends, and skips the test where that cannot
// be done, saying why.
func User(t testing.TB, password string) string {
	t.Helper()
	Require(t)
	return newUser(t, "lvslabu", password)
}

// newUser creates a login user named from prefix with password (none, not
// locked, when it is empty) and removes it, and its processes, when the
// test ends.
func newUser(t testing.TB, prefix, password string) string {
	t.Helper()
	for _, tool := range []string{"useradd", "userdel", "usermod", "chpasswd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("sshtest: no %s for a test user", tool)
		}
	}
	userSeq.Lock()
	userSeq.n++
	name := fmt.Sprintf("%s%d%c%d", prefix, os.Getpid()%100000, 'a'+userSeq.n%26, time.Now().UnixNano()%10000)
	userSeq.Unlock()
	if out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Skipf("sshtest: useradd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command("pkill", "-KILL", "-u", name).Run()
		if out, err := exec.Command("userdel", "-r", "-f", name).CombinedOutput(); err != nil {
			t.Logf("userdel %s: %v: %s", name, err, out)
		}
	})
	setpw := exec.Command("usermod", "-p", "*", name) // no password, not locked
	if password != "" {
		setpw = exec.Command("chpasswd")
		setpw.Stdin = strings.NewReader(name + ":" + password + "\n")
	}
	if out, err := setpw.CombinedOutput(); err != nil {
		t.Fatalf("sshtest: set the password of %s: %v: %s", name, err, out)
	}
	return name
}

// userSeq tells apart the users one test process creates.
var userSeq struct {
	sync.Mutex
	n int
}

func (s *Server) config(opts Options) string {
	lines := []string{
		"Port " + strconv.Itoa(s.Port),
		"ListenAddress " + s.Addr,
		"HostKey " + filepath.Join(s.Dir, "host_ed25519"),
		"AuthorizedKeysFile " + filepath.Join(s.Dir, "authorized_keys"),
		"PidFile none",
		"UsePAM no",
		"PrintMotd no",
		"PrintLastLog no",
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"StrictModes no",
		"UseDNS no",
		"LogLevel VERBOSE",
		"MaxStartups 100:30:200",
	}
	if opts.HostCertificate != nil {
		lines = append(lines, "HostCertificate "+filepath.Join(s.Dir, "host_ed25519-cert.pub"))
	}
	if !opts.NoSFTP {
		lines = append(lines, "Subsystem sftp /usr/lib/openssh/sftp-server")
	}
	lines = append(lines, opts.Config...)
	return strings.Join(lines, "\n") + "\n"
}

func (s *Server) start(home, cfg string) {
	t := s.t
	log, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	// Its own mount namespace (Go makes / private in it), a clean /root,
	// then exec: the process is sshd itself.
	args := []string{"sh", "-c", `mount --bind "$1" /root && exec ` + SSHD + ` -D -e -f "$2"`, "sh", home, cfg}
	if s.Netns != "" {
		args = append([]string{"ip", "netns", "exec", s.Netns}, args...)
	}
	s.cmd = exec.Command(args[0], args[1:]...)
	s.starts = strings.Count(s.Log(), fmt.Sprintf("Server listening on %s port %d", s.Addr, s.Port))
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("sshtest: start sshd: %v", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	ready := fmt.Sprintf("Server listening on %s port %d", s.Addr, s.Port)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.Log(), ready) <= s.starts {
		select {
		case <-s.done:
			t.Fatalf("sshtest: sshd exited:\n%s", s.Log())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatalf("sshtest: sshd not listening after 10s:\n%s", s.Log())
		}
	}
}

// HostPort returns Addr:Port.
func (s *Server) HostPort() string { return net.JoinHostPort(s.Addr, strconv.Itoa(s.Port)) }

// SSHConfig returns settings that connect to the server as root with the
// client key, checking the host key strictly against KnownHostsFile.
func (s *Server) SSHConfig() host.SSHConfig {
	return host.SSHConfig{
		Name:            "sshd-" + strconv.Itoa(s.Port),
		Addr:            s.Addr,
		Port:            s.Port,
		User:            s.User,
		KeyFiles:        []string{s.KeyFile},
		KnownHostsFile:  s.KnownHostsFile,
		HostKeyChecking: host.HostKeyStrict,
		Timeout:         5 * time.Second,
		Netns:           s.Netns,
	}
}

// Vars returns Ansible inventory variables that reach the server, for
// tests that go through the inventory.
func (s *Server) Vars() map[string]any {
	v := map[string]any{
		"ansible_host":                 s.Addr,
		"ansible_port":                 s.Port,
		"ansible_user":                 s.User,
		"ansible_ssh_private_key_file": s.KeyFile,
		"ansible_ssh_common_args":      "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=" + s.KnownHostsFile,
	}
	if s.Netns != "" {
		v["lvslab_netns"] = s.Netns
	}
	return v
}

// Log returns what sshd logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogFile)
	return string(b)
}

// Connections returns how many logins the server accepted.
func (s *Server) Connections() int {
	log := s.Log()
	return strings.Count(log, "Accepted publickey") + strings.Count(log, "Accepted password")
}

// Stop kills sshd and every process it started (connections and their
// commands), as a host that goes away. It is idempotent.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return
	default:
	}
	// Stopped first, nothing can report the end of its commands. A process
	// whose parent was exiting meanwhile is no longer in the tree: it is
	// killed by the pid it had when stopped, or it would stay stopped.
	stopped := s.signalTree(syscall.SIGSTOP)
	s.signalTree(syscall.SIGKILL)
	for _, pid := range stopped {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Errorf("sshtest: sshd %d did not exit", s.cmd.Process.Pid)
	}
}

// Restart stops sshd as Stop does, waits down, and starts it again on
// the same port with the same keys and configuration: a host that
// reboots, as its clients see it.
func (s *Server) Restart(down time.Duration) {
	s.Stop()
	time.Sleep(down)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = make(chan struct{})
	s.start(filepath.Join(s.Dir, "home"), filepath.Join(s.Dir, "sshd_config"))
}

// Freeze stops (SIGSTOP) sshd and its connections: the port still accepts
// TCP connections, but nothing answers. Thaw undoes it.
func (s *Server) Freeze() { s.signalTree(syscall.SIGSTOP) }

// Thaw continues (SIGCONT) what Freeze stopped.
func (s *Server) Thaw() { s.signalTree(syscall.SIGCONT) }

// DropConnections kills (SIGKILL) the sshd processes that serve the
// current connections, as a network that drops them: each client sees its
// connection end, while the commands those connections started (shells,
// sftp-server) live on and see their input end, as they do when a real
// connection drops. The server keeps listening. It returns how many sshd
// processes it killed.
func (s *Server) DropConnections() int {
	n := 0
	pids := descendants(s.cmd.Process.Pid)[1:]
	// Frozen (Freeze) commands must go on once orphaned, to see their end.
	defer func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	for _, pid := range pids {
		comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "sshd" {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

// Pids returns sshd's process id and those of every process it started,
// parents first.
func (s *Server) Pids() []int { return descendants(s.cmd.Process.Pid) }

// signalTree sends sig to sshd's processes, children before their parent,
// and returns their pids.
func (s *Server) signalTree(sig syscall.Signal) []int {
	pids := descendants(s.cmd.Process.Pid)
	for i := len(pids) - 1; i >= 0; i-- {
		_ = syscall.Kill(pids[i], sig)
	}
	return pids
}

// descendants returns pid and its descendants, parents first.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// KillDuring starts client (a process that runs a command on a server) and
// waits up to 30s for a process whose command line holds marker (arguments
// separated by NUL, as in /proc/PID/cmdline) to run; then it kills client
// with SIGKILL and waits up to 10s for every such process to be gone. It
// returns what client printed and an error when the process never ran or
// outlived the kill (it is killed then).
func KillDuring(client *exec.Cmd, marker string) (string, error) {
	var out bytes.Buffer
	client.Stdout, client.Stderr = &out, &out
	if err := client.Start(); err != nil {
		return "", err
	}
	if !poll(30*time.Second, func() bool { return len(CommandsWith(marker)) > 0 }) {
		_ = client.Process.Kill()
		_ = client.Wait()
		return out.String(), fmt.Errorf("no process %q ran", marker)
	}
	_ = client.Process.Signal(syscall.SIGKILL)
	_ = client.Wait()
	if !poll(10*time.Second, func() bool { return len(CommandsWith(marker)) == 0 }) {
		pids := CommandsWith(marker)
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		return out.String(), fmt.Errorf("processes %v (%q) still ran 10s after their client was killed", pids, marker)
	}
	return out.String(), nil
}

// CommandsWith returns the pids of the processes whose command line holds s.
func CommandsWith(s string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && bytes.Contains(b, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// poll checks cond every 50ms for up to d and reports whether it held.
func poll(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// NewKey returns a new ed25519 key, for a host key or a certificate
// authority.
func NewKey(t testing.TB) ed25519.PrivateKey { return newKey(t) }

// WriteKey writes key to file in OpenSSH's private key format (mode 0600),
// as ssh-keygen reads it.
func WriteKey(t testing.TB, file string, key ed25519.PrivateKey) { writeKey(t, file, key) }

func newKey(t testing.TB) ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func writeKey(t testing.TB, file string, key ed25519.PrivateKey) {
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	write(t, file, pem.EncodeToMemory(block), 0o600)
}

func write(t testing.TB, file string, data []byte, mode os.FileMode) {
	if err := os.WriteFile(file, data, mode); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on.
func FreePort(t testing.TB) int { return freePort(t) }
