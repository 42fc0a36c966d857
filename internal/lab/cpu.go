package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// A real server's CPU cap (--rs-cpu PCT, percent of one CPU) is the quota
// of its cgroup lvslab/LAB/HOST in the hierarchy of the cpu controller:
// cpu.cfs_quota_us where the controller is bound to a v1 hierarchy (as on
// hybrid machines, whose v2 hierarchy then has no controllers), cpu.max on
// v2. The container's processes are in that cgroup from the start, so the
// cap covers each of them and whatever they fork: one real server
// saturates at a known rate, and N of them carry about N times as much.

// cpuPeriod is the period of the quota, in µs.
const cpuPeriod = 100000

// cpuController is the hierarchy carrying the CPU caps: the v1 one the
// cpu controller is bound to, or v2.
type cpuController struct {
	mount string
	v2    bool
}

// cpuController returns the hierarchy of the cpu controller: the v1 one
// it is bound to, else v2 when its root's cgroup.controllers lists cpu.
func (c cgroupFS) cpuController() (cpuController, bool) {
	if c.cpuV1 != "" {
		return cpuController{mount: c.cpuV1}, true
	}
	if c.v2 != "" {
		b, err := os.ReadFile(filepath.Join(c.v2, "cgroup.controllers"))
		if err == nil && slices.Contains(strings.Fields(string(b)), "cpu") {
			return cpuController{mount: c.v2, v2: true}, true
		}
	}
	return cpuController{}, false
}

// checkRSCPU validates a real server's CPU cap of pct percent of one CPU
// and returns the hierarchy that is to carry it (ok false: there is none,
// which only a pct of 0 accepts).
func (c cgroupFS) checkRSCPU(pct int) (cc cpuController, ok bool, err error) {
	if limit := 100 * runtime.NumCPU(); pct < 0 || pct > limit {
		return cc, false, invalidf("--rs-cpu %d: want 0 (no cap) to %d (percent of one CPU; this machine has %d)", pct, limit, runtime.NumCPU())
	}
	cc, ok = c.cpuController()
	if !ok && pct > 0 {
		return cc, false, invalidf("--rs-cpu %d: this machine has no cpu cgroup controller "+
			"(no cgroup v1 hierarchy with cpu, no cpu in cgroup v2's cgroup.controllers); use --rs-cpu 0", pct)
	}
	return cc, ok, nil
}

// ensure creates the cgroup rel (a path below the mount) and returns its
// directory. On v2 it first enables the controller for it: +cpu in the
// cgroup.subtree_control of each of its ancestors, the mount's root
// included, that lacks it, top down.
func (cc cpuController) ensure(rel string) (string, error) {
	dir := filepath.Join(cc.mount, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if !cc.v2 {
		return dir, nil
	}
	p := cc.mount
	for _, part := range strings.Split(filepath.Clean(rel), "/") {
		ctl := filepath.Join(p, "cgroup.subtree_control")
		b, _ := os.ReadFile(ctl)
		if !slices.Contains(strings.Fields(string(b)), "cpu") {
			if err := writeCgroup(ctl, "+cpu"); err != nil {
				return "", fmt.Errorf("enable the cpu controller: %w", err)
			}
		}
		p = filepath.Join(p, part)
	}
	return dir, nil
}

// setCap sets the cap of the cgroup dir to pct percent of one CPU; 0
// lifts it.
func (cc cpuController) setCap(dir string, pct int) error {
	quota := pct * cpuPeriod / 100
	if cc.v2 {
		v := "max"
		if pct > 0 {
			v = strconv.Itoa(quota)
		}
		return writeCgroup(filepath.Join(dir, "cpu.max"), fmt.Sprintf("%s %d", v, cpuPeriod))
	}
	if pct == 0 {
		quota = -1
	}
	if err := writeCgroup(filepath.Join(dir, "cpu.cfs_period_us"), strconv.Itoa(cpuPeriod)); err != nil {
		return err
	}
	return writeCgroup(filepath.Join(dir, "cpu.cfs_quota_us"), strconv.Itoa(quota))
}

// capOf reads the cap of the cgroup dir, in percent of one CPU (rounded,
// at least 1 for any quota); 0 when there is none.
func (cc cpuController) capOf(dir string) (int, error) {
	var quota, period string
	if cc.v2 {
		b, err := os.ReadFile(filepath.Join(dir, "cpu.max"))
		if err != nil {
			return 0, err
		}
		f := strings.Fields(string(b))
		if len(f) != 2 {
			return 0, fmt.Errorf("%s: %q: want QUOTA PERIOD", filepath.Join(dir, "cpu.max"), b)
		}
		quota, period = f[0], f[1]
	} else {
		q, err := os.ReadFile(filepath.Join(dir, "cpu.cfs_quota_us"))
		if err != nil {
			return 0, err
		}
		p, err := os.ReadFile(filepath.Join(dir, "cpu.cfs_period_us"))
		if err != nil {
			return 0, err
		}
		quota, period = strings.TrimSpace(string(q)), strings.TrimSpace(string(p))
	}
	if quota == "max" || quota == "-1" {
		return 0, nil
	}
	q, err := strconv.Atoi(quota)
	if err != nil {
		return 0, fmt.Errorf("cpu quota of %s: %w", dir, err)
	}
	p, err := strconv.Atoi(period)
	if err != nil || p <= 0 {
		return 0, fmt.Errorf("cpu period of %s: %q", dir, period)
	}
	return max(1, (q*100+p/2)/p), nil
}

// writeCgroup writes one value to the cgroup file path.
func writeCgroup(path, value string) error {
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %q to %s: %w", value, path, err)
	}
	return nil
}

// containerCgroups creates the cgroups the container host of lab moves
// into and returns them: hostCgroups and, for a real server (capped), its
// cgroup of the cpu controller, its cap pct set before the container
// starts. Uncapped, a real server still goes there when that is free (v1),
// so that `lab set` later only writes the quota.
func (c cgroupFS) containerCgroups(lab, host string, capped bool, pct int) ([]string, error) {
	dirs, err := c.hostCgroups(lab, host)
	if err != nil || !capped {
		return dirs, err
	}
	cc, ok := c.cpuController()
	switch {
	case !ok && pct > 0:
		return nil, invalidf("--rs-cpu %d: no cpu cgroup controller", pct)
	case !ok, pct == 0 && cc.v2:
		// Nothing to cap, or the container's v2 cgroup is the one to cap.
		return dirs, nil
	}
	dir, err := cc.ensure(cgroupRel(lab, host))
	if err == nil {
		err = cc.setCap(dir, pct)
	}
	switch {
	case err != nil && pct == 0:
		return dirs, nil // uncapped, as before; `lab set` moves it when asked
	case err != nil:
		return nil, fmt.Errorf("cpu cap: %w", err)
	case !slices.Contains(dirs, dir):
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// adopt moves into dir, the cgroup rel of the cpu controller, every
// process of rel in systemd's hierarchies that is not in dir's tree yet
// (on v1: a container started before its real server was capped), and
// returns how many it moved. It passes again while a pass moved any, for
// children forked meanwhile by processes not moved yet.
func (c cgroupFS) adopt(rel, dir string) (int, error) {
	moved := 0
	for pass := 0; pass < 5; pass++ {
		in, found := map[int]bool{}, map[int]bool{}
		treePIDs(dir, in)
		for _, m := range c.systemd {
			if d := filepath.Join(m, rel); d != dir {
				treePIDs(d, found)
			}
		}
		var pids []int
		for pid := range found {
			if !in[pid] {
				pids = append(pids, pid)
			}
		}
		sort.Ints(pids)
		for _, pid := range pids {
			err := appendPID(filepath.Join(dir, "cgroup.procs"), pid)
			if errors.Is(err, syscall.ESRCH) {
				continue // gone meanwhile
			}
			if err != nil {
				return moved, fmt.Errorf("move process %d into %s: %w", pid, dir, err)
			}
			moved++
		}
		if len(pids) == 0 {
			break
		}
	}
	return moved, nil
}

// appendPID moves the process pid into the cgroup whose cgroup.procs is
// path (appending, which a fake hierarchy's plain file keeps).
func appendPID(path string, pid int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%d\n", pid)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CPUChange is what SetRSCPU did to a lab.
type CPUChange struct {
	Lab   string    // the lab's name
	From  int       // the cap the lab's state recorded before, percent of one CPU; 0 none
	To    int       // the cap now
	Hosts []HostCPU // the real servers; none when the machine has no cpu controller
}

// HostCPU is what SetRSCPU did to one real server.
type HostCPU struct {
	Name   string
	Cgroup string // its cgroup in the cpu controller's hierarchy
	Was    int    // the cap that cgroup had, percent of one CPU; 0 none
	Moved  int    // processes moved into that cgroup
}

// SetRSCPU caps the CPU of every real server of the running lab name at
// pct percent of one CPU (0 lifts the cap): it writes each one's quota,
// moves the container's processes into its capped cgroup where they are
// not yet (labs created before the cap existed), and records pct in the
// lab's state. A bad pct, or a non-zero one on a machine without a cpu
// controller, is an ErrInvalid before anything changes.
func SetRSCPU(ctx context.Context, name string, pct int, progress io.Writer) (*CPUChange, error) {
	if os.Geteuid() != 0 {
		return nil, ErrNoRoot
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	cg := sysCgroups()
	cc, ok, err := cg.checkRSCPU(pct)
	if err != nil {
		return nil, err
	}
	if _, err := runningLab(name); err != nil {
		return nil, err
	}
	unlock, err := lockLab(ctx, NamedPaths(name), newProgress(progress))
	if err != nil {
		return nil, err
	}
	defer unlock()
	lab, err := runningLab(name) // again: it may have gone while we waited
	if err != nil {
		return nil, err
	}
	ch := &CPUChange{Lab: name, From: lab.RSCPU, To: pct}
	var errs []error
	for _, h := range lab.Hosts {
		if h.Group != GroupRealServers || !ok {
			continue
		}
		hc, err := cg.setHostCPU(cc, cgroupRel(name, h.Name), pct)
		hc.Name = h.Name
		ch.Hosts = append(ch.Hosts, hc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", h.Name, err))
		}
	}
	if len(errs) > 0 {
		return ch, errors.Join(errs...)
	}
	lab.RSCPU = pct
	return ch, lab.save()
}

// setHostCPU sets the cap of the host whose cgroups are rel and moves its
// processes into the capped cgroup.
func (c cgroupFS) setHostCPU(cc cpuController, rel string, pct int) (HostCPU, error) {
	dir, err := cc.ensure(rel)
	if err != nil {
		return HostCPU{}, err
	}
	hc := HostCPU{Cgroup: dir}
	hc.Was, _ = cc.capOf(dir)
	if err := cc.setCap(dir, pct); err != nil {
		return hc, err
	}
	hc.Moved, err = c.adopt(rel, dir)
	return hc, err
}
