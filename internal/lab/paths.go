package lab

import (
	"os"
	"path/filepath"
)

// Paths name a lab and say where it keeps its files.
type Paths struct {
	// Name is the lab's name (DefaultName unless told otherwise): its
	// network namespace, and the last element of Data and Run.
	Name string `json:"name"`
	// Dir is .lvslab in the working directory: the inventory, the lab's SSH
	// key pair and known_hosts, everything the user points lvslab at.
	Dir string `json:"dir"`
	// Cache holds what outlives a lab and makes the next create fast: the
	// debootstrapped base, the VM's kernel, initrd and disk image.
	Cache string `json:"cache"`
	// Data holds the running lab's hosts: overlay layers, console logs, the
	// VM's configuration disk.
	Data string `json:"data"`
	// Run holds the state file and the relay's socket.
	Run string `json:"run"`
}

// DefaultPaths are the paths of the default lab: NamedPaths(DefaultName).
func DefaultPaths() Paths { return NamedPaths(DefaultName) }

// NamedPaths are the paths of the lab name: .lvslab in the working
// directory (.lvslab/NAME for another than the default lab),
// $XDG_CACHE_HOME/lvslab (default ~/.cache/lvslab, shared by all labs),
// /var/lib/lvslab/NAME and /run/lvslab/NAME.
func NamedPaths(name string) Paths {
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "/root"
		}
		cache = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(wd, ".lvslab")
	if name != DefaultName {
		dir = filepath.Join(dir, name)
	}
	return Paths{
		Name:  name,
		Dir:   dir,
		Cache: filepath.Join(cache, "lvslab"),
		Data:  filepath.Join("/var/lib/lvslab", name),
		Run:   filepath.Join("/run/lvslab", name),
	}
}

// Inventory is the lab's Ansible YAML inventory.
func (p Paths) Inventory() string { return filepath.Join(p.Dir, "inventory.yml") }

// Key is the lab's SSH private key (ed25519, 0600); Key()+".pub" is its public half.
func (p Paths) Key() string { return filepath.Join(p.Dir, "id_ed25519") }

// KnownHosts lists the host keys of the lab's hosts, for strict checking.
func (p Paths) KnownHosts() string { return filepath.Join(p.Dir, "known_hosts") }

// State is the running lab's state file: hosts, processes, mounts.
func (p Paths) State() string { return filepath.Join(p.Run, "state.json") }

// RelaySocket is the unix socket between the two halves of the apt relay.
func (p Paths) RelaySocket() string { return filepath.Join(p.Run, "apt.sock") }

// HostDir is the directory of one host's files under Data.
func (p Paths) HostDir(name string) string { return filepath.Join(p.Data, "hosts", name) }
