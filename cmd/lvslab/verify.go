package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"lvslab/internal/host"
	"lvslab/internal/lvs"
)

// verifyFlags are the flags of verify, also taken by up.
func verifyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "requests", Aliases: []string{"n"}, Value: 40, Usage: "requests sent to the VIP for the share table (each on a new connection)"},
		&cli.Float64Flag{Name: "tolerance", Value: 10, Usage: "allowed gap between a server's measured and predicted share, in percentage `POINTS`"},
		&cli.StringFlag{Name: "from", Value: "auto", Usage: "where requests start: client (the first host of the clients group), controller (this machine), or auto (client when there is one)"},
	}
}

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check the lab through the VIP: shares per real server, persistence, certificates by SNI, PHP with MariaDB, reply path",
		Description: "Sends --requests requests to the VIP from a client host (or the controller) and prints the\n" +
			"answers per real server beside the share that the scheduler and weights predict (rr: equal,\n" +
			"wrr: by weight; other schedulers are not predicted, only every weighted server must answer;\n" +
			"with persistence every request of one client must land on one server). Then, in fwmark mode\n" +
			"with ssl, that ports 80 and 443 land on the same server; with ssl, that each site's\n" +
			"certificate names it when asked by SNI; /lnmp.php prints MariaDB's version; and from the\n" +
			"director's IPVS counters, that replies come back through it in NAT and bypass it in DR and\n" +
			"fwmark. Exits 2 when a check fails, 3 when the client or the director is unreachable.",
		Flags: append(append(connFlags(), verifyFlags()...), modeFlags()...),
		Action: func(c *cli.Context) error {
			s, err := newSession(c, false, false)
			if err != nil {
				return err
			}
			if err := s.applyModeFlags(c); err != nil {
				return err
			}
			return s.verify(c)
		},
	}
}

// modeFlags say which mode to expect (verify) or bring up (up).
func modeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "mode", Aliases: []string{"m"}, Usage: "LVS mode: nat, dr, fwmark or tun (default: the mode the director records as up, else the inventory's lvs_mode)"},
		&cli.BoolFlag{Name: "ha", Usage: "keepalived on every director of the director group owns the VIP and the virtual services (--ha=false: one director; default: as recorded on the director, else the inventory's lvs_ha)"},
		&cli.BoolFlag{Name: "ssl", Usage: "nginx listens 443 with one certificate per site (--ssl=false: off; default: as recorded on the director, else the inventory's ssl)"},
	}
}

// applyModeFlags puts --mode, --ssl and --ha among the extra variables.
func (s *session) applyModeFlags(c *cli.Context) error {
	if m := c.String("mode"); m != "" {
		if !slices.Contains(lvs.Modes, m) {
			return badInput(fmt.Errorf("--mode must be nat, dr, fwmark or tun, not %q", m))
		}
		s.opts.ExtraVars["lvs_mode"] = m
	}
	if c.IsSet("ssl") {
		s.opts.ExtraVars["ssl"] = c.Bool("ssl")
	}
	if c.IsSet("ha") {
		s.opts.ExtraVars["lvs_ha"] = c.Bool("ha")
	}
	return nil
}

// director connects to the director and returns it with the lab's
// configuration: the inventory, then what the director records as up (for
// lvs_mode, ssl and lvs_ha, unless -e or a flag gave them). With --ha it
// is the director holding the VIP (s.roles has every director's role).
func (s *session) director(ctx context.Context) (host.Executor, lvs.Config, error) {
	names, err := s.inv.Match("director")
	if err != nil || len(names) == 0 {
		return nil, lvs.Config{}, badInput(errors.New("the inventory has no director group (with one host)"))
	}
	d, err := s.dial(ctx, names[0])
	if err != nil {
		return nil, lvs.Config{}, err
	}
	res, err := d.Run(ctx, lvs.StateCommand, host.RunOpts{})
	if err != nil {
		d.Close()
		return nil, lvs.Config{}, s.hostErr(ctx, err)
	}
	for k, v := range lvs.ParseState(res.Stdout) {
		if _, given := s.opts.ExtraVars[k]; !given {
			s.opts.ExtraVars[k] = v
		}
	}
	cfg, err := lvs.NewConfig(s.inv, s.opts.ExtraVars)
	if err != nil {
		d.Close()
		return nil, cfg, badInput(err)
	}
	if cfg.HA && len(cfg.Directors) > 1 {
		// --ha: the director that counts is the VRRP MASTER.
		d, cfg, s.roles, err = s.haMaster(ctx, d, cfg)
		if err != nil {
			return nil, cfg, err
		}
	}
	return d, cfg, nil
}

// verify runs the checks and prints the report.
func (s *session) verify(c *cli.Context) error {
	ctx := c.Context
	director, cfg, err := s.director(ctx)
	if err != nil {
		return err
	}
	defer director.Close()
	v := &lvs.Verifier{Config: cfg, Director: director, Requests: c.Int("requests"), Tolerance: c.Float64("tolerance")}
	switch from := c.String("from"); {
	case from == "controller" || (from == "auto" && len(cfg.Clients) == 0):
		v.From = "the controller"
		v.HTTP = lvs.ModuleHTTPCheck(s.reg, nil, "localhost")
	case from == "client" || from == "auto":
		if len(cfg.Clients) == 0 {
			return badInput(errors.New("--from client: the inventory has no clients group"))
		}
		name := cfg.Clients[0]
		client, err := s.dial(ctx, name)
		if err != nil {
			return err
		}
		defer client.Close()
		v.From = name
		v.HTTP = lvs.ModuleHTTPCheck(s.reg, client, name)
	default:
		return badInput(fmt.Errorf("--from must be client, controller or auto, not %q", from))
	}
	jsonOut := c.String("output") == "json"
	if !jsonOut {
		fmt.Fprintln(os.Stdout, "\nVERIFY ***")
	}
	rep, err := v.Run(ctx)
	if err != nil {
		return s.hostErr(ctx, err)
	}
	if jsonOut {
		if err := json.NewEncoder(os.Stdout).Encode(rep.JSON()); err != nil {
			return err
		}
	} else {
		rep.Write(os.Stdout)
	}
	if fails := rep.Failures(); len(fails) > 0 {
		fmt.Fprintf(os.Stderr, "lvslab: verify failed:\n  %s\n", strings.Join(fails, "\n  "))
		return &exitError{code: exitFailed, err: fmt.Errorf("verify: %d check(s) failed", len(fails))}
	}
	if !jsonOut {
		fmt.Fprintln(os.Stdout, "\nverify: all checks passed")
	}
	return nil
}

// dial connects to an inventory host with the command line's settings; the
// returned executor escalates with become when the inventory says so.
func (s *session) dial(ctx context.Context, name string) (host.Executor, error) {
	h, err := s.connect(ctx, name)
	if err != nil {
		return nil, s.hostErr(ctx, err)
	}
	return h, nil
}

// connect is dial without printing: its error is the transport's (or a
// bad become setting, as bad input).
func (s *session) connect(ctx context.Context, name string) (host.Executor, error) {
	vars := s.inv.HostVars(name)
	for k, v := range s.opts.ExtraVars {
		vars[k] = v
	}
	b, err := host.BecomeFromVars(name, vars)
	if err != nil {
		return nil, badInput(err)
	}
	h, err := s.opts.Connect(ctx, name, vars)
	if err != nil {
		return nil, err
	}
	if !b.Enabled {
		return h, nil
	}
	return host.WithBecome(h, b), nil
}

// hostErr maps a transport failure to exit 3 and an interruption to 130.
func (s *session) hostErr(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return &exitError{code: exitInterrupted, err: ctx.Err()}
	case errors.Is(err, host.ErrUnreachable):
		fmt.Fprintln(os.Stderr, "lvslab:", err)
		return &exitError{code: exitUnreachable, err: err}
	}
	return err
}
