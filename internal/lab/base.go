package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The base every host is cloned from: Debian 12 from debootstrap, with
// systemd, sshd and the tools a sysadmin expects, configured once. The
// packages of the lab itself (nginx, php-fpm, MariaDB, ipvsadm, iptables)
// are left to the playbooks.
const (
	release = "bookworm"
	mirror  = "http://deb.debian.org/debian"
	// baseRecipe names this recipe: a cache built by another one is rebuilt.
	baseRecipe = "base-3"
)

var basePackages = []string{
	"systemd-sysv", "dbus", "libpam-systemd", "openssh-server", "sudo",
	"iproute2", "iputils-ping", "ifupdown", "curl", "ca-certificates",
	"procps", "less", "netbase", "kmod", "udev", "initramfs-tools", "zstd",
}

// masked are units a lab host has no use for; masking them trims the boot
// and keeps background jobs from competing with the playbooks.
var masked = []string{
	"apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer",
	"e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer",
	"systemd-pstore.service", "systemd-firstboot.service",
	"getty@tty1.service", "console-getty.service",
}

// baseFiles configure the base for every host.
var baseFiles = []file{
	{Path: "etc/apt/sources.list", Mode: 0o644, Data: []byte(
		"deb " + mirror + " " + release + " main\n" +
			"deb " + mirror + " " + release + "-updates main\n" +
			"deb http://deb.debian.org/debian-security " + release + "-security main\n")},
	{Path: "etc/ssh/sshd_config.d/lvslab.conf", Mode: 0o644, Data: []byte(
		"# lvslab: one host key per host, keys only\nHostKey /etc/ssh/ssh_host_ed25519_key\n" +
			"PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n")},
	// dpkg without fsync: a lab host is disposable, and installs are faster.
	{Path: "etc/dpkg/dpkg.cfg.d/lvslab-unsafe-io", Mode: 0o644, Data: []byte("force-unsafe-io\n")},
	{Path: "etc/systemd/system.conf.d/lvslab.conf", Mode: 0o644, Data: []byte(
		"[Manager]\nDefaultTimeoutStartSec=60s\nDefaultTimeoutStopSec=10s\n")},
	{Path: "etc/resolv.conf", Mode: 0o644, Data: []byte("# lvslab: no DNS in the lab; names are in /etc/hosts\n")},
	{Path: "etc/hostname", Mode: 0o644, Data: []byte("localhost\n")},
	{Path: "etc/machine-id", Mode: 0o444, Data: nil},
}

// cacheDir is the cache of one release.
func (p Paths) cacheDir() string { return filepath.Join(p.Cache, release) }

// baseDir is the debootstrapped, configured base.
func (p Paths) baseDir() string { return filepath.Join(p.cacheDir(), "base") }

// stampOK reports whether dir was completed by recipe: its stamp file
// dir+".ok" holds the recipe's name.
func stampOK(dir, recipe string) bool {
	b, err := os.ReadFile(dir + ".ok")
	return err == nil && strings.TrimSpace(string(b)) == recipe
}

// ensureBase builds the base unless a complete one of this recipe is
// cached. It is built beside its final place and renamed, so an interrupted
// build never leaves a half base.
func ensureBase(ctx context.Context, paths Paths, pr *progress) error {
	dir := paths.baseDir()
	if stampOK(dir, baseRecipe) {
		pr.Printf("base: Debian %s cached in %s", release, dir)
		return nil
	}
	if err := os.MkdirAll(paths.cacheDir(), 0o755); err != nil {
		return err
	}
	tmp, log := dir+".tmp", filepath.Join(paths.cacheDir(), "build.log")
	os.Remove(log)
	for _, d := range []string{tmp, dir} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	os.Remove(dir + ".ok")
	done := pr.Step("debootstrap %s into %s (about a minute; log %s)", release, tmp, log)
	err := runLogged(ctx, log, "debootstrap", "--variant=minbase",
		"--include="+strings.Join(basePackages, ","), release, tmp, mirror)
	if err != nil {
		return fmt.Errorf("debootstrap: %w", err)
	}
	done()
	done = pr.Step("configure the base")
	if err := configureBase(ctx, tmp, log); err != nil {
		return fmt.Errorf("configure the base: %w", err)
	}
	done()
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.WriteFile(dir+".ok", []byte(baseRecipe+"\n"), 0o644)
}

// configureBase writes baseFiles, removes what must differ per host (SSH
// host keys; hostname and machine-id are reset), masks units and refreshes
// the package lists of every suite.
func configureBase(ctx context.Context, root, log string) error {
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return err
		}
	}
	for _, f := range baseFiles {
		os.Remove(filepath.Join(root, f.Path)) // resolv.conf may be a link
	}
	if err := writeTree(root, root, baseFiles); err != nil {
		return err
	}
	for _, u := range masked {
		link := filepath.Join(root, "etc/systemd/system", u)
		os.Remove(link)
		if err := os.Symlink("/dev/null", link); err != nil {
			return err
		}
	}
	// The wants links of masked units would only log warnings.
	for _, u := range masked {
		links, _ := filepath.Glob(filepath.Join(root, "etc/systemd/system/*.wants", u))
		for _, l := range links {
			os.Remove(l)
		}
	}
	return inChroot(ctx, root, log, "apt-get update -q && apt-get clean")
}

// inChroot runs a shell command in root with systemd-nspawn (not booted,
// on the host's network, with the host's resolv.conf), logging to log.
func inChroot(ctx context.Context, root, log, script string) error {
	if err := ensureNspawnDir(); err != nil {
		return err
	}
	return runLogged(ctx, log, "systemd-nspawn", "--quiet", "--register=no", "--keep-unit",
		"--resolv-conf=bind-host", "--timezone=off", "--directory="+root,
		"--setenv=DEBIAN_FRONTEND=noninteractive", "/bin/sh", "-ec", script)
}

// ensureNspawnDir creates /run/systemd/nspawn, which systemd-nspawn needs
// and which only exists where systemd is PID 1.
func ensureNspawnDir() error {
	err := os.MkdirAll("/run/systemd/nspawn", 0o755)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}
