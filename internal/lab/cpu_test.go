package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeCgroups lays out a fake cgroup hierarchy in a temp dir: a mountinfo
// with the given lines (%s: the temp dir) and the files in files (path
// below the temp dir: content). It returns the temp dir and what
// readCgroupFS finds there.
func fakeCgroups(t *testing.T, lines []string, files map[string]string) (string, cgroupFS) {
	t.Helper()
	root := t.TempDir()
	var mi strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&mi, l+"\n", root)
	}
	for p, content := range files {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mountinfo := filepath.Join(root, "mountinfo")
	if err := os.WriteFile(mountinfo, []byte(mi.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, readCgroupFS(mountinfo)
}

// The mountinfo lines of this machine's layouts.
var (
	hybridMounts = []string{
		"31 23 0:28 / %s rw,relatime - tmpfs tmpfs rw,mode=755",
		"34 31 0:31 / %[1]s/cpuset rw,relatime - cgroup cgroup rw,cpuset",
		"32 31 0:29 / %[1]s/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
		"40 31 0:37 / %[1]s/systemd rw,relatime - cgroup cgroup rw,name=systemd",
		"41 31 0:38 / %[1]s/unified rw,relatime - cgroup2 cgroup2 rw",
	}
	v2Mounts = []string{"31 23 0:28 / %s rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"}
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadCgroupFS(t *testing.T) {
	root, c := fakeCgroups(t, hybridMounts, nil)
	want := cgroupFS{
		systemd: []string{root + "/systemd", root + "/unified"},
		cpuV1:   root + "/cpu,cpuacct", // not cpuset, listed first
		v2:      root + "/unified",
	}
	if !slices.Equal(c.systemd, want.systemd) || c.cpuV1 != want.cpuV1 || c.v2 != want.v2 {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if h := c.hierarchies(); len(h) != 3 || h[2] != want.cpuV1 {
		t.Errorf("hierarchies: %v", h)
	}
	if c := readCgroupFS(filepath.Join(root, "none")); len(c.hierarchies()) != 0 {
		t.Errorf("no mountinfo: %+v", c)
	}
}

func TestCPUCapV1(t *testing.T) {
	root, c := fakeCgroups(t, hybridMounts, map[string]string{"unified/cgroup.controllers": ""})
	cc, ok := c.cpuController()
	if !ok || cc.v2 || cc.mount != root+"/cpu,cpuacct" {
		t.Fatalf("cpu controller: %+v %v", cc, ok)
	}
	dirs, err := c.containerCgroups("lab", "rs01", true, 10)
	if err != nil {
		t.Fatal(err)
	}
	cpuDir := root + "/cpu,cpuacct/lvslab/lab/rs01"
	if want := []string{root + "/systemd/lvslab/lab/rs01", root + "/unified/lvslab/lab/rs01", cpuDir}; !slices.Equal(dirs, want) {
		t.Errorf("rs01 moves into %v, want %v", dirs, want)
	}
	if q, p := readFile(t, cpuDir+"/cpu.cfs_quota_us"), readFile(t, cpuDir+"/cpu.cfs_period_us"); q != "10000\n" || p != "100000\n" {
		t.Errorf("quota %q period %q", q, p)
	}
	if pct, err := cc.capOf(cpuDir); pct != 10 || err != nil {
		t.Errorf("capOf = %d, %v", pct, err)
	}
	// The client is not capped; an uncapped real server still goes to the cpu cgroup.
	if dirs, _ := c.containerCgroups("lab", "client", false, 10); len(dirs) != 2 {
		t.Errorf("client moves into %v", dirs)
	}
	dirs, _ = c.containerCgroups("lab", "rs02", true, 0)
	if len(dirs) != 3 || readFile(t, dirs[2]+"/cpu.cfs_quota_us") != "-1\n" {
		t.Errorf("uncapped rs02 moves into %v", dirs)
	}

	// A lab created before the cap: rs01's processes are in systemd's tree
	// (one in a child cgroup), one of them already in the cpu cgroup.
	for p, pids := range map[string]string{
		"/systemd/lvslab/lab/rs01/cgroup.procs":            "101\n102\n",
		"/systemd/lvslab/lab/rs01/init.scope/cgroup.procs": "103\n",
		"/cpu,cpuacct/lvslab/lab/rs01/cgroup.procs":        "102\n",
	} {
		os.MkdirAll(filepath.Dir(root+p), 0o755)
		os.WriteFile(root+p, []byte(pids), 0o644)
	}
	hc, err := c.setHostCPU(cc, cgroupRel("lab", "rs01"), 250)
	if err != nil {
		t.Fatal(err)
	}
	if hc.Was != 10 || hc.Moved != 2 || hc.Cgroup != cpuDir {
		t.Errorf("set: %+v", hc)
	}
	if got := readFile(t, cpuDir+"/cgroup.procs"); got != "102\n101\n103\n" {
		t.Errorf("cpu cgroup.procs: %q", got)
	}
	if pct, _ := cc.capOf(cpuDir); pct != 250 {
		t.Errorf("cap after set: %d", pct)
	}
}

func TestCPUCapV2(t *testing.T) {
	root, c := fakeCgroups(t, v2Mounts, map[string]string{
		"cgroup.controllers":            "cpuset cpu io memory pids\n",
		"cgroup.subtree_control":        "memory pids\n",
		"lvslab/cgroup.subtree_control": "cpu\n", // enabled already: left alone
	})
	cc, ok := c.cpuController()
	if !ok || !cc.v2 || cc.mount != root {
		t.Fatalf("cpu controller: %+v %v", cc, ok)
	}
	// Uncapped, nothing is enabled or written.
	dirs, err := c.containerCgroups("lab", "rs02", true, 0)
	if err != nil || len(dirs) != 1 {
		t.Fatalf("uncapped rs02: %v %v", dirs, err)
	}
	if _, err := os.Stat(root + "/lvslab/lab/cgroup.subtree_control"); err == nil {
		t.Error("uncapped rs02 enabled the cpu controller")
	}

	dirs, err = c.containerCgroups("lab", "rs01", true, 10)
	dir := root + "/lvslab/lab/rs01"
	if err != nil || !slices.Equal(dirs, []string{dir}) {
		t.Fatalf("rs01 moves into %v (%v), want its one v2 cgroup", dirs, err)
	}
	for p, want := range map[string]string{
		"cgroup.subtree_control":            "+cpu\n",
		"lvslab/cgroup.subtree_control":     "cpu\n",
		"lvslab/lab/cgroup.subtree_control": "+cpu\n",
		"lvslab/lab/rs01/cpu.max":           "10000 100000\n",
	} {
		if got := readFile(t, filepath.Join(root, p)); got != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
	if _, err := os.Stat(dir + "/cgroup.subtree_control"); err == nil {
		t.Error("the controller was enabled below the capped cgroup (its processes live there)")
	}
	os.WriteFile(dir+"/cgroup.procs", []byte("101\n"), 0o644)
	hc, err := c.setHostCPU(cc, cgroupRel("lab", "rs01"), 0)
	if err != nil || hc.Was != 10 || hc.Moved != 0 {
		t.Errorf("set 0: %+v %v", hc, err)
	}
	if got := readFile(t, dir+"/cpu.max"); got != "max 100000\n" {
		t.Errorf("cpu.max after lifting the cap: %q", got)
	}
}

func TestCPUCapWithoutController(t *testing.T) {
	for name, lines := range map[string][]string{
		"v2 without cpu": v2Mounts,
		"no cgroups":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			_, c := fakeCgroups(t, lines, map[string]string{"cgroup.controllers": "memory pids\n"})
			if cc, ok := c.cpuController(); ok {
				t.Fatalf("found a cpu controller: %+v", cc)
			}
			if _, _, err := c.checkRSCPU(10); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no cpu cgroup controller") {
				t.Errorf("--rs-cpu 10: %v", err)
			}
			if _, _, err := c.checkRSCPU(0); err != nil {
				t.Errorf("--rs-cpu 0: %v", err)
			}
			if _, err := c.containerCgroups("lab", "rs01", true, 0); err != nil {
				t.Errorf("uncapped rs01: %v", err)
			}
		})
	}
}

func TestCheckRSCPURange(t *testing.T) {
	_, c := fakeCgroups(t, hybridMounts, nil)
	limit := 100 * runtime.NumCPU()
	for _, pct := range []int{-1, limit + 1} {
		if _, _, err := c.checkRSCPU(pct); !errors.Is(err, ErrInvalid) {
			t.Errorf("--rs-cpu %d: %v, want ErrInvalid", pct, err)
		}
	}
	for _, pct := range []int{0, 1, 10, limit} {
		if _, ok, err := c.checkRSCPU(pct); err != nil || !ok {
			t.Errorf("--rs-cpu %d: %v %v", pct, ok, err)
		}
	}
}

func TestCapOfRounds(t *testing.T) {
	dir := t.TempDir()
	v1, v2 := cpuController{mount: dir}, cpuController{mount: dir, v2: true}
	for _, c := range []struct {
		cc      cpuController
		files   map[string]string
		want    int
		wantErr bool
	}{
		{v1, map[string]string{"cpu.cfs_quota_us": "500\n", "cpu.cfs_period_us": "100000\n"}, 1, false},
		{v1, map[string]string{"cpu.cfs_quota_us": "-1\n", "cpu.cfs_period_us": "100000\n"}, 0, false},
		{v2, map[string]string{"cpu.max": "150000 100000\n"}, 150, false},
		{v2, map[string]string{"cpu.max": "5000 10000\n"}, 50, false},
		{v2, map[string]string{"cpu.max": "max 100000\n"}, 0, false},
		{v2, map[string]string{"cpu.max": "junk\n"}, 0, true},
	} {
		for f, s := range c.files {
			os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644)
		}
		if got, err := c.cc.capOf(dir); got != c.want || (err != nil) != c.wantErr {
			t.Errorf("%v: capOf = %d, %v; want %d", c.files, got, err, c.want)
		}
	}
}

// TestCPUCapLimitsABusyLoop caps a scratch cgroup of this machine's cpu
// controller at 10 % and runs a busy loop in it: it may use at most
// twice its cap (a cap only ever lowers usage, so load cannot make this
// fail).
func TestCPUCapLimitsABusyLoop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates a cgroup")
	}
	cc, ok := sysCgroups().cpuController()
	if !ok {
		t.Skip("this machine has no cpu cgroup controller")
	}
	const pct = 10
	dir, err := cc.ensure(fmt.Sprintf("lvslab-test-%d", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := syscall.Rmdir(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	}()
	if err := cc.setCap(dir, pct); err != nil {
		t.Fatal(err)
	}
	loop := exec.Command("sh", "-c", "while :; do :; done")
	if err := loop.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		loop.Process.Kill()
		loop.Wait()
	}()
	pid := loop.Process.Pid

	free := cpuUse(t, pid, time.Second)
	if err := appendPID(filepath.Join(dir, "cgroup.procs"), pid); err != nil {
		t.Fatal(err)
	}
	if cg := readFile(t, fmt.Sprintf("/proc/%d/cgroup", pid)); !strings.Contains(cg, filepath.Base(dir)+"\n") {
		t.Fatalf("the loop is not in %s:\n%s", dir, cg)
	}
	capped := cpuUse(t, pid, 2*time.Second)
	t.Logf("busy loop (%s, %s): %.1f%% of a CPU uncapped, %.1f%% under a %d%% cap", dir, map[bool]string{true: "v2", false: "v1"}[cc.v2], free, capped, pct)
	if capped > 2*pct {
		t.Errorf("the loop used %.1f%% of a CPU under a %d%% cap", capped, pct)
	}
}

// cpuUse measures the CPU time pid uses over d, in percent of one CPU.
func cpuUse(t *testing.T, pid int, d time.Duration) float64 {
	t.Helper()
	t0, start := cpuTicks(t, pid), time.Now()
	time.Sleep(d)
	used, elapsed := cpuTicks(t, pid)-t0, time.Since(start)
	return float64(used) / 100 / elapsed.Seconds() * 100 // USER_HZ is 100
}

// cpuTicks is the user and system time of pid, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	s := readFile(t, fmt.Sprintf("/proc/%d/stat", pid))
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// f[0] is field 3; utime and stime are fields 14 and 15.
	utime, err1 := strconv.Atoi(f[11])
	stime, err2 := strconv.Atoi(f[12])
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return utime + stime
}
