package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"lvslab/internal/host"
	"lvslab/internal/inventory"
	"lvslab/internal/lvs"
	"lvslab/internal/module"
	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/report"
	"lvslab/internal/runner"
	"lvslab/internal/vault"
)

// session is what every command that runs playbooks shares: the inventory,
// the modules, the reporter and the runner's options.
type session struct {
	inv  *inventory.Inventory
	reg  *module.Registry
	rep  report.Reporter
	red  *report.Redactor
	opts runner.Options
	// extra are the -e variables, over the inventory's for connecting too.
	extra map[string]any
	// loadOpts are how playbooks are read: ansible.cfg's roles_path.
	loadOpts playbook.LoadOptions
	// roles are the directors' VRRP roles, once director() asked them (--ha).
	roles []lvs.Role
}

// newSession loads the inventory and flags. Nothing connects yet.
func newSession(c *cli.Context, check, diff bool) (*session, error) {
	cfg, err := applyConfig(c)
	if err != nil {
		return nil, err
	}
	// Every value a vault opens is a secret from the first file read.
	red := report.NewRedactor()
	vault.Default().OnReveal(red.Add)
	var sources []string
	for _, src := range c.StringSlice("inventory") {
		if src != "" {
			sources = append(sources, src)
		}
	}
	if len(sources) == 0 {
		return nil, badInput(errors.New("no inventory: pass -i FILE, or run `lvslab lab create` first for the local lab"))
	}
	inv, err := inventory.Load(sources...)
	if err != nil {
		return nil, badInput(err)
	}
	extra, err := extraVars(c.StringSlice("extra-vars"))
	if err != nil {
		return nil, badInput(err)
	}
	// Lab variables that no host should receive, before any connection.
	if err := lvs.Validate(inv, extra); err != nil {
		return nil, badInput(err)
	}
	switch c.String("host-key-checking") {
	case "strict", "accept-new", "off":
	default:
		return nil, badInput(fmt.Errorf("--host-key-checking must be strict, accept-new or off, not %q", c.String("host-key-checking")))
	}
	red.Add(secrets(inv, extra)...)
	var rep report.Reporter
	switch c.String("output") {
	case "text":
		color := term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == ""
		rep = report.NewText(os.Stdout, color, c.Count("verbose"), diff, red)
	case "json":
		rep = report.NewJSON(os.Stdout, red)
	default:
		return nil, badInput(fmt.Errorf("--output must be text or json, not %q", c.String("output")))
	}
	s := &session{inv: inv, reg: registry(), rep: rep, red: red, extra: extra}
	if cfg.Set("DEFAULT_ROLES_PATH") {
		s.loadOpts.RolesPath = cfg.RolesPath
	}
	s.opts = runner.Options{
		Inventory: inv, Modules: s.reg, Reporter: rep, Check: check, Diff: diff,
		Limit: c.String("limit"), Forks: c.Int("forks"), ExtraVars: extra,
		Connect: runner.WithExtraVars(withConfigUser(connector(connDefaults(c), c.Bool("session-per-task"), rep), cfg), extra), Secret: red.Add,
		// ansible.cfg's [privilege_escalation], below ansible_become*.
		Become: host.Become{Enabled: cfg.Become, User: cfg.BecomeUser, Method: cfg.BecomeMethod},
	}
	if err := host.CheckBecomeMethod(cfg.BecomeMethod); err != nil {
		return nil, badInput(fmt.Errorf("ansible.cfg: %w", err))
	}
	return s, nil
}

// registry lists every module lvslab knows; modules are registered here, not in init.
func registry() *module.Registry { return module.Default() }

// secrets are the values the reporter must never print: those of every
// inventory and extra variable whose name says it is a secret
// (report.SecretName: ansible_password, ansible_become_pass, db_password,
// api_token ...). The runner adds those of play, task and set_fact
// variables as it renders them.
func secrets(inv *inventory.Inventory, extra map[string]any) []string {
	var out []string
	for _, h := range inv.Hosts() {
		out = append(out, secretValues(inv.HostVars(h))...)
	}
	return append(out, secretValues(extra)...)
}

// secretValues returns the string values of vars with a secret's name.
func secretValues(vars map[string]any) []string {
	var out []string
	for k, v := range vars {
		if s, ok := v.(string); ok && s != "" && report.SecretName(k) {
			out = append(out, s)
		}
	}
	return out
}

// connDefaults are the command line's host key and timeout settings, for
// the hosts whose inventory does not set them.
func connDefaults(c *cli.Context) host.Defaults {
	return host.Defaults{KnownHostsFile: expandHome(c.String("known-hosts")),
		HostKeyChecking: c.String("host-key-checking"), Timeout: duration(c, "timeout")}
}

// connector dials hosts with def where their inventory sets nothing, each
// command in a session of its own with perTask; a host whose
// ansible_connection is local runs on this machine, without SSH.
func connector(def host.Defaults, perTask bool, rep report.Reporter) runner.Connector {
	return func(ctx context.Context, name string, vars map[string]any) (host.Executor, error) {
		conn, err := host.ConnectionFromVars(name, vars)
		if err != nil {
			return nil, err
		}
		if conn == host.ConnLocal {
			if c, ok := rep.(interface{ Connection(host, msg string) }); ok {
				c.Connection(name, "local: commands run on this machine")
			}
			l, err := host.NewLocal(name, vars)
			if err != nil {
				return nil, err // not a typed nil
			}
			return l, nil
		}
		cfg, err := host.ConfigFromVars(name, vars, def)
		if err != nil {
			return nil, err
		}
		cfg.SessionPerCommand = perTask
		if cfg.HostKeyChecking == "off" {
			rep.Warn(fmt.Sprintf("host key checking is off for %s: the connection is not authenticated", name))
		}
		start := time.Now()
		h, err := host.Dial(ctx, cfg)
		if c, ok := rep.(interface{ Connection(host, msg string) }); ok {
			via := ""
			for j := cfg.Jump; j != nil; j = j.Jump {
				via += fmt.Sprintf(" via %s@%s:%d", j.User, j.Addr, j.Port)
			}
			if cfg.Netns != "" {
				via += " from network namespace " + cfg.Netns
			}
			what := fmt.Sprintf("SSH %s@%s:%d%s, host key checking %s", cfg.User, cfg.Addr, cfg.Port, via, cfg.HostKeyChecking)
			if err != nil {
				c.Connection(name, what+": "+err.Error())
			} else {
				c.Connection(name, what+fmt.Sprintf(": connected in %s", time.Since(start).Round(time.Millisecond)))
			}
		}
		if err != nil {
			return nil, err // not a typed nil
		}
		return h, nil
	}
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// load parses the playbooks and validates the whole run before any
// connection: every error found is reported at once, as bad input.
func (s *session) load(paths []string) ([]*playbook.Playbook, error) {
	if len(paths) == 0 {
		return nil, badInput(errors.New("no playbook given"))
	}
	var pbs []*playbook.Playbook
	var errs pos.List
	for _, p := range paths {
		// group_vars and host_vars beside the playbook, over the
		// inventory's (every playbook's, in order: the runner reads a
		// host's variables once per run).
		if err := s.inv.ReadPlaybookVars(filepath.Dir(p)); err != nil {
			var pe pos.List
			if errors.As(err, &pe) {
				errs = append(errs, pe...)
			} else {
				errs = append(errs, err)
			}
		}
	}
	// The lab variables again, with what those files set.
	if len(errs) == 0 {
		if err := lvs.Validate(s.inv, s.extra); err != nil {
			errs = append(errs, err)
		}
	}
	s.red.Add(secrets(s.inv, nil)...)
	for _, p := range paths {
		pb, err := playbook.LoadWith(p, s.reg, s.loadOpts)
		var pe pos.List
		switch {
		case errors.As(err, &pe):
			errs = append(errs, pe...)
		case err != nil:
			errs = append(errs, err)
		}
		if pb != nil {
			pbs = append(pbs, pb)
		}
	}
	if len(errs) == 0 {
		if err := runner.Prepare(pbs, s.opts); err != nil {
			var pe pos.List
			if errors.As(err, &pe) {
				errs = append(errs, pe...)
			} else {
				errs = append(errs, err)
			}
		}
	}
	if err := s.checkConnVars(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, s.redact(badInput(errs))
	}
	return pbs, nil
}

// redactedError hides the run's secrets in the message of err: an error
// found in rendering may quote a value.
type redactedError struct {
	err error
	red *report.Redactor
}

func (e *redactedError) Error() string { return e.red.String(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }

// redact wraps err (or, for an *exitError, its cause) so that its message
// holds no secret.
func (s *session) redact(err error) error {
	if err == nil || s.red == nil {
		return err
	}
	if ee, ok := err.(*exitError); ok {
		return &exitError{code: ee.code, err: s.redact(ee.err)}
	}
	return &redactedError{err: err, red: s.red}
}

// checkConnVars validates every targeted host's connection variables.
func (s *session) checkConnVars() error {
	hosts := s.inv.Hosts()
	if s.opts.Limit != "" {
		h, err := s.inv.Match(s.opts.Limit)
		if err != nil {
			return fmt.Errorf("--limit: %w", err)
		}
		if len(h) == 0 {
			// As ansible-playbook, which fails rather than run nothing.
			return fmt.Errorf("--limit %q matches no host of the inventory", s.opts.Limit)
		}
		hosts = h
	}
	var errs []error
	for _, h := range hosts {
		vars := runner.ConnVars(s.inv.HostVars(h), s.extra)
		conn, err := host.ConnectionFromVars(h, vars)
		if err == nil && conn == host.ConnSSH {
			_, err = host.ConfigFromVars(h, vars, host.Defaults{})
		}
		if err == nil {
			continue
		}
		list := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			list = j.Unwrap()
		}
		for _, e := range list {
			// Placed where the inventory sets the variable, unless -e does.
			var ve *host.VarError
			if errors.As(e, &ve) && s.extra[ve.Var] == nil {
				if at, ok := s.inv.VarPos(h, ve.Var); ok {
					e = pos.Place(at, e)
				}
			}
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// run runs the playbooks, prints the recap and maps the outcome to an exit code.
func (s *session) run(ctx context.Context, pbs []*playbook.Playbook) error {
	r := runner.New(s.opts)
	err := r.Run(ctx, pbs)
	r.Close()
	stats := r.Stats()
	s.rep.Recap(stats)
	return s.redact(outcome(ctx, err, stats))
}

func outcome(ctx context.Context, err error, stats []report.Stats) error {
	if ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: ctx.Err()}
	}
	failed, unreachable := 0, 0
	for _, st := range stats {
		failed += st.Failed
		unreachable += st.Unreachable
	}
	switch {
	case failed > 0:
		return &exitError{code: exitFailed, err: fmt.Errorf("%d task(s) failed", failed)}
	case unreachable > 0:
		return &exitError{code: exitUnreachable, err: fmt.Errorf("%d host(s) unreachable", unreachable)}
	case err != nil && !errors.Is(err, runner.ErrHostsFailed):
		return err
	}
	return nil
}
