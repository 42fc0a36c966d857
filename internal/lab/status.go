package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// HostStatus is one host of a running lab, as Status found it.
type HostStatus struct {
	Host
	Running  bool   // its container or VM process runs
	SSH      bool   // it accepted the lab's key and ran a command
	SSHError string // why not, when !SSH
	// CPU is the CPU cap its cgroup has, as the kernel reports it, in
	// percent of one CPU; 0 none (and for every host but a real server).
	CPU int
}

// Report is the state of the lab.
type Report struct {
	Lab   *Lab
	Hosts []HostStatus
	Relay bool // both halves of the apt relay run
}

// Status reports the default lab: every host's process and SSH. It
// returns ErrNoLab when there is none.
func Status(ctx context.Context) (*Report, error) { return StatusNamed(ctx, DefaultName) }

// StatusNamed reports the lab name.
func StatusNamed(ctx context.Context, name string) (*Report, error) {
	if os.Geteuid() != 0 {
		return nil, ErrNoRoot
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	lab, err := runningLab(name)
	if err != nil {
		return nil, err
	}
	r := &Report{Lab: lab, Relay: true}
	relays := 0
	for _, p := range lab.Procs {
		if p.Role == "relay" {
			relays++
			r.Relay = r.Relay && p.Alive()
		}
	}
	r.Relay = r.Relay && relays == 2
	var signer ssh.Signer
	if b, err := os.ReadFile(lab.Paths.Key()); err == nil {
		signer, _ = ssh.ParsePrivateKey(b)
	}
	r.Hosts = make([]HostStatus, len(lab.Hosts))
	cc, hasCPU := sysCgroups().cpuController()
	var wg sync.WaitGroup
	for i, h := range lab.Hosts {
		r.Hosts[i].Host = h
		if hasCPU && h.Group == GroupRealServers {
			r.Hosts[i].CPU, _ = cc.capOf(filepath.Join(cc.mount, cgroupRel(name, h.Name)))
		}
		if p, ok := lab.proc(h.Kind, h.Name); ok {
			r.Hosts[i].Running = p.Alive()
		}
		if !r.Hosts[i].Running {
			r.Hosts[i].SSHError = "not running"
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Hosts[i].SSHError = probeHost(ctx, lab, h, signer)
			r.Hosts[i].SSH = r.Hosts[i].SSHError == ""
		}()
	}
	wg.Wait()
	return r, nil
}

// runningLab reads the state of the lab name; ErrNoLab when there is none.
func runningLab(name string) (*Lab, error) {
	lab, err := loadState(NamedPaths(name).State())
	if err != nil || lab != nil {
		return lab, err
	}
	flag := ""
	if name != DefaultName {
		flag = " --name " + name
	}
	return nil, fmt.Errorf("lab %s: %w (create it with `lvslab lab create%s`)", name, ErrNoLab, flag)
}

// probeHost tries SSH on h; it returns "" or the reason of the failure.
func probeHost(ctx context.Context, lab *Lab, h Host, signer ssh.Signer) string {
	if signer == nil {
		return "no lab key at " + lab.Paths.Key()
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(lab.HostKeys[h.Name]))
	if err != nil {
		return "no host key recorded"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sshProbe(ctx, lab.Paths.Name, h.MgmtAddr(), signer, key); err != nil {
		return err.Error()
	}
	return ""
}
