package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is a long-running process of the lab: a container, the VM, a half
// of the relay. It is identified by PID and start time, so that a PID
// reused by another process after a crash is never signalled.
type Proc struct {
	Role  string `json:"role"` // container, vm, relay
	Host  string `json:"host,omitempty"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // /proc/PID/stat starttime, in clock ticks since boot
	Log   string `json:"log,omitempty"`
}

// spawn starts a daemon in its own session, stdin from /dev/null and its
// output appended to log. It is reaped by a goroutine while this process
// lives, and outlives it. env is added to this process's environment.
func spawn(role, host, log string, env []string, name string, args ...string) (Proc, error) {
	out, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Proc{}, err
	}
	defer out.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = append(append(os.Environ(), "LC_ALL=C"), env...)
	if err := cmd.Start(); err != nil {
		return Proc{}, fmt.Errorf("start %s: %w", name, err)
	}
	go cmd.Wait() //nolint:errcheck // reaps it; the lab watches it through /proc
	p := Proc{Role: role, Host: host, PID: cmd.Process.Pid, Log: log}
	p.Start, _ = procStart(p.PID)
	return p, nil
}

// procStat returns the start time of pid from /proc/PID/stat and whether
// it is a zombie.
func procStat(pid int) (start uint64, zombie bool, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false, errors.New("bad /proc stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return 0, false, errors.New("short /proc stat")
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0] == "Z", err
}

func procStart(pid int) (uint64, error) {
	s, _, err := procStat(pid)
	return s, err
}

// Alive reports whether the process still runs (and is the same process).
func (p Proc) Alive() bool {
	if p.PID <= 0 {
		return false
	}
	start, zombie, err := procStat(p.PID)
	return err == nil && !zombie && (p.Start == 0 || start == p.Start)
}

// stop sends sig, waits up to grace for the process to go, then SIGKILLs
// it. It reports whether the process had to be killed.
func (p Proc) stop(sig syscall.Signal, grace time.Duration) bool {
	if !p.Alive() {
		return false
	}
	syscall.Kill(p.PID, sig)
	if waitGone(p, grace) {
		return false
	}
	syscall.Kill(p.PID, syscall.SIGKILL)
	waitGone(p, 5*time.Second)
	return true
}

// waitGone polls until p has exited or d has passed.
func waitGone(p Proc, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for p.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// unixSocketPIDs lists the processes holding a unix socket bound to path
// (the relay's outer half, found even without a state file).
func unixSocketPIDs(path string) []int {
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		return nil
	}
	inodes := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 8 && f[7] == path {
			inodes["socket:["+f[6]+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	var pids []int
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if t, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && inodes[t] {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}
