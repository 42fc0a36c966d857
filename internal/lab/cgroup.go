package lab

import (
	"bufio"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
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
// A real server also gets one in the hierarchy of the cpu controller,
// which carries its CPU cap (cpu.go). The cgroups live under
// lvslab/LAB/HOST of each hierarchy.
const cgroupRoot = "lvslab"

// cgroupRel is the path of a host's cgroup below a hierarchy's mount.
func cgroupRel(lab, host string) string { return path.Join(cgroupRoot, lab, host) }

// cgroupFS is the machine's cgroup hierarchies, as a mountinfo lists them.
// Tests read a fake mountinfo naming directories of a temp dir.
type cgroupFS struct {
	// systemd are the mount points of the hierarchies systemd manages: the
	// named v1 "systemd" one and the v2 one, whichever are mounted.
	systemd []string
	// cpuV1 is the mount point of the v1 hierarchy the cpu controller is
	// bound to (cpu or cpu,cpuacct); "" when there is none.
	cpuV1 string
	// v2 is the mount point of the v2 hierarchy; "" when there is none.
	v2 string
}

// sysCgroups are this machine's cgroup hierarchies.
func sysCgroups() cgroupFS { return readCgroupFS("/proc/self/mountinfo") }

// readCgroupFS finds the cgroup hierarchies in the mountinfo file at path;
// an unreadable file has none.
func readCgroupFS(path string) cgroupFS {
	var c cgroupFS
	f, err := os.Open(path)
	if err != nil {
		return c
	}
	defer f.Close()
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
		dir, opts := unescapeMount(pre[4]), strings.Split(post[2], ",")
		switch {
		case post[0] == "cgroup2":
			c.systemd = append(c.systemd, dir)
			if c.v2 == "" {
				c.v2 = dir
			}
		case post[0] == "cgroup" && slices.Contains(opts, "name=systemd"):
			c.systemd = append(c.systemd, dir)
		case post[0] == "cgroup" && slices.Contains(opts, "cpu") && c.cpuV1 == "":
			c.cpuV1 = dir
		}
	}
	return c
}

// hierarchies are the mount points of every hierarchy holding cgroups of
// the lab: systemd's and the cpu controller's.
func (c cgroupFS) hierarchies() []string {
	if c.cpuV1 == "" {
		return c.systemd
	}
	return append(slices.Clip(c.systemd), c.cpuV1)
}

// hostCgroups creates the cgroups of the container host of lab in the
// hierarchies systemd manages and returns them.
func (c cgroupFS) hostCgroups(lab, host string) ([]string, error) {
	var dirs []string
	for _, m := range c.systemd {
		d := filepath.Join(m, cgroupRel(lab, host))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		dirs = append(dirs, d)
	}
	return dirs, nil
}

// treePIDs adds the processes in the cgroup tree at root (root and every
// cgroup below it) to pids.
func treePIDs(root string, pids map[int]bool) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
				pids[pid] = true
			}
		}
		return nil
	})
}

// cgroupPIDs lists the processes in the cgroups of lab (all hosts).
func cgroupPIDs(lab string) []int {
	seen := map[int]bool{}
	for _, m := range sysCgroups().hierarchies() {
		treePIDs(filepath.Join(m, cgroupRoot, lab), seen)
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
	for _, m := range sysCgroups().hierarchies() {
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
