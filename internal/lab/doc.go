// Package lab is the built-in local lab (`lvslab lab create|destroy|status`):
// real hosts on one Linux machine, reached over SSH like any others.
//
// Every address lives in network namespaces the lab creates; the root
// namespace gets none, and nothing is routed off the machine. The lab's
// namespace (its name, "lvslab" by default) holds three bridges and routes
// between them (it is the segments' router, .254, which DR replies need):
//
//	                       client (container, ns lvslab-client)
//	                         eth0 172.17.1.100/16
//	                                 |
//	lvs-pub  ----------+-------------+---------------- 172.17.1.254 (lab ns)
//	                   |
//	             eth0 172.17.1.6/16  (VIP)
//	        lvs-server: qemu VM (no IPVS in the host kernel, taps in the lab ns)
//	                 or container (ns lvslab-lvs-server) where the kernel has IPVS
//	             eth1 192.168.30.106/24 (DIP)
//	                   |
//	lvs-priv ----------+-------------+---------------- 192.168.30.254 (lab ns)
//	                   |             |                 vip_dr 192.168.30.100
//	         rs01 192.168.30.107  rs02 192.168.30.7    (rs03 .108, rs04 .109 ...)
//	         (containers, ns lvslab-rs01, lvslab-rs02)
//
//	lvs-mgmt: one more NIC on every host, 10.254.0.0/24 (director .6,
//	rs01 .107, rs02 .7, client .100; the lab ns .254, also the apt relay)
//
// The controller dials every host on its management address from the lab's
// namespace (inventory variable lvslab_netns), so no LVS mode, which moves
// default routes and VIPs, can cut it off. The hosts' apt reaches the Debian
// mirror, and nothing else, through a relay: deb.debian.org resolves to
// 10.254.0.254 in their /etc/hosts, where socat forwards to a unix socket
// served by a socat in the root namespace connected to deb.debian.org:80.
//
// Containers are systemd-nspawn (booted, with sshd) on an overlay of a
// cached debootstrap of Debian 12; the VM boots Debian's kernel and an
// initrd under qemu -accel tcg from an ext4 image made with mkfs.ext4 -d,
// behind a throw-away overlay, and takes its per-host files from a tar
// archive on a second disk. Each host has its own hostname, machine-id,
// SSH host key and a plain root home; the lab writes .lvslab/inventory.yml,
// .lvslab/id_ed25519 and .lvslab/known_hosts (see Paths). Caches (base,
// kernel, initrd, image) are under $XDG_CACHE_HOME/lvslab; the state of a
// running lab (processes by PID and start time, mounts) is in
// /run/lvslab/NAME/state.json. Labs of different names run side by side.
//
// A real server's CPU can be capped (Options.RSCPU, SetRSCPU: percent of
// one CPU), by the quota of its cgroup of the cpu controller, v1 or v2;
// see cpu.go.
package lab
