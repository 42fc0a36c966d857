package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Destroy stops the default lab and removes everything it made
// (processes, mounts, namespaces with their bridges and taps, the hosts'
// layers, the inventory and known_hosts); the caches and the lab's SSH key
// stay. It is idempotent, and also cleans up after a crash that left no
// state file.
func Destroy(ctx context.Context, progress io.Writer) error {
	return DestroyNamed(ctx, DefaultName, progress)
}

// DestroyNamed is Destroy for the lab name.
func DestroyNamed(ctx context.Context, name string, progress io.Writer) error {
	if os.Geteuid() != 0 {
		return ErrNoRoot
	}
	if err := checkName(name); err != nil {
		return err
	}
	paths, pr := NamedPaths(name), newProgress(progress)
	if _, err := os.Stat(paths.Run); errors.Is(err, os.ErrNotExist) && len(labNamespaces(name)) == 0 &&
		len(mountsUnder(paths.Data)) == 0 && len(cgroupPIDs(name)) == 0 {
		pr.Printf("no lab to destroy")
		return nil
	}
	unlock, err := lockLab(ctx, paths, pr)
	if err != nil {
		return err
	}
	defer unlock()
	return destroyAt(ctx, paths, pr, false)
}

// destroyAt tears down the lab recorded in paths' state file, plus any lab
// namespace, mount or process found without it. quietIfNone says nothing
// when there was nothing to remove.
func destroyAt(ctx context.Context, paths Paths, pr *progress, quietIfNone bool) error {
	lab, err := loadState(paths.State())
	if err != nil {
		pr.Printf("ignoring the unreadable state file: %v", err)
		lab = nil
	}
	data := paths.Data
	if lab != nil && lab.Paths.Data != "" {
		data = lab.Paths.Data
	}
	namespaces := labNamespaces(paths.Name)
	mounts := mountsUnder(data)
	if lab == nil && len(namespaces) == 0 && len(mounts) == 0 && len(cgroupPIDs(paths.Name)) == 0 &&
		len(unixSocketPIDs(paths.RelaySocket())) == 0 {
		if !quietIfNone {
			pr.Printf("no lab to destroy")
		}
		return nil
	}
	done := pr.Step("destroy the lab")
	var errs []error
	if lab != nil {
		stopProcs(lab.Procs)
	}
	// Whatever still runs in a lab namespace (a container whose nspawn was
	// killed, a process started inside) goes too, by PID.
	// So does anything left in the containers' cgroups.
	var stray []int
	for _, ns := range namespaces {
		stray = append(stray, netnsPIDs(ctx, ns)...)
	}
	stray = append(stray, cgroupPIDs(paths.Name)...)
	stray = append(stray, unixSocketPIDs(paths.RelaySocket())...)
	for _, pid := range stray {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range stray {
		waitGone(Proc{PID: pid}, 5*time.Second)
	}
	removeCgroups(paths.Name)
	if lab != nil {
		mounts = append(mounts, lab.Mounts...)
	}
	for _, m := range mounts {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	for _, ns := range namespaces {
		if err := ip(ctx, "netns", "delete", ns); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(data); err != nil {
			errs = append(errs, err)
		}
	}
	os.Remove(paths.RelaySocket())
	if lab != nil && lab.Paths.Dir != "" {
		// They describe hosts that are gone; the key stays for the next lab.
		os.Remove(lab.Paths.Inventory())
		os.Remove(lab.Paths.KnownHosts())
	}
	if len(errs) == 0 {
		if err := os.Remove(paths.State()); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	done()
	return errors.Join(errs...)
}

// stopProcs stops the lab's processes: containers with SIGTERM (nspawn
// powers the container off; 15 s grace), the VM and the relay with SIGTERM
// (a few seconds), all at once; SIGKILL after the grace.
func stopProcs(procs []Proc) {
	var wg sync.WaitGroup
	for _, p := range procs {
		grace := 3 * time.Second
		if p.Role == "container" {
			grace = 15 * time.Second
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop(syscall.SIGTERM, grace)
		}()
	}
	wg.Wait()
}

// netnsPIDs lists the processes in the named network namespace.
func netnsPIDs(ctx context.Context, ns string) []int {
	out, err := run(ctx, "ip", "netns", "pids", ns)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder lists the mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	prefix := filepath.Clean(dir) + "/"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(unescapeMount(fields[4]), prefix) {
			out = append([]string{unescapeMount(fields[4])}, out...)
		}
	}
	return out
}

// unescapeMount undoes the octal escapes of mountinfo (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
