package module

import (
	"slices"
	"strconv"
	"strings"
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
	// ipvsSysctlFile sets expire_nodest_conn at boot; ipvsModulesFile loads
	// ip_vs before systemd-sysctl runs, or the net.ipv4.vs keys do not exist yet.
	ipvsSysctlFile  = "/etc/sysctl.d/90-lvslab-ipvs.conf"
	ipvsSysctl      = "net.ipv4.vs.expire_nodest_conn = 1\n"
	ipvsModulesFile = "/etc/modules-load.d/lvslab-ipvs.conf"
	ipvsModules     = "ip_vs\n"
	ipvsAutoLine    = `AUTO="true"`
)

// ipvsPersistProbes inspect the saved state of families (labProbeFamilies).
// None starts systemctl or grep.
func ipvsPersistProbes(families []string) []string {
	var probes []string
	if slices.Contains(families, "Debian") {
		probes = append(probes,
			labProbe("rules_debian", labCat(ipvsRulesDebian)),
			labProbe("auto_debian", "while IFS= read -r l; do case $l in AUTO=*) echo \"$l\";; esac; done <"+ipvsDefaultDebian+" 2>/dev/null"))
	}
	if slices.Contains(families, "RedHat") {
		probes = append(probes,
			labProbe("rules_redhat", labCat(ipvsRulesRedHat)),
			labProbe("enabled_redhat", labUnitEnabled("ipvsadm.service")))
	}
	return append(probes,
		labProbe("sysctl_file", labCat(ipvsSysctlFile)),
		labProbe("modules_file", labCat(ipvsModulesFile)))
}

// ipvsPersist works out the steps that make the runtime settings and the
// table persistent on one family.
type ipvsPersist struct {
	family string // Debian or RedHat
	save   bool
}

func ipvsPersistence(family string, save bool) ipvsPersist {
	return ipvsPersist{family: family, save: save}
}

// steps returns the shell steps still needed, given the inspect probes, the
// table as it will be after the ipvsadm commands, and whether there are any.
func (ps ipvsPersist) steps(p labProbeResult, after []IPVSService, tableChanged bool) []string {
	var steps []string
	if strings.TrimSpace(p.text("sysctl")) != "1" {
		steps = append(steps, "sysctl -qw net.ipv4.vs.expire_nodest_conn=1")
	}
	if !ps.save {
		return steps
	}
	if p.out["sysctl_file"] != ipvsSysctl {
		steps = append(steps, labWriteFile(ipvsSysctlFile, ipvsSysctl))
	}
	if p.out["modules_file"] != ipvsModules {
		steps = append(steps, labWriteFile(ipvsModulesFile, ipvsModules))
	}
	rules, saved := ipvsRulesDebian, p.text("rules_debian")
	if ps.family == "RedHat" {
		rules, saved = ipvsRulesRedHat, p.text("rules_redhat")
	}
	t, err := ParseIpvsadmSave(saved)
	if tableChanged || err != nil || !ipvsTablesEqual(t, after) {
		tmp := rules + ".lvslab-tmp"
		header := ""
		if ps.family != "RedHat" {
			header = "echo '# ipvsadm.rules'; " // as the Debian init script's save writes it
		}
		steps = append(steps, "{ "+header+"ipvsadm -S -n; } > "+tmp+" && mv -f "+tmp+" "+rules)
	}
	switch {
	case ps.family == "RedHat" && strings.TrimSpace(p.text("enabled_redhat")) != "enabled":
		steps = append(steps, "systemctl enable ipvsadm")
	case ps.family != "RedHat" && strings.TrimSpace(p.text("auto_debian")) != ipvsAutoLine:
		steps = append(steps, "{ if grep -q '^AUTO=' "+ipvsDefaultDebian+" 2>/dev/null; then sed -i 's/^AUTO=.*/"+
			ipvsAutoLine+"/' "+ipvsDefaultDebian+"; else echo '"+ipvsAutoLine+"' >> "+ipvsDefaultDebian+"; fi; }")
	}
	return steps
}

// FormatIpvsadmSave returns table in ipvsadm-save format, one line per rule.
func FormatIpvsadmSave(table []IPVSService) string {
	var b strings.Builder
	for _, s := range table {
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// ipvsTablesEqual reports whether a and b hold the same services, in any order.
func ipvsTablesEqual(a, b []IPVSService) bool {
	if len(a) != len(b) {
		return false
	}
	for _, s := range a {
		i := slices.IndexFunc(b, func(o IPVSService) bool { return o.Key() == s.Key() })
		if i < 0 || !s.Equal(b[i]) {
			return false
		}
	}
	return true
}

// ipvsParseConns parses `ipvsadm -L -n` output of one service into the
// active connection count of each real server, by key.
func ipvsParseConns(text string) map[string]int {
	conns := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != "->" {
			continue
		}
		if n, err := strconv.Atoi(f[4]); err == nil {
			if ap, _, err := ipvsParseAddrPort(f[1], 0); err == nil {
				conns[ap.String()] = n
			}
		}
	}
	return conns
}
