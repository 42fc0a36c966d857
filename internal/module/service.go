package module

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"lvslab/internal/host"
)

var serviceNameRE = regexp.MustCompile(`^[A-Za-z0-9@._:-]+$`)

// Service starts, stops, restarts or reloads a service and enables or
// disables it at boot, with systemctl where systemd runs (service_mgr fact,
// probed when facts were not gathered) and with the init script (service or
// /etc/init.d/NAME, update-rc.d or chkconfig) elsewhere. name may be a
// logical name (ServiceName: php-fpm is php8.2-fpm on Debian 12). Whether
// the service is active and enabled is queried in one round trip; when both
// are as wanted that is all it costs. restarted and reloaded are always
// changed (reloading a stopped service starts it). daemon_reload runs
// `systemctl daemon-reload` first (not in check mode), in the same round
// trip; alone it is not a change. A service that does not exist fails the
// task, except in check mode, where the package an earlier task would install
// may bring it: there it is reported as skipped.
type Service struct {
	Name         string `yaml:"name"`
	State        string `yaml:"state"`
	Enabled      *bool  `yaml:"enabled"`
	DaemonReload bool   `yaml:"daemon_reload"`
}

// Validate checks the state and that there is something to do.
func (s *Service) Validate() error {
	var errs []string
	if s.Name != "" && !serviceNameRE.MatchString(s.Name) {
		errs = append(errs, fmt.Sprintf("invalid service name %q", s.Name))
	}
	if s.State != "" && !oneOf(s.State, "started", "stopped", "restarted", "reloaded") {
		errs = append(errs, fmt.Sprintf("state %q: want started, stopped, restarted or reloaded", s.State))
	}
	switch {
	case s.Name == "" && (s.State != "" || s.Enabled != nil):
		errs = append(errs, "name is required")
	case s.Name == "" && !s.DaemonReload:
		errs = append(errs, "name is required")
	case s.Name != "" && s.State == "" && s.Enabled == nil:
		errs = append(errs, "give state, enabled or both")
	}
	return joinErrs("service", errs)
}

// Apply converges the service.
func (s *Service) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	f, err := hostFacts(ctx, h, env)
	if err != nil {
		return Result{}, err
	}
	systemd := factStr(f["service_mgr"]) == "systemd"
	unit := ServiceName(s.Name, f)
	res := Result{Data: map[string]any{"name": unit}}
	if s.Name == "" {
		if env.Check {
			return res, nil
		}
		out, err := h.Run(ctx, "systemctl daemon-reload", host.RunOpts{})
		if err != nil || out.ExitCode != 0 {
			return res, cmdErr("systemctl daemon-reload", out, err)
		}
		return res, nil
	}
	q := host.Quote(unit)
	var query string
	if systemd {
		if s.DaemonReload && !env.Check {
			query = "systemctl daemon-reload || exit 1\n"
		}
		query += fmt.Sprintf("systemctl show -p LoadState -- %s\necho \"active=$(systemctl is-active -- %s 2>/dev/null)\"\necho \"enabled=$(systemctl is-enabled -- %s 2>/dev/null)\"\n", q, q, q)
	} else {
		query = sysvPrelude(unit) + fmt.Sprintf(`[ -x /etc/init.d/%s ] || echo LoadState=not-found
if $svc status >/dev/null 2>&1; then echo active=active; else echo active=inactive; fi
e=disabled; for f in /etc/rc[2345].d/S[0-9][0-9]%s /etc/rc.d/rc[2345].d/S[0-9][0-9]%s; do if [ -e "$f" ]; then e=enabled; fi; done; echo "enabled=$e"
`, q, q, q)
	}
	out, err := h.Run(ctx, query, host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("service %s: %w", unit, err)
	}
	if out.ExitCode != 0 {
		return res, cmdErr("service "+unit, out, nil)
	}
	kv, _, _ := parseKV(out.Stdout, "")
	active := oneOf(kv["active"], "active", "activating", "reloading")
	res.Data["status"] = map[string]any{"active": kv["active"], "enabled": kv["enabled"]}
	if kv["LoadState"] == "not-found" {
		if env.Check {
			// The package an earlier task would install may bring it.
			res.Skipped, res.Msg = true, fmt.Sprintf("service %s not found (yet)", unit)
			return res, nil
		}
		return failRes(res, "could not find the requested service %s", unit), nil
	}
	var acts, msgs []string
	if s.Enabled != nil {
		isEnabled := oneOf(kv["enabled"], "enabled", "enabled-runtime", "alias", "static", "indirect", "generated")
		if *s.Enabled && !isEnabled || !*s.Enabled && kv["enabled"] == "enabled" {
			verb := map[bool]string{true: "enable", false: "disable"}[*s.Enabled]
			acts, msgs = append(acts, serviceCmd(systemd, unit, verb)), append(msgs, verb+"d")
		}
	}
	verb, done := "", ""
	switch s.State {
	case "started":
		if !active {
			verb, done = "start", "started"
		}
	case "stopped":
		if active {
			verb, done = "stop", "stopped"
		}
	case "restarted":
		verb, done = "restart", "restarted"
	case "reloaded":
		verb, done = "reload", "reloaded"
		if !active {
			verb = "start"
		}
	}
	if verb != "" {
		acts, msgs = append(acts, serviceCmd(systemd, unit, verb)), append(msgs, done)
	}
	if len(acts) == 0 {
		return res, nil
	}
	res.Changed, res.Msg = true, strings.Join(msgs, ", ")
	if env.Check {
		return res, nil
	}
	act, err := h.Run(ctx, strings.Join(acts, " && "), host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("service %s: %w", unit, err)
	}
	if act.ExitCode != 0 {
		res.Data["rc"], res.Data["stdout"], res.Data["stderr"] = act.ExitCode, trimNL(act.Stdout), trimNL(act.Stderr)
		detail := strings.TrimSpace(act.Stderr + "\n" + act.Stdout)
		return failRes(res, "%s %s failed (exit %d): %s", strings.Join(msgs, ", "), unit, act.ExitCode, detail), nil
	}
	return res, nil
}

// sysvPrelude sets $svc to the way of calling the init script.
func sysvPrelude(unit string) string {
	q := host.Quote(unit)
	return fmt.Sprintf("if command -v service >/dev/null 2>&1; then svc=\"service %s\"; else svc=/etc/init.d/%s; fi\n", q, q)
}

// serviceCmd returns the command for one action (start, stop, restart,
// reload, enable, disable).
func serviceCmd(systemd bool, unit, verb string) string {
	q := host.Quote(unit)
	if systemd {
		return "systemctl " + verb + " -- " + q
	}
	switch verb {
	case "enable":
		return fmt.Sprintf("{ if command -v update-rc.d >/dev/null 2>&1; then update-rc.d %s defaults && update-rc.d %s enable; else chkconfig %s on; fi; }", q, q, q)
	case "disable":
		return fmt.Sprintf("{ if command -v update-rc.d >/dev/null 2>&1; then update-rc.d %s disable; else chkconfig %s off; fi; }", q, q)
	}
	return "{ " + strings.TrimSuffix(sysvPrelude(unit), "\n") + "; $svc " + verb + "; }"
}
