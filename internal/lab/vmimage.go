package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// The director's VM, where the kernel has no IPVS: Debian's own kernel and
// initrd, booted by qemu directly, and an ext4 root image made from a copy
// of the base with `mkfs.ext4 -d` (patching an image with debugfs corrupted
// it). The image is shared read-only by every lab; qemu writes to a
// throw-away overlay. Per-host files come from a second disk holding a tar
// archive, extracted at boot by lvslab-config.service.
const (
	vmRecipe    = baseRecipe + "+vm-4"
	vmImageSize = "3G"
)

// vmFiles are what the VM needs beyond the base.
var vmFiles = []file{
	{Path: "etc/fstab", Mode: 0o644, Data: []byte("/dev/vda / ext4 rw,noatime 0 0\n")},
	// A small initrd: just what mounts the root on virtio.
	{Path: "etc/initramfs-tools/conf.d/lvslab", Mode: 0o644, Data: []byte("MODULES=list\n")},
	// virtio_net too: the NICs exist when systemd starts, so networking need
	// not wait for udev to settle.
	{Path: "etc/initramfs-tools/modules", Mode: 0o644, Data: []byte("virtio_pci\nvirtio_blk\nvirtio_net\next4\n")},
	// Modules udev would load for qemu's emulated hardware, useless here and
	// slow to load without KVM.
	{Path: "etc/modprobe.d/lvslab-vm.conf", Mode: 0o644, Data: []byte(
		"# lvslab: emulated hardware the lab does not use\n" +
			"blacklist kvm\nblacklist kvm_amd\nblacklist kvm_intel\nblacklist ccp\nblacklist floppy\n" +
			"blacklist psmouse\nblacklist serio_raw\nblacklist pcspkr\nblacklist drm\nblacklist bochs\n" +
			"blacklist i2c_piix4\nblacklist ata_piix\nblacklist ata_generic\nblacklist evdev\nblacklist button\n")},
	// networking.service runs `udevadm settle` first; the NICs are there.
	{Path: "etc/systemd/system/networking.service.d/lvslab.conf", Mode: 0o644, Data: []byte("[Service]\nExecStartPre=\n")},
	{Path: "etc/systemd/journald.conf.d/lvslab.conf", Mode: 0o644, Data: []byte("[Journal]\nStorage=volatile\n")},
	{Path: "usr/local/sbin/lvslab-config", Mode: 0o755, Data: []byte(`#!/bin/sh
# lvslab: apply this host's files (hostname, machine-id, addresses, SSH keys)
# from the tar archive on the configuration disk (its driver is in the
# initrd: the node is there before udev runs).
set -e
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
tar -xpf /dev/vdb -C / --no-overwrite-dir
hostname -F /etc/hostname
`)},
	{Path: "etc/systemd/system/lvslab-config.service", Mode: 0o644, Data: []byte(`[Unit]
Description=lvslab per-host configuration
DefaultDependencies=no
After=systemd-remount-fs.service
Before=sysinit.target networking.service ssh.service systemd-hostnamed.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/lvslab-config

[Install]
WantedBy=sysinit.target
`)},
}

// vmMasked are units the VM boots faster without: ifupdown-pre waits for
// udev to settle (the NICs are there from the initrd), the rest mount
// file systems nothing in the lab uses.
var vmMasked = []string{
	"ifupdown-pre.service", "sys-fs-fuse-connections.mount", "sys-kernel-config.mount",
	"sys-kernel-debug.mount", "sys-kernel-tracing.mount", "dev-hugepages.mount",
	"systemd-journal-flush.service", "serial-getty@ttyS0.service",
}

// vmDir holds the VM's kernel, initrd and root image.
func (p Paths) vmDir() string { return filepath.Join(p.cacheDir(), "vm") }

// The real servers' VM image is the director's plus the LNMP packages
// that tasks/lnmp.yml installs (as its package module names them on
// Debian), installed in a chroot on the host: dpkg in a VM emulated
// without KVM takes over 10 minutes for them, in a chroot under one. They
// are not enabled: the playbook checks them, configures, starts and
// enables everything.
const (
	rsRecipe = vmRecipe + "+lnmp-3"
	rsLNMP   = "nginx php-fpm php-mysql mariadb-server"
)

// rsVMDir holds the real servers' root image (kernel and initrd are the
// director's).
func (p Paths) rsVMDir() string { return filepath.Join(p.cacheDir(), "vm-rs") }

// vmImageFor is the cached VM image of host h.
func (p Paths) vmImageFor(h Host) vmImage {
	img := p.vmImage()
	if h.Group == GroupRealServers {
		img.Root = filepath.Join(p.rsVMDir(), "root.img")
	}
	return img
}

// vmImage is the cached VM: kernel, initrd and root image.
type vmImage struct{ Kernel, Initrd, Root string }

func (p Paths) vmImage() vmImage {
	d := p.vmDir()
	return vmImage{filepath.Join(d, "vmlinuz"), filepath.Join(d, "initrd.img"), filepath.Join(d, "root.img")}
}

// ensureVMImage builds the VM's kernel, initrd and root image from the base
// unless they are cached.
func ensureVMImage(ctx context.Context, paths Paths, pr *progress) error {
	dir := paths.vmDir()
	root, tmp, cached, err := startBuild(dir, vmRecipe, "vm image", pr)
	if cached || err != nil {
		return err
	}
	defer os.RemoveAll(root)
	log := filepath.Join(paths.cacheDir(), "build.log")

	done := pr.Step("vm image: copy the base, install Debian's kernel and make the initrd")
	if err := vmRoot(ctx, paths, root, log); err != nil {
		return err
	}
	done()

	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	img := vmImage{filepath.Join(tmp, "vmlinuz"), filepath.Join(tmp, "initrd.img"), filepath.Join(tmp, "root.img")}
	for src, dst := range map[string]string{"boot/vmlinuz-*": img.Kernel, "boot/initrd.img-*": img.Initrd} {
		m, _ := filepath.Glob(filepath.Join(root, src))
		if len(m) != 1 {
			return fmt.Errorf("vm image: want one /%s, found %d", src, len(m))
		}
		if _, err := run(ctx, "cp", m[0], dst); err != nil {
			return err
		}
	}
	done = pr.Step("vm image: mkfs.ext4 -d (%s)", vmImageSize)
	if _, err := run(ctx, "mkfs.ext4", "-q", "-F", "-L", "lvslab-root", "-d", root, img.Root, vmImageSize); err != nil {
		return err
	}
	done()
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.WriteFile(dir+".ok", []byte(vmRecipe+"\n"), 0o644)
}

// ensureRSVMImage builds the real servers' root image (rsRecipe) unless it
// is cached; the director's image must be there (its kernel and initrd).
func ensureRSVMImage(ctx context.Context, paths Paths, pr *progress) error {
	dir := paths.rsVMDir()
	root, tmp, cached, err := startBuild(dir, rsRecipe, "real server vm image", pr)
	if cached || err != nil {
		return err
	}
	defer os.RemoveAll(root)
	log := filepath.Join(paths.cacheDir(), "build.log")
	done := pr.Step("real server vm image: the vm image's tree plus %s", rsLNMP)
	if err := vmRoot(ctx, paths, root, log); err != nil {
		return err
	}
	// policy-rc.d keeps the services from starting in the chroot.
	script := "printf '#!/bin/sh\\nexit 101\\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && " +
		"apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold " + rsLNMP +
		" && rm -f /usr/sbin/policy-rc.d && apt-get clean" +
		// Not started at boot: under TCG they made a real server's boot
		// take minutes; tasks/lnmp.yml starts and enables them, as on a
		// machine where it installs them.
		" && systemctl disable nginx php8.2-fpm mariadb"
	if err := inChroot(ctx, root, log, script); err != nil {
		return fmt.Errorf("install LNMP in the real server vm image: %w", err)
	}
	done()
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	done = pr.Step("real server vm image: mkfs.ext4 -d (%s)", vmImageSize)
	if _, err := run(ctx, "mkfs.ext4", "-q", "-F", "-L", "lvslab-root", "-d", root, filepath.Join(tmp, "root.img"), vmImageSize); err != nil {
		return err
	}
	done()
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.WriteFile(dir+".ok", []byte(rsRecipe+"\n"), 0o644)
}

// startBuild reports whether the cached dir was built by recipe (saying
// so); if not, it clears what a build of dir leaves (its tree root, its
// next content tmp, the old dir and its stamp) and returns root and tmp.
func startBuild(dir, recipe, label string, pr *progress) (root, tmp string, cached bool, err error) {
	if stampOK(dir, recipe) {
		pr.Printf("%s: cached in %s", label, dir)
		return "", "", true, nil
	}
	root, tmp = dir+".root", dir+".tmp"
	for _, d := range []string{root, tmp, dir} {
		if err := os.RemoveAll(d); err != nil {
			return "", "", false, err
		}
	}
	os.Remove(dir + ".ok")
	return root, tmp, false, nil
}

// vmRoot makes root a VM's tree: a copy of the base, vmFiles, the masked
// units and Debian's kernel with its initrd.
func vmRoot(ctx context.Context, paths Paths, root, log string) error {
	if _, err := run(ctx, "cp", "-a", "--reflink=auto", paths.baseDir(), root); err != nil {
		return err
	}
	if err := writeTree(root, root, vmFiles); err != nil {
		return err
	}
	for _, u := range vmMasked {
		if err := os.Symlink("/dev/null", filepath.Join(root, "etc/systemd/system", u)); err != nil {
			return err
		}
	}
	want := filepath.Join(root, "etc/systemd/system/sysinit.target.wants")
	if err := os.MkdirAll(want, 0o755); err != nil {
		return err
	}
	if err := os.Symlink("/etc/systemd/system/lvslab-config.service", filepath.Join(want, "lvslab-config.service")); err != nil {
		return err
	}
	if err := inChroot(ctx, root, log, "apt-get install -y -q --no-install-recommends linux-image-amd64 && apt-get clean"); err != nil {
		return fmt.Errorf("install the kernel in the vm image: %w", err)
	}
	return nil
}
