package lab

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Each container gets cgroups of its own in the hierarchies systemd
// manages (the named v1 "systemd" one and the v2 one). Without a systemd
// on the host, systemd-nspawn --keep-unit uses the cgroup it was started
// in, so every container would share one cgroup tree, and one container
// stopping a unit would kill the same unit's processes in the others.
// The cgroups live under lvslab/LAB/HOST of each hierarchy.
const cgroupRoot = "lvslab"

// cgroupMounts are the mount points of the systemd-managed hierarchies.
func cgroupMounts() []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, " - ")
		if i < 0 {
			continue
		}
		pre, post := strings.Fields(line[:i]), strings.Fields(line[i+3:])
		if len(pre) < 5 || len(post) < 3 {
			continue
		}
		switch {
		case post[0] == "cgroup2",
			post[0] == "cgroup" && strings.Contains(","+post[2]+",", ",name=systemd,"):
			out = append(out, unescapeMount(pre[4]))
		}
	}
	return out
}

// hostCgroups creates the cgroups of the container host of lab and
// returns them.
func hostCgroups(lab, host string) ([]string, error) {
	var dirs []string
	for _, m := range cgroupMounts() {
		d := filepath.Join(m, cgroupRoot, lab, host)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		dirs = append(dirs, d)
	}
	return dirs, nil
}

// cgroupPIDs lists the processes in the cgroups of lab (all hosts).
func cgroupPIDs(lab string) []int {
	seen := map[int]bool{}
	for _, m := range cgroupMounts() {
		filepath.WalkDir(filepath.Join(m, cgroupRoot, lab), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
					seen[pid] = true
				}
			}
			return nil
		})
	}
	pids := make([]int, 0, len(seen))
	for p := range seen {
		pids = append(pids, p)
	}
	sort.Ints(pids)
	return pids
}

// removeCgroups removes the lab's cgroup trees, deepest first. Cgroups
// still holding processes stay (rmdir fails with EBUSY); the error is
// ignored as the next destroy retries.
func removeCgroups(lab string) {
	for _, m := range cgroupMounts() {
		root := filepath.Join(m, cgroupRoot, lab)
		var dirs []string
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			syscall.Rmdir(dirs[i])
		}
		syscall.Rmdir(filepath.Join(m, cgroupRoot)) // when no other lab has cgroups there
	}
}
