package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// tool is a program the lab runs and the Debian package that provides it.
type tool struct{ bin, pkg string }

var (
	baseTools = []tool{
		{"ip", "iproute2"},
		{"nsenter", "util-linux"},
		{"systemd-nspawn", "systemd-container"},
		{"debootstrap", "debootstrap"},
		{"socat", "socat"},
		{"mount", "mount"},
	}
	vmTools = []tool{
		{"qemu-system-x86_64", "qemu-system-x86"},
		{"mkfs.ext4", "e2fsprogs"},
	}
)

// PrereqError lists everything missing for a lab, all at once.
type PrereqError struct {
	NotRoot  bool
	Missing  []string // programs
	Packages []string // Debian packages providing them
}

func (e *PrereqError) Error() string {
	var parts []string
	if e.NotRoot {
		parts = append(parts, "the local lab needs root (network namespaces, mounts, containers): run it as root or with sudo")
	}
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing %s: install with `apt-get install %s`",
			strings.Join(e.Missing, ", "), strings.Join(e.Packages, " ")))
	}
	return strings.Join(parts, "; ")
}

// checkPrereqs reports every missing prerequisite of a lab whose director
// is of kind directorKind ("" when not known yet: the VM tools are checked).
func checkPrereqs(directorKind string) error {
	e := &PrereqError{NotRoot: os.Geteuid() != 0}
	tools := baseTools
	if directorKind != KindContainer {
		tools = append(append([]tool(nil), tools...), vmTools...)
	}
	pkgs := map[string]bool{}
	for _, t := range tools {
		if _, err := exec.LookPath(t.bin); err != nil {
			e.Missing = append(e.Missing, t.bin)
			pkgs[t.pkg] = true
		}
	}
	for p := range pkgs {
		e.Packages = append(e.Packages, p)
	}
	sort.Strings(e.Packages)
	if e.NotRoot || len(e.Missing) > 0 {
		return e
	}
	return nil
}

// ErrNoRoot is returned by Destroy and Status when not run as root.
var ErrNoRoot = errors.New("the local lab needs root: run it as root or with sudo")

// kernelHasIPVS reports whether the running kernel offers IPVS, loading
// the module when modprobe is there.
func kernelHasIPVS(ctx context.Context) bool {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		return true
	}
	if _, err := exec.LookPath("modprobe"); err != nil {
		return false
	}
	if _, err := run(ctx, "modprobe", "ip_vs"); err != nil {
		return false
	}
	_, err := os.Stat("/proc/net/ip_vs")
	return err == nil
}

// KernelHasIPIP reports whether the running kernel can make an ipip
// device (tunl0 of the tun mode), trying one in a throw-away network
// namespace: containers share this kernel, so this is what they can do.
func KernelHasIPIP(ctx context.Context) bool {
	if _, err := exec.LookPath("unshare"); err != nil {
		return false
	}
	_, err := run(ctx, "unshare", "--net", "ip", "link", "add", "lvsprobe0", "type", "ipip", "local", "10.0.0.1")
	return err == nil
}

// vmResident is what one lab VM keeps resident, in MiB (qemu near 570 MiB,
// see vmMemory), with a margin.
const vmResident = 640

// checkMemory refuses a lab whose VMs would not fit in the memory the
// machine has available (MemAvailable of /proc/meminfo), before anything
// is built: qemu would be killed, or the machine swap, midway.
func checkMemory(hosts []Host) error {
	n := countHosts(hosts, func(h Host) bool { return h.Kind == KindVM })
	if n == 0 {
		return nil
	}
	avail, ok := memAvailableMiB("/proc/meminfo")
	if !ok || n*vmResident <= avail {
		return nil
	}
	return invalidf("%d VMs need about %d MiB, the machine has %d MiB available: fewer real servers, or --realserver container", n, n*vmResident, avail)
}

// memAvailableMiB reads MemAvailable from a meminfo file, in MiB.
func memAvailableMiB(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.Atoi(f[1])
			return kb / 1024, err == nil
		}
	}
	return 0, false
}
