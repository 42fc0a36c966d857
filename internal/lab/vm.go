package lab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// VM settings measured on a 2-core machine without KVM: 512 MiB and a
// 128 MiB translation cache keep qemu near 570 MiB resident (1 GiB and the
// default cache reached 1.5 GiB).
const (
	vmMemory = "512"
	vmAccel  = "tcg,tb-size=128"
)

// vmCmdline is the kernel command line: root on the first virtio disk,
// eth0, eth1, ... in NIC order, the console on the serial port (logged),
// and a quiet boot.
func vmCmdline(h Host, machineID string) string {
	return strings.Join([]string{
		"root=/dev/vda", "rw", "console=ttyS0", "net.ifnames=0", "biosdevname=0",
		"quiet", "loglevel=3", "systemd.show_status=false", "mitigations=off",
		"systemd.machine_id=" + machineID, "systemd.hostname=" + h.Name,
	}, " ")
}

// startVM boots the VM h with qemu in the lab namespace, where its taps
// are. Its root is the cached image behind a throw-away overlay; its
// files come from a tar archive on a second disk. qemu runs in the host's
// cgroups, as a container does (a real server's CPU capped at rsCPU
// percent of one CPU, 0 none: its one virtual CPU is that process).
func startVM(paths Paths, h Host, files []file, machineID string, rsCPU int) (Proc, error) {
	l := paths.layout(h.Name)
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return Proc{}, err
	}
	var tarball bytes.Buffer
	if err := writeTar(&tarball, files); err != nil {
		return Proc{}, err
	}
	cfg := filepath.Join(l.dir, "config.tar")
	if err := os.WriteFile(cfg, tarball.Bytes(), 0o600); err != nil {
		return Proc{}, err
	}
	img := paths.vmImageFor(h)
	args := []string{
		"qemu-system-x86_64", "-name", h.Name,
		"-nodefaults", "-no-user-config", "-display", "none",
		"-m", vmMemory, "-accel", vmAccel, "-smp", "1",
		"-kernel", img.Kernel, "-initrd", img.Initrd, "-append", vmCmdline(h, machineID),
		"-drive", "file=" + img.Root + ",format=raw,if=virtio,snapshot=on,cache=unsafe",
		"-drive", "file=" + cfg + ",format=raw,if=virtio,readonly=on",
		"-device", "virtio-rng-pci",
		"-serial", "file:" + l.console,
	}
	for i, n := range h.NICs {
		args = append(args,
			"-netdev", fmt.Sprintf("tap,id=n%d,ifname=%s,script=no,downscript=no", i, n.Port),
			"-device", fmt.Sprintf("virtio-net-pci,netdev=n%d,mac=%s", i, n.MAC))
	}
	cgroups, err := sysCgroups().containerCgroups(paths.Name, h.Name, h.Group == GroupRealServers, rsCPU)
	if err != nil {
		return Proc{}, fmt.Errorf("cgroups: %w", err)
	}
	os.Remove(l.console)
	env := []string{"LVSLAB_CGROUPS=" + strings.Join(cgroups, " ")}
	return spawn("vm", h.Name, filepath.Join(l.dir, "qemu.log"), env,
		"/bin/sh", append([]string{"-c", vmExec, "lvslab-" + h.Name, "nsenter"}, inNetns(paths.Name, args...)...)...)
}

// vmExec moves itself into the VM's cgroups, then becomes "$@" (nsenter,
// which becomes qemu: the lab's process is qemu itself).
const vmExec = `for d in $LVSLAB_CGROUPS; do echo $$ >"$d/cgroup.procs" || exit 1; done
exec "$@"`

// nicList describes a host's NICs for a progress line: eth0 ADDR, eth1 ...
func nicList(h Host) string {
	parts := make([]string, len(h.NICs))
	for i, n := range h.NICs {
		parts[i] = n.Name + " " + n.Addr
	}
	return strings.Join(parts, ", ")
}
