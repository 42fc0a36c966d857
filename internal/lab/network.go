package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// bridgeAddrs are the lab namespace's own addresses: it is the router
// between the segments (for dr mode replies and the client's way to the
// private segment) and, on the management segment, the apt relay.
var bridgeAddrs = []struct{ bridge, addr string }{
	{BridgePublic, fmt.Sprintf("%s/%d", RouterPublic, publicPrefix)},
	{BridgePrivate, fmt.Sprintf("%s/%d", RouterPrivate, privatePrefix)},
	{BridgeMgmt, fmt.Sprintf("%s/%d", RouterMgmt, mgmtPrefix)},
}

// netnsPath is where ip-netns(8) keeps a named namespace.
func netnsPath(name string) string { return filepath.Join("/run/netns", name) }

// inNetns returns the arguments that run a command in the named network
// namespace with nsenter (not `ip netns exec`, which remounts /sys and
// breaks systemd-nspawn).
func inNetns(ns string, cmd ...string) []string {
	return append([]string{"--net=" + netnsPath(ns)}, cmd...)
}

// setupNetwork creates the lab namespace with its bridges, one namespace
// per container joined to the bridges by veth pairs, and the VM's taps.
// The root namespace gets no lab address or route.
func setupNetwork(ctx context.Context, labNetns string, hosts []Host) error {
	if err := ip(ctx, "netns", "add", labNetns); err != nil {
		return err
	}
	cmds := [][]string{{"link", "set", "lo", "up"}}
	for _, b := range bridgeAddrs {
		cmds = append(cmds,
			[]string{"link", "add", b.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"},
			[]string{"addr", "add", b.addr, "dev", b.bridge},
			[]string{"link", "set", b.bridge, "up"})
	}
	for _, h := range hosts {
		if h.Kind == KindContainer {
			if err := ip(ctx, "netns", "add", h.Netns); err != nil {
				return err
			}
			if err := ip(ctx, "-n", h.Netns, "link", "set", "lo", "up"); err != nil {
				return err
			}
		}
		for _, n := range h.NICs {
			if h.Kind == KindVM {
				cmds = append(cmds, []string{"tuntap", "add", "dev", n.Port, "mode", "tap"})
			} else {
				cmds = append(cmds, []string{"link", "add", n.Port, "type", "veth", "peer", "name", n.Name, "netns", h.Netns})
			}
			cmds = append(cmds, []string{"link", "set", n.Port, "master", n.Bridge, "up"})
		}
	}
	if err := ipBatch(ctx, labNetns, cmds); err != nil {
		return err
	}
	// Route between the segments; nothing leaves the lab namespace, which
	// has no link to the outside.
	_, err := run(ctx, "nsenter", inNetns(labNetns, "sysctl", "-qw", "net.ipv4.ip_forward=1")...)
	return err
}

// ipBatch runs ip commands in the namespace ns through one `ip -batch`.
func ipBatch(ctx context.Context, ns string, cmds [][]string) error {
	f, err := os.CreateTemp("", "lvslab-ip-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	for _, c := range cmds {
		fmt.Fprintln(f, strings.Join(c, " "))
	}
	if err := f.Close(); err != nil {
		return err
	}
	return ip(ctx, "-n", ns, "-batch", f.Name())
}

// labNamespaces lists the existing namespaces of the lab name: name and
// name-*, found even without a state file (after a crash).
func labNamespaces(name string) []string {
	ents, _ := os.ReadDir("/run/netns")
	var out []string
	for _, e := range ents {
		if n := e.Name(); n == name || strings.HasPrefix(n, name+"-") {
			out = append(out, n)
		}
	}
	return out
}
