package module

import (
	"strings"

	"lvslab/internal/host"
)

// The modules that make a runtime setting survive a reboot the same way on
// every distribution (ip_address, route) write a oneshot systemd unit that
// applies it at boot.

// unitDir is where those units are written.
const unitDir = "/etc/systemd/system/"

// unitText returns a oneshot unit running start at boot and stop (failure ignored) on stop.
func unitText(desc, start, stop string) string {
	return "# Managed by lvslab: do not edit.\n[Unit]\nDescription=" + desc +
		"\nWants=network-online.target\nAfter=network-online.target\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=" +
		start + "\nExecStop=-" + stop + "\n\n[Install]\nWantedBy=multi-user.target\n"
}

// unitProbes inspect unit: its file and whether it is enabled.
func unitProbes(unit string) []string {
	return []string{
		probe("unit", catFile(unitDir+unit)),
		probe("enabled", unitEnabled(unit)),
	}
}

// unitEnabled prints "enabled" when unit, wanted by multi-user.target,
// is enabled: systemctl is-enabled without starting systemctl (a third of
// a second on a slow host).
func unitEnabled(unit string) string {
	return "[ -L " + host.Quote(unitDir+"multi-user.target.wants/"+unit) + " ] && echo enabled"
}

// unitSteps returns the steps that install and enable unit with content
// (want) or disable and remove it (!want), given what unitProbes found.
func unitSteps(in inspection, unit, content string, want bool) []string {
	path := host.Quote(unitDir + unit)
	exists := in.ok("unit")
	enabled := strings.TrimSpace(in.text("enabled")) == "enabled"
	var steps []string
	switch {
	case want && in.out["unit"] != content:
		steps = append(steps, writeStep(unitDir+unit, content), "systemctl daemon-reload", "systemctl enable "+host.Quote(unit))
	case want && !enabled:
		steps = append(steps, "systemctl enable "+host.Quote(unit))
	case !want && exists:
		steps = append(steps, "systemctl disable --now "+host.Quote(unit), "rm -f "+path, "systemctl daemon-reload")
	}
	if len(steps) > 0 && want {
		steps = append([]string{"umask 022"}, steps...)
	}
	return steps
}
