package lab

import (
	"archive/tar"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// file is one file (or directory, when Dir) that makes a host itself:
// its path is relative to the host's root.
type file struct {
	Path string
	Mode fs.FileMode
	Data []byte
	Dir  bool
}

// hostFiles are the files that make a clone of the base into the host h:
// hostname, machine-id, addresses, SSH host key and the lab's login key.
func hostFiles(h Host, machineID string, hostKey, loginKey keyPair, all []Host) []file {
	return []file{
		{Path: "etc/hostname", Mode: 0o644, Data: []byte(h.Name + "\n")},
		{Path: "etc/machine-id", Mode: 0o444, Data: []byte(machineID + "\n")},
		{Path: "etc/hosts", Mode: 0o644, Data: []byte(etcHosts(h, all))},
		{Path: "etc/resolv.conf", Mode: 0o644, Data: []byte("# lvslab: no DNS in the lab; names are in /etc/hosts\n")},
		{Path: "etc/network/interfaces", Mode: 0o644, Data: []byte(interfaces(h))},
		{Path: "etc/ssh/ssh_host_ed25519_key", Mode: 0o600, Data: hostKey.Private},
		{Path: "etc/ssh/ssh_host_ed25519_key.pub", Mode: 0o644, Data: []byte(hostKey.AuthorizedLine("root@" + h.Name))},
		{Path: "root/.ssh", Mode: 0o700, Dir: true},
		{Path: "root/.ssh/authorized_keys", Mode: 0o600, Data: []byte(loginKey.AuthorizedLine("lvslab"))},
	}
}

// newMachineID returns a random systemd machine ID (32 hex digits).
func newMachineID() (string, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	return hex.EncodeToString(id), nil
}

// etcHosts names the host, every lab host by its service address, and
// sends the Debian mirror's names to the apt relay.
func etcHosts(h Host, all []Host) string {
	var b strings.Builder
	fmt.Fprintf(&b, "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n\n", h.Name)
	b.WriteString("# the Debian mirror, through the lab's apt relay\n")
	fmt.Fprintf(&b, "%s\tdeb.debian.org security.debian.org\n\n# the lab\n", RouterMgmt)
	for _, o := range all {
		if o.Name != h.Name {
			fmt.Fprintf(&b, "%s\t%s\n", o.ServiceAddr(), o.Name)
		}
	}
	return b.String()
}

// interfaces is the host's /etc/network/interfaces (ifupdown).
func interfaces(h Host) string {
	var b strings.Builder
	b.WriteString("# Written by lvslab lab create.\nsource /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n")
	for _, n := range h.NICs {
		fmt.Fprintf(&b, "\n# %s\nauto %s\niface %s inet static\n\taddress %s\n", n.Bridge, n.Name, n.Name, n.Addr)
		if n.Gateway != "" {
			fmt.Fprintf(&b, "\tgateway %s\n", n.Gateway)
		}
	}
	return b.String()
}

// writeTree writes files under root (a container's overlay upper layer).
// Missing parent directories take the mode and owner of the same directory
// in lower (the base), so that the merged view keeps them.
func writeTree(root, lower string, files []file) error {
	for _, f := range files {
		dst := filepath.Join(root, f.Path)
		if err := mkParents(root, lower, filepath.Dir(f.Path)); err != nil {
			return err
		}
		if f.Dir {
			if err := os.MkdirAll(dst, f.Mode); err != nil {
				return err
			}
		} else {
			os.Remove(dst)
			if err := os.WriteFile(dst, f.Data, f.Mode); err != nil {
				return err
			}
		}
		if err := os.Chmod(dst, f.Mode); err != nil {
			return err
		}
		if err := os.Lchown(dst, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// mkParents creates rel (relative to root) and its parents with the modes
// they have under lower.
func mkParents(root, lower, rel string) error {
	if rel == "." || rel == "" {
		return nil
	}
	if err := mkParents(root, lower, filepath.Dir(rel)); err != nil {
		return err
	}
	dst := filepath.Join(root, rel)
	if _, err := os.Lstat(dst); err == nil {
		return nil
	}
	mode := fs.FileMode(0o755)
	if st, err := os.Stat(filepath.Join(lower, rel)); err == nil {
		mode = st.Mode().Perm()
	}
	if err := os.Mkdir(dst, mode); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

// writeTar writes files as a tar archive owned by root, extracted in the VM
// from its configuration disk with `tar -xpf /dev/vdb -C /`.
func writeTar(w io.Writer, files []file) error {
	tw := tar.NewWriter(w)
	now := time.Now()
	for _, f := range files {
		hdr := &tar.Header{Name: f.Path, Mode: int64(f.Mode), ModTime: now, Format: tar.FormatPAX}
		if f.Dir {
			hdr.Typeflag, hdr.Name = tar.TypeDir, f.Path+"/"
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.Data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	return tw.Close()
}
