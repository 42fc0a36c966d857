package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Real servers as VMs have the addresses, names and NICs of the
// containers, taps instead of veths, and MACs no other host has.
func TestTopologyRealServerVMs(t *testing.T) {
	cont, err := TopologyKinds(DefaultName, 3, 2, KindVM, KindContainer)
	if err != nil {
		t.Fatal(err)
	}
	vms, err := TopologyKinds(DefaultName, 3, 2, KindVM, KindVM)
	if err != nil {
		t.Fatal(err)
	}
	if len(cont) != len(vms) {
		t.Fatalf("%d hosts as containers, %d as VMs", len(cont), len(vms))
	}
	macs := map[string]string{}
	for i, h := range vms {
		c := cont[i]
		if h.Name != c.Name || h.Group != c.Group || len(h.NICs) != len(c.NICs) {
			t.Fatalf("host %d: %+v, as a container %+v", i, h, c)
		}
		for j, n := range h.NICs {
			cn := c.NICs[j]
			if n.Name != cn.Name || n.Addr != cn.Addr || n.Bridge != cn.Bridge || n.Gateway != cn.Gateway || n.Port != cn.Port {
				t.Errorf("%s %s: %+v, as a container %+v", h.Name, n.Name, n, cn)
			}
			if h.Kind == KindVM {
				if n.MAC == "" {
					t.Errorf("%s %s: no MAC", h.Name, n.Name)
				} else if other, dup := macs[n.MAC]; dup {
					t.Errorf("%s %s: MAC %s also on %s", h.Name, n.Name, n.MAC, other)
				}
				macs[n.MAC] = h.Name + " " + n.Name
			}
		}
		want := c.Kind
		if c.Group == GroupRealServers {
			want = KindVM
		}
		if h.Kind != want || (h.Kind == KindVM) != (h.Netns == "") {
			t.Errorf("%s: kind %s netns %q, want kind %s", h.Name, h.Kind, h.Netns, want)
		}
	}
	if _, err := TopologyKinds(DefaultName, 2, 1, KindVM, "docker"); err == nil || !strings.Contains(err.Error(), "docker") {
		t.Errorf("real server kind docker: %v", err)
	}
}

func TestRealServerOptionRefused(t *testing.T) {
	opts := Options{RealServer: "docker"}.withDefaults()
	if err := opts.validate(); err == nil || !strings.Contains(err.Error(), `realserver "docker"`) {
		t.Errorf("validate: %v", err)
	}
	if d := (Options{}).withDefaults(); d.RealServer != RealServerAuto {
		t.Errorf("default real server kind %q", d.RealServer)
	}
}

func TestMemAvailable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "meminfo")
	if err := os.WriteFile(p, []byte("MemTotal:       24683520 kB\nMemFree:        22443008 kB\nMemAvailable:    2097152 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if mib, ok := memAvailableMiB(p); !ok || mib != 2048 {
		t.Errorf("memAvailableMiB = %d, %v; want 2048", mib, ok)
	}
	if _, ok := memAvailableMiB(filepath.Join(t.TempDir(), "none")); ok {
		t.Error("a missing meminfo read as ok")
	}
}
