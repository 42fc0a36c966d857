package module

import (
	"context"
	"fmt"
	"regexp"
	"slices"
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

	// What the systemd module (Systemd) adds.
	masked       *bool
	systemdOnly  bool
	daemonReexec bool
}

// Systemd is Ansible's systemd module (systemd_service) over Service, for
// hosts that run systemd (any other fails the task): name (service and
// unit are aliases), state, enabled, daemon_reload (daemon-reload an
// alias) as service takes them, daemon_reexec (daemon-reexec an alias:
// `systemctl daemon-reexec` after the daemon-reload, before anything else,
// not in check mode, alone no change, as Ansible's), and masked: true masks
// the unit (systemctl mask, before anything else; enabling a masked unit
// fails), false unmasks it. Idempotence and check mode are service's.
type Systemd struct {
	Name          string `yaml:"name"`
	Service       string `yaml:"service"`
	Unit          string `yaml:"unit"`
	State         string `yaml:"state"`
	Enabled       *bool  `yaml:"enabled"`
	DaemonReload  bool   `yaml:"daemon_reload"`
	DaemonReload2 bool   `yaml:"daemon-reload"`
	DaemonReexec  bool   `yaml:"daemon_reexec"`
	DaemonReexec2 bool   `yaml:"daemon-reexec"`
	Masked        *bool  `yaml:"masked"`
}

// service is the service task a systemd task is.
func (s *Systemd) service() *Service {
	return &Service{
		Name: orDefault(s.Name, orDefault(s.Service, s.Unit)), State: s.State, Enabled: s.Enabled,
		DaemonReload: s.DaemonReload || s.DaemonReload2, masked: s.Masked, systemdOnly: true,
		daemonReexec: s.DaemonReexec || s.DaemonReexec2,
	}
}

// Validate reports every problem of the arguments.
func (s *Systemd) Validate() error {
	var p problems
	if n := len(slices.DeleteFunc([]string{s.Name, s.Service, s.Unit}, func(x string) bool { return x == "" })); n > 1 {
		p.add("give one of name, service and unit")
	}
	p.addErr(s.service().Validate())
	return p.err()
}

// Apply converges the unit as Service does.
func (s *Systemd) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	return s.service().Apply(ctx, h, env)
}

// serviceWant is what a service task wants (its arguments need no defaults).
type serviceWant struct{ Service }

// want checks the arguments, reporting every problem.
func (m *Service) want() (serviceWant, error) {
	var p problems
	if m.Name != "" && !serviceNameRE.MatchString(m.Name) {
		p.add("invalid service name %q", m.Name)
	}
	if m.State != "" && !slices.Contains([]string{"started", "stopped", "restarted", "reloaded"}, m.State) {
		p.add("state %q: want started, stopped, restarted or reloaded", m.State)
	}
	switch {
	case m.Name == "" && (m.State != "" || m.Enabled != nil || m.masked != nil):
		p.add("name is required")
	case m.Name == "" && !m.DaemonReload && !m.daemonReexec:
		p.add("name is required")
	case m.Name != "" && m.State == "" && m.Enabled == nil && m.masked == nil:
		p.add("give state, enabled or both")
	}
	return serviceWant{*m}, p.err()
}

// Validate reports every problem of the arguments.
func (m *Service) Validate() error { _, err := m.want(); return err }

// serviceHave is a service as the host reports it.
type serviceHave struct {
	found   bool
	active  string // systemctl is-active, or active/inactive from the init script
	enabled string // systemctl is-enabled, or enabled/disabled from the rc links
}

// Apply converges the service: the facts (when not gathered), one query,
// then at most one command.
func (m *Service) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	f, err := hostFacts(ctx, h, env)
	if err != nil {
		return Result{}, err
	}
	systemd := factStr(f["service_mgr"]) == "systemd"
	if w.systemdOnly && !systemd {
		return Result{}, fmt.Errorf("the host's service manager is %q, not systemd", factStr(f["service_mgr"]))
	}
	unit := ServiceName(w.Name, f)
	res := Result{Data: map[string]any{"name": unit}}
	if w.Name == "" {
		steps := w.daemonSteps()
		return runSteps(ctx, h, env, strings.Join(steps, " && "), steps, res)
	}
	in, err := inspect(ctx, h, "service "+unit, w.query(unit, systemd, env.Check))
	if err == nil {
		err = in.failure("service " + unit)
	}
	if err != nil {
		return res, err
	}
	have := serviceHave{found: in.kv["LoadState"] != "not-found", active: in.kv["active"], enabled: in.kv["enabled"]}
	res.Data["status"] = map[string]any{"active": have.active, "enabled": have.enabled}
	if !have.found {
		if env.Check {
			// The package an earlier task would install may bring it.
			res.Skipped, res.Msg = true, fmt.Sprintf("service %s not found (yet)", unit)
			return res, nil
		}
		return failRes(res, "could not find the requested service %s", unit), nil
	}
	acts, done := w.plan(have, systemd, unit)
	res.Changed, res.Msg = len(acts) > 0, strings.Join(done, ", ")
	return runSteps(ctx, h, env, "service "+unit, acts, res)
}

// query prints LoadState=not-found for a service that does not exist,
// active= and enabled=; with daemon_reload (not in check mode) systemd
// reloads its units first.
func (w serviceWant) query(unit string, systemd, check bool) string {
	q := host.Quote(unit)
	if systemd {
		query := ""
		if !check {
			for _, s := range w.daemonSteps() {
				query += s + " || exit 1\n"
			}
		}
		return query + fmt.Sprintf("systemctl show -p LoadState -- %s\necho \"active=$(systemctl is-active -- %s 2>/dev/null)\"\necho \"enabled=$(systemctl is-enabled -- %s 2>/dev/null)\"\n", q, q, q)
	}
	return sysvPrelude(unit) + fmt.Sprintf(`[ -x /etc/init.d/%s ] || echo LoadState=not-found
if $svc status >/dev/null 2>&1; then echo active=active; else echo active=inactive; fi
e=disabled; for f in /etc/rc[2345].d/S[0-9][0-9]%s /etc/rc.d/rc[2345].d/S[0-9][0-9]%s; do if [ -e "$f" ]; then e=enabled; fi; done; echo "enabled=$e"
`, q, q, q)
}

// daemonSteps are the systemctl commands daemon_reload and daemon_reexec
// run before anything else, in Ansible's order.
func (w serviceWant) daemonSteps() []string {
	var steps []string
	if w.DaemonReload {
		steps = append(steps, "systemctl daemon-reload")
	}
	if w.daemonReexec {
		steps = append(steps, "systemctl daemon-reexec")
	}
	return steps
}

// plan returns the commands that bring the service from have to what w
// wants, and what each does ("enabled", "started").
func (w serviceWant) plan(have serviceHave, systemd bool, unit string) (acts, done []string) {
	if w.masked != nil && *w.masked != (have.enabled == "masked") {
		verb := map[bool]string{true: "mask", false: "unmask"}[*w.masked]
		acts, done = append(acts, serviceCmd(systemd, unit, verb)), append(done, verb+"ed")
	}
	if w.Enabled != nil {
		isEnabled := slices.Contains([]string{"enabled", "enabled-runtime", "alias", "static", "indirect", "generated"}, have.enabled)
		if *w.Enabled && !isEnabled || !*w.Enabled && have.enabled == "enabled" {
			verb := map[bool]string{true: "enable", false: "disable"}[*w.Enabled]
			acts, done = append(acts, serviceCmd(systemd, unit, verb)), append(done, verb+"d")
		}
	}
	active := slices.Contains([]string{"active", "activating", "reloading"}, have.active)
	verb, did := "", ""
	switch w.State {
	case "started":
		if !active {
			verb, did = "start", "started"
		}
	case "stopped":
		if active {
			verb, did = "stop", "stopped"
		}
	case "restarted":
		verb, did = "restart", "restarted"
	case "reloaded":
		verb, did = "reload", "reloaded"
		if !active {
			verb = "start"
		}
	}
	if verb != "" {
		acts, done = append(acts, serviceCmd(systemd, unit, verb)), append(done, did)
	}
	return acts, done
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
