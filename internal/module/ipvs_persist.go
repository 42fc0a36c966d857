package module

import (
	"slices"
	"strings"

	"lvslab/internal/ipvs"
)

// Where the IPVS table and its kernel settings are made to survive a reboot.
const (
	// ipvsRulesDebian is read by Debian's /etc/init.d/ipvsadm (`grep -v "^#"
	// /etc/ipvsadm.rules | ipvsadm -R`) at boot, but only when
	// /etc/default/ipvsadm says AUTO="true" (the package ships "false").
	ipvsRulesDebian   = "/etc/ipvsadm.rules"
	ipvsDefaultDebian = "/etc/default/ipvsadm"
	// ipvsRulesRedHat is restored by ipvsadm.service (ipvsadm-restore <
	// /etc/sysconfig/ipvsadm), which must be enabled.
	ipvsRulesRedHat = "/etc/sysconfig/ipvsadm"
	// ipvsSysctlFile sets ipvsSysctls at boot; ipvsModulesFile loads
	// ip_vs before systemd-sysctl runs, or the net.ipv4.vs keys do not exist yet.
	ipvsSysctlFile  = "/etc/sysctl.d/90-lvslab-ipvs.conf"
	ipvsModulesFile = "/etc/modules-load.d/lvslab-ipvs.conf"
	ipvsModules     = "ip_vs\n"
	ipvsAutoLine    = `AUTO="true"`
)

// ipvsSysctls are the net.ipv4.vs settings of every director:
// expire_nodest_conn drops the connections of a removed real server at
// once; conn_reuse_mode 3 schedules anew a connection from a client port
// that IPVS still holds an entry for — in DR (and TUN) the director never
// sees the reply and keeps FIN_WAIT entries for two minutes, and a client
// that opens thousands of connections a second reuses its ports within
// seconds; with the default 1 such a connection silently goes to the old
// entry's real server and is not counted as a new one.
var ipvsSysctls = [][2]string{{"expire_nodest_conn", "1"}, {"conn_reuse_mode", "3"}}

// ipvsSysctl is the content of ipvsSysctlFile.
var ipvsSysctl = func() string {
	var b strings.Builder
	for _, kv := range ipvsSysctls {
		b.WriteString("net.ipv4.vs." + kv[0] + " = " + kv[1] + "\n")
	}
	return b.String()
}()

// ipvsSysctlProbe prints KEY=VALUE for every key of ipvsSysctls.
var ipvsSysctlProbe = func() string {
	keys := make([]string, len(ipvsSysctls))
	for i, kv := range ipvsSysctls {
		keys[i] = kv[0]
	}
	return "for k in " + strings.Join(keys, " ") + "; do { read -r v </proc/sys/net/ipv4/vs/$k; } 2>/dev/null && echo \"$k=$v\"; done"
}()

// ipvsPersistProbes inspect the saved state of families (probeFamilies).
// None starts systemctl or grep.
func ipvsPersistProbes(families []string) []string {
	var out []string
	if slices.Contains(families, "Debian") {
		out = append(out,
			probe("rules_debian", catFile(ipvsRulesDebian)),
			probe("auto_debian", "while IFS= read -r l; do case $l in AUTO=*) echo \"$l\";; esac; done <"+ipvsDefaultDebian+" 2>/dev/null"))
	}
	if slices.Contains(families, "RedHat") {
		out = append(out,
			probe("rules_redhat", catFile(ipvsRulesRedHat)),
			probe("enabled_redhat", unitEnabled("ipvsadm.service")))
	}
	return append(out,
		probe("sysctl_file", catFile(ipvsSysctlFile)),
		probe("modules_file", catFile(ipvsModulesFile)))
}

// ipvsPersist works out the steps that make the runtime settings and the
// table persistent on one family.
type ipvsPersist struct {
	family string // Debian or RedHat
	save   bool
}

// steps returns the shell steps still needed, given the inspect probes, the
// table as it will be after the ipvsadm commands, and whether there are any.
func (ps ipvsPersist) steps(in inspection, after ipvs.Table, tableChanged bool) []string {
	var steps []string
	for _, kv := range ipvsSysctls {
		if !slices.Contains(strings.Split(in.text("sysctl"), "\n"), kv[0]+"="+kv[1]) {
			steps = append(steps, "sysctl -qw net.ipv4.vs."+kv[0]+"="+kv[1])
		}
	}
	if !ps.save {
		return steps
	}
	if in.out["sysctl_file"] != ipvsSysctl {
		steps = append(steps, writeStep(ipvsSysctlFile, ipvsSysctl))
	}
	if in.out["modules_file"] != ipvsModules {
		steps = append(steps, writeStep(ipvsModulesFile, ipvsModules))
	}
	rules, saved := ipvsRulesDebian, in.text("rules_debian")
	if ps.family == "RedHat" {
		rules, saved = ipvsRulesRedHat, in.text("rules_redhat")
	}
	t, err := ipvs.ParseSave(saved)
	if tableChanged || err != nil || !t.Equal(after) {
		tmp := rules + ".lvslab-tmp"
		header := ""
		if ps.family != "RedHat" {
			header = "echo '# ipvsadm.rules'; " // as the Debian init script's save writes it
		}
		steps = append(steps, "{ "+header+"ipvsadm -S -n; } > "+tmp+" && mv -f "+tmp+" "+rules)
	}
	switch {
	case ps.family == "RedHat" && strings.TrimSpace(in.text("enabled_redhat")) != "enabled":
		steps = append(steps, "systemctl enable ipvsadm")
	case ps.family != "RedHat" && strings.TrimSpace(in.text("auto_debian")) != ipvsAutoLine:
		steps = append(steps, "{ if grep -q '^AUTO=' "+ipvsDefaultDebian+" 2>/dev/null; then sed -i 's/^AUTO=.*/"+
			ipvsAutoLine+"/' "+ipvsDefaultDebian+"; else echo '"+ipvsAutoLine+"' >> "+ipvsDefaultDebian+"; fi; }")
	}
	return steps
}
