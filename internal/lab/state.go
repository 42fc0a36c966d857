package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Lab is a created lab: its hosts, and everything Destroy must undo. It is
// kept as JSON in the state file (Paths.State) and rewritten after every
// step of Create, so that a crash leaves a record of what to clean up.
type Lab struct {
	Paths    Paths  `json:"paths"`
	Director string `json:"director"` // KindVM or KindContainer
	// RealServer is the real servers' kind, KindVM or KindContainer; ""
	// in the state of a lab made before real servers could be VMs.
	RealServer string    `json:"realserver,omitempty"`
	Hosts      []Host    `json:"hosts"`
	Procs      []Proc    `json:"procs"`
	Mounts     []string  `json:"mounts"`
	Created    time.Time `json:"created"`
	// RSCPU is each real server's CPU cap, percent of one CPU; 0 none
	// (lab create --rs-cpu, lab set --rs-cpu).
	RSCPU int `json:"rs_cpu"`
	// HostKeys are the hosts' public SSH keys, authorized_keys format.
	HostKeys map[string]string `json:"host_keys"`
}

// ErrNoLab is returned by Status when no lab is running.
var ErrNoLab = errors.New("no such local lab")

// Host returns the host named name.
func (l *Lab) Host(name string) (Host, bool) {
	for _, h := range l.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// proc returns the process of role for host, if any.
func (l *Lab) proc(role, host string) (Proc, bool) {
	for _, p := range l.Procs {
		if p.Role == role && p.Host == host {
			return p, true
		}
	}
	return Proc{}, false
}

// save writes the state file atomically.
func (l *Lab) save() error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err == nil {
		err = writeFileAtomic(l.Paths.State(), append(b, '\n'), 0o600)
	}
	if err != nil {
		return fmt.Errorf("save the lab's state: %w", err)
	}
	return nil
}

// loadState reads the state file at path; (nil, nil) when there is none.
func loadState(path string) (*Lab, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l Lab
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("lab state %s: %w", path, err)
	}
	return &l, nil
}

// lockLab takes the lab's lock (an flock on Run/lock), so that two
// creates or a create and a destroy of one lab never interleave.
func lockLab(ctx context.Context, paths Paths, pr *progress) (unlock func(), err error) {
	return flockWait(ctx, filepath.Join(paths.Run, "lock"), pr, "another lvslab lab command on lab "+paths.Name)
}

// lockCache takes the cache's lock while a lab builds or reads it.
func lockCache(ctx context.Context, paths Paths, pr *progress) (unlock func(), err error) {
	return flockWait(ctx, filepath.Join(paths.Cache, "lock"), pr, "another lvslab building the cache")
}

// flockWait takes an exclusive flock on path, waiting (and saying so once)
// while another process holds it, until ctx ends.
func flockWait(ctx context.Context, path string, pr *progress, holder string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if !told {
			pr.Printf("waiting for %s to finish", holder)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Running returns the recorded state of the lab name (its hosts and their
// kinds), without probing them; ErrNoLab when there is none.
func Running(name string) (*Lab, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return runningLab(name)
}
