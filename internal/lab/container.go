package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A container host: an overlay of the cached base (its own upper layer
// holding the host's files), booted by systemd-nspawn in the host's own
// network namespace.

// hostLayout are the directories of one host under Paths.Data.
type hostLayout struct{ dir, upper, work, root, console string }

func (p Paths) layout(name string) hostLayout {
	d := p.HostDir(name)
	return hostLayout{d, filepath.Join(d, "upper"), filepath.Join(d, "work"), filepath.Join(d, "root"), filepath.Join(d, "console.log")}
}

// mountOverlay makes the host's root: base below, the host's layer above.
func mountOverlay(paths Paths, name string, files []file) (string, error) {
	l := paths.layout(name)
	for _, d := range []string{l.upper, l.work, l.root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	if err := writeTree(l.upper, paths.baseDir(), files); err != nil {
		return "", fmt.Errorf("%s: write its files: %w", name, err)
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", paths.baseDir(), l.upper, l.work)
	if err := unix.Mount("overlay", l.root, "overlay", 0, opts); err != nil {
		return "", fmt.Errorf("%s: mount overlay on %s: %w", name, l.root, err)
	}
	return l.root, nil
}

// startContainer boots the container h on the mounted root; a real
// server's CPU is capped at rsCPU percent of one CPU (0: no cap).
func startContainer(paths Paths, h Host, root string, rsCPU int) (Proc, error) {
	if err := ensureNspawnDir(); err != nil {
		return Proc{}, err
	}
	args := []string{
		"--boot", "--register=no", "--keep-unit",
		"--directory=" + root, "--machine=" + h.Name,
		"--network-namespace-path=" + netnsPath(h.Netns),
		"--resolv-conf=off", "--timezone=off", "--link-journal=no",
		"--console=read-only",
		// A namespace given by path does not count as a private network to
		// nspawn: grant what a host needs to manage its own network.
		"--capability=CAP_NET_ADMIN",
	}
	if _, err := os.Stat("/lib/modules"); err == nil && h.Group == GroupDirector {
		// The director container loads IPVS modules that the host has:
		// modprobe inside needs to see them.
		args = append(args, "--bind-ro=/lib/modules")
	}
	cgroups, err := sysCgroups().containerCgroups(paths.Name, h.Name, h.Group == GroupRealServers, rsCPU)
	if err != nil {
		return Proc{}, fmt.Errorf("cgroups: %w", err)
	}
	env := []string{
		// As for CAP_NET_ADMIN: /proc/sys/net writable (arp_ignore and such).
		"SYSTEMD_NSPAWN_API_VFS_WRITABLE=network",
		"LVSLAB_CGROUPS=" + strings.Join(cgroups, " "),
	}
	return spawn("container", h.Name, paths.layout(h.Name).console, env,
		"/bin/sh", append([]string{"-c", nspawnLoop, "lvslab-" + h.Name}, args...)...)
}

// nspawnLoop moves itself into the container's cgroups, then runs
// systemd-nspawn "$@", again whenever the container reboots (nspawn exits
// 133), so `reboot` in a container works as on a machine. SIGTERM is
// passed on to nspawn, which powers the container off.
const nspawnLoop = `for d in $LVSLAB_CGROUPS; do echo $$ >"$d/cgroup.procs" || exit 1; done
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 0' TERM INT
while :; do
	systemd-nspawn "$@" & pid=$!
	wait $pid; rc=$?
	[ $rc -eq 133 ] || exit $rc
done`
