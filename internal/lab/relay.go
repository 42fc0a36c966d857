package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The apt relay gives the hosts the Debian mirror and nothing else: socat
// in the root namespace forwards a unix socket to deb.debian.org:80, and a
// second socat in the lab namespace listens on RouterMgmt:80 and forwards
// to that socket. The hosts resolve deb.debian.org (and security.debian.org)
// to RouterMgmt in /etc/hosts, so apt sends the right Host header.
const relayUpstream = "deb.debian.org:80"

// startRelay starts both halves of the relay and returns their processes.
func startRelay(ctx context.Context, paths Paths) ([]Proc, error) {
	sock := paths.RelaySocket()
	os.Remove(sock)
	log := filepath.Join(paths.Data, "relay.log")
	outer, err := spawn("relay", "", log, nil, "socat",
		"UNIX-LISTEN:"+sock+",fork,perm=0600", "TCP:"+relayUpstream)
	if err != nil {
		return nil, err
	}
	procs := []Proc{outer}
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) || !outer.Alive() {
			return procs, fmt.Errorf("apt relay: socat did not create %s (log: %s)", sock, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	inner, err := spawn("relay", "", log, nil, "nsenter", inNetns(paths.Name, "socat",
		fmt.Sprintf("TCP-LISTEN:80,bind=%s,fork,reuseaddr", RouterMgmt), "UNIX-CONNECT:"+sock)...)
	if err != nil {
		return procs, err
	}
	procs = append(procs, inner)
	time.Sleep(100 * time.Millisecond)
	if !inner.Alive() {
		return procs, fmt.Errorf("apt relay: socat in namespace %s exited (log: %s)", paths.Name, log)
	}
	return procs, nil
}
