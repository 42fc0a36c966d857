// Command floor measures what SSH itself allows on the benchmark hosts: one
// handshake per host (host key checked against a known_hosts file), then one
// session round trip per task, hosts in parallel, tasks in order per host; and
// optionally one SFTP upload over the same connection. It is the baseline
// that bench/run compares lvslab and ansible-core against.
//
//	floor -hosts 10.77.0.11:22,10.77.0.12:22 -key id_ed25519 -known-hosts kh -tasks 20
//
// It prints one JSON object.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sys/unix"
)

type result struct {
	Label          string         `json:"label,omitempty"`
	Hosts          int            `json:"hosts"`
	Tasks          int            `json:"tasks"`
	Command        string         `json:"command"`
	WallMS         float64        `json:"wall_ms"`
	HandshakeMedMS float64        `json:"handshake_median_ms"`
	HandshakeMaxMS float64        `json:"handshake_max_ms"`
	SessionMedMS   float64        `json:"session_median_ms"`
	SessionP90MS   float64        `json:"session_p90_ms"`
	UploadBytes    int64          `json:"upload_bytes,omitempty"`
	Uploads        []uploadResult `json:"uploads,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// options are the command line's settings.
type options struct {
	addrs     []string
	perHost   map[string]int // -host-tasks
	user      string
	keyFile   string
	known     string
	tasks     int
	cmd       string
	upload    int64
	uploadDir string
	label     string
	verbose   bool
	configs   string
	quickack  bool
}

func run() error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	cfg, err := clientConfig(o)
	if err != nil {
		return err
	}
	res, clients, err := roundTrips(o, cfg)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		return err
	}
	if o.upload > 0 {
		if err := uploads(o, clients[0], &res); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func parseFlags() (options, error) {
	hosts := flag.String("hosts", "", "comma-separated host:port list")
	user := flag.String("user", "root", "login user")
	keyFile := flag.String("key", "", "private key file")
	known := flag.String("known-hosts", "", "known_hosts file (strict checking)")
	tasks := flag.Int("tasks", 20, "session round trips per host")
	hostTasks := flag.String("host-tasks", "", "per-host round trips instead of -tasks: HOST:PORT=N,...")
	cmd := flag.String("cmd", "true", "command each session runs")
	upload := flag.Int64("upload", 0, "also upload this many random bytes over SFTP to -upload-dir (first host)")
	uploadDir := flag.String("upload-dir", "/var/tmp", "directory for the upload")
	label := flag.String("label", "", "label to put in the output")
	verbose := flag.Bool("v", false, "print every handshake and session time to stderr")
	configs := flag.String("upload-configs", "32768:64,32768:1,261120:1,261120:4",
		"SFTP write configurations to upload with, PACKET:CONCURRENCY,... (32768:64 is pkg/sftp's UseConcurrentWrites default)")
	quickack := flag.Bool("quickack", false, "re-arm TCP_QUICKACK after every read (no delayed ACKs)")
	flag.Parse()
	o := options{addrs: strings.Split(*hosts, ","), perHost: map[string]int{}, user: *user, keyFile: *keyFile,
		known: *known, tasks: *tasks, cmd: *cmd, upload: *upload, uploadDir: *uploadDir, label: *label,
		verbose: *verbose, configs: *configs, quickack: *quickack}
	if *hostTasks != "" {
		for _, kv := range strings.Split(*hostTasks, ",") {
			a, n, ok := strings.Cut(kv, "=")
			v, err := strconv.Atoi(n)
			if !ok || err != nil || v < 0 {
				return o, fmt.Errorf("-host-tasks: bad %q (want HOST:PORT=N)", kv)
			}
			o.perHost[a] = v
		}
	}
	if *hosts == "" || *keyFile == "" || *known == "" {
		return o, errors.New("-hosts, -key and -known-hosts are required")
	}
	return o, nil
}

// clientConfig logs in with the key and checks host keys strictly.
func clientConfig(o options) (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(o.keyFile)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	check, err := knownhosts.New(o.known)
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{
		User:            o.user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: check,
		// The key types the known_hosts file holds, as lvslab does.
		HostKeyAlgorithms: knownAlgos(o.known),
		Timeout:           10 * time.Second,
	}, nil
}

// roundTrips dials every host in parallel and runs its sessions in order,
// and returns the timings and the connections (nil where a dial failed).
func roundTrips(o options, cfg *ssh.ClientConfig) (result, []*ssh.Client, error) {
	var (
		mu         sync.Mutex
		handshakes []float64
		sessions   []float64
		firstErr   error
		clients    = make([]*ssh.Client, len(o.addrs))
	)
	start := time.Now()
	var wg sync.WaitGroup
	for i, addr := range o.addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			c, err := dial(addr, cfg, o.quickack)
			hs := ms(time.Since(t0))
			var ss []float64
			count := o.tasks
			if v, ok := o.perHost[addr]; ok {
				count = v
			}
			for j := 0; err == nil && j < count; j++ {
				t := time.Now()
				err = roundTrip(c, o.cmd)
				ss = append(ss, ms(time.Since(t)))
			}
			mu.Lock()
			defer mu.Unlock()
			if o.verbose {
				fmt.Fprintf(os.Stderr, "%s: handshake %.1f ms, sessions %v ms\n", addr, hs, ss)
			}
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", addr, err)
			}
			handshakes = append(handshakes, hs)
			sessions = append(sessions, ss...)
			clients[i] = c
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	res := result{Label: o.label, Hosts: len(o.addrs), Tasks: o.tasks, Command: o.cmd, WallMS: ms(wall),
		HandshakeMedMS: pct(handshakes, 50), HandshakeMaxMS: pct(handshakes, 100),
		SessionMedMS: pct(sessions, 50), SessionP90MS: pct(sessions, 90)}
	return res, clients, firstErr
}

// uploads puts o.upload random bytes over c once per SFTP configuration.
func uploads(o options, c *ssh.Client, res *result) error {
	data := make([]byte, o.upload)
	_, _ = rand.Read(data)
	res.UploadBytes = o.upload
	for _, cf := range strings.Split(o.configs, ",") {
		var u uploadResult
		if _, err := fmt.Sscanf(cf, "%d:%d", &u.Packet, &u.Concurrency); err != nil || u.Packet <= 0 || u.Concurrency <= 0 {
			return fmt.Errorf("-upload-configs: bad %q (want PACKET:CONCURRENCY)", cf)
		}
		d, err := put(c, data, o.uploadDir, u.Packet, u.Concurrency)
		if err != nil {
			return fmt.Errorf("upload %s: %w", cf, err)
		}
		u.MS, u.MiBps = ms(d), float64(o.upload)/(1<<20)/d.Seconds()
		res.Uploads = append(res.Uploads, u)
	}
	return nil
}

// knownAlgos returns the host key algorithms of the keys in a known_hosts
// file, so that the server shows the key that is on record.
func knownAlgos(file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var algos []string
	for len(data) > 0 {
		_, _, key, _, rest, err := ssh.ParseKnownHosts(data)
		if err != nil {
			break
		}
		data = rest
		t := key.Type()
		if t == ssh.KeyAlgoRSA {
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256)
		}
		if !slices.Contains(algos, t) {
			algos = append(algos, t)
		}
	}
	return algos
}

// dial connects and authenticates; with quickack the socket acknowledges
// every segment at once, so that a server holding a small packet back (Nagle,
// sshd sets no TCP_NODELAY for sessions without a terminal) is not kept
// waiting for a delayed ACK.
func dial(addr string, cfg *ssh.ClientConfig, quickack bool) (*ssh.Client, error) {
	nc, err := net.DialTimeout("tcp", addr, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	if quickack {
		if tc, ok := nc.(*net.TCPConn); ok {
			if rc, err := tc.SyscallConn(); err == nil {
				nc = &quickAckConn{Conn: nc, rc: rc}
			}
		}
	}
	conn, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return ssh.NewClient(conn, chans, reqs), nil
}

type quickAckConn struct {
	net.Conn
	rc syscall.RawConn
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	_ = c.rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
	return n, err
}

// roundTrip runs cmd in a new session, with its output read, as any tool must.
func roundTrip(c *ssh.Client, cmd string) error {
	s, err := c.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	var out bytes.Buffer
	s.Stdout, s.Stderr = &out, &out
	return s.Run(cmd)
}

// uploadResult is one upload: its SFTP write size and the writes in flight.
type uploadResult struct {
	Packet      int     `json:"packet"`
	Concurrency int     `json:"concurrency"`
	MS          float64 `json:"ms"`
	MiBps       float64 `json:"mib_per_s"`
}

// put uploads data as lvslab does (temporary file, fsync, rename) with
// writes of packet bytes, concurrency of them in flight, and returns how
// long it took, SFTP client start included.
func put(c *ssh.Client, data []byte, dir string, packet, concurrency int) (time.Duration, error) {
	t0 := time.Now()
	sc, err := sftp.NewClient(c, sftp.MaxPacketUnchecked(packet), sftp.UseConcurrentWrites(concurrency > 1))
	if err != nil {
		return 0, err
	}
	defer sc.Close()
	tmp := path.Join(dir, ".floor-upload.tmp")
	dst := path.Join(dir, "floor-upload.bin")
	f, err := sc.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return 0, err
	}
	if concurrency > 1 {
		_, err = f.ReadFromWithConcurrency(bytes.NewReader(data), concurrency)
	} else {
		_, err = io.Copy(f, bytes.NewReader(data))
	}
	if err == nil {
		err = f.Sync()
		if errors.Is(err, sftp.ErrSSHFxOpUnsupported) {
			err = nil
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = sc.PosixRename(tmp, dst)
	}
	d := time.Since(t0)
	_ = sc.Remove(dst)
	return d, err
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := (len(s) - 1) * p / 100
	return s[i]
}
