package facts

import (
	"sort"
	"strings"
)

// virtualScript prints virt=TYPE ROLE, virtg=TECH ... and virth=TECH ...:
// the virtualization facts worked out as Ansible 2.14's setup does
// (module_utils/facts/virtual/linux.py), in its order, the first finding
// naming type and role while every one adds its technology: the init
// process's cgroup (docker, lxc, containerd) and environment
// (container=lxc, podman, anything), /proc/vz, /run/systemd/container,
// /.dockerenv, /proc/xen, the DMI names in /sys (KVM, QEMU, VMware,
// VirtualBox, Xen, cloud vendors ...), VxID, /proc/cpuinfo (QEMU Virtual
// CPU), /proc/modules (kvm, vboxdrv, virtio), /dev/kvm; NA NA when nothing
// says (the init process's environment is read with tr, the one program
// it starts). Ansible's dmidecode fallback (root only, for kernels without
// /sys's DMI) and its IBM S/390 and PowerVM cases are left out. Shell
// builtins only.
const virtualScript = `vt=; vr=; vg=; vh=
vf() { [ -n "$vt" ] || { vt=$1; vr=$2; }; }
vtech() { case " $vg " in *" $1 "*) ;; *) vg="$vg $1" ;; esac; }
htech() { case " $vh " in *" $1 "*) ;; *) vh="$vh $1" ;; esac; }
vcat() { v=; { read -r v <"$1"; } 2>/dev/null; }
if [ -r /proc/1/cgroup ]; then while IFS= read -r l; do
  case $l in */docker/*|*/docker-*.scope*) vtech docker; vf docker guest ;; esac
  case $l in */lxc/*|*/machine.slice/machine-lxc*) vtech lxc; vf lxc guest ;; esac
  case $l in */system.slice/containerd.service*) vtech containerd; vf containerd guest ;; esac
done </proc/1/cgroup; fi
if [ -r /proc/1/environ ]; then ce=$(tr '\0' '\n' </proc/1/environ 2>/dev/null); while IFS= read -r l; do
  case $l in *container=lxc*) vtech lxc; vf lxc guest ;; esac
  case $l in *container=podman*) vtech podman; vf podman guest ;; esac
  case $l in container=?*) vtech container; vf container guest ;; esac
done <<VEOF
$ce
VEOF
fi
if [ -e /proc/vz ] && [ ! -e /proc/lve ]; then if [ -e /proc/bc ]; then htech openvz; vf openvz host; else vtech openvz; vf openvz guest; fi; fi
vcat /run/systemd/container; sc=$v; [ -n "$sc" ] && { vtech "$sc"; vf "$sc" guest; }
{ [ -e /.dockerenv ] || [ -e /.dockerinit ]; } && { vtech docker; vf docker guest; }
case " $vg " in *" docker "*|*" lxc "*|*" podman "*|*" openvz "*|*" containerd "*) vtech container ;; *) [ -n "$sc" ] && vtech container ;; esac
if [ -e /proc/xen ]; then if grep -qs control_d /proc/xen/capabilities; then htech xen; vf xen host; else vtech xen; vf xen guest; fi; fi
d=/sys/devices/virtual/dmi/id; vcat $d/product_name; pn=$v; vcat $d/sys_vendor; sv=$v; vcat $d/product_family; pf=$v; vcat $d/bios_vendor; bv=$v
case $pn in KVM|'KVM Server'|Bochs|AHV) vtech kvm; vf kvm guest ;; esac
[ "$sv" = oVirt ] && { vtech oVirt; vf oVirt guest; }
[ "$sv" = 'Red Hat' ] && { if [ "$pf" = RHV ]; then vtech RHV; vf RHV guest; elif [ "$pn" = 'RHEV Hypervisor' ]; then vtech RHEV; vf RHEV guest; fi; }
case $pn in 'VMware Virtual Platform'|'VMware7,1') vtech VMware; vf VMware guest ;; esac
case $pn in 'OpenStack Compute'|'OpenStack Nova') vtech openstack; vf openstack guest ;; esac
[ "$bv" = Xen ] && { vtech xen; vf xen guest; }
[ "$bv" = 'innotek GmbH' ] && { vtech virtualbox; vf virtualbox guest; }
case $bv in 'Amazon EC2'|DigitalOcean|Hetzner) vtech kvm; vf kvm guest ;; esac
case $sv in QEMU|'Amazon EC2'|DigitalOcean|Google|Scaleway|Nutanix) vtech kvm; vf kvm guest ;; esac
[ "$sv" = KubeVirt ] && { vtech KubeVirt; vf KubeVirt guest; }
[ "$sv" = 'Microsoft Corporation' ] && { vtech VirtualPC; vf VirtualPC guest; }
[ "$sv" = 'Parallels Software International Inc.' ] && { vtech parallels; vf parallels guest; }
[ "$sv" = 'OpenStack Foundation' ] && { vtech openstack; vf openstack guest; }
while read -r x v; do case $x in VxID:) if [ "$v" = 0 ]; then htech linux_vserver; vf linux_vserver host; else vtech linux_vserver; vf linux_vserver guest; fi ;; esac; done </proc/self/status
while IFS= read -r l; do case $l in 'model name'*'QEMU Virtual CPU'*) vtech kvm; vf kvm guest ;; 'vendor_id'*'User Mode Linux'*|'model name'*UML*) vtech uml; vf uml guest ;; esac; done </proc/cpuinfo
if [ -r /proc/modules ]; then km=; while read -r x r; do case $x in kvm|vboxdrv|virtio) km="$km $x" ;; esac; done </proc/modules
  case " $km " in *" kvm "*) htech kvm; vf kvm host ;; esac
  case " $km " in *" vboxdrv "*) htech virtualbox; vf virtualbox host ;; esac
  case " $km " in *" virtio "*) htech kvm; vf kvm guest ;; esac
fi
[ -e /dev/kvm ] && { htech kvm; vf kvm host; }
echo "virt=${vt:-NA} ${vr:-NA}"; echo "virtg=$vg"; echo "virth=$vh"
`

// virtual adds virtualization_type, virtualization_role and
// virtualization_tech_guest/_host (sorted; Ansible's are sets) from
// virtualScript's lines.
func virtual(f map[string]any, kv map[string]string) {
	line, ok := kv["virt"]
	if !ok {
		return
	}
	typ, role, _ := strings.Cut(line, " ")
	if i := strings.LastIndex(line, " "); i > 0 {
		typ, role = line[:i], line[i+1:] // a type from /run/systemd/container may hold spaces
	}
	f["virtualization_type"], f["virtualization_role"] = typ, role
	f["virtualization_tech_guest"], f["virtualization_tech_host"] = techList(kv["virtg"]), techList(kv["virth"])
}

func techList(s string) []any {
	w := strings.Fields(s)
	sort.Strings(w)
	out := make([]any, len(w))
	for i, x := range w {
		out[i] = x
	}
	return out
}
