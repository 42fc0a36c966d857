package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"lvslab/internal/host"
	"lvslab/internal/lvs"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the director's IPVS table (real servers, weights, connections, totals, rates) and whether each real server answers",
		Description: "Reads `ipvsadm -Ln`, `ipvsadm -Ln --stats`, `ipvsadm -Ln --rate` and `ipvsadm -Lnc` on the\n" +
			"director in one round trip and prints them as tables. Then the director asks every real server\n" +
			"directly (its rip, not the VIP), as IPVS reaches it, for `HEAD /` on each port nginx serves\n" +
			"there (vip_ports; 443 only with ssl), and prints which answer. Exits 2 when a real server\n" +
			"does not answer (nginx stopped, say): IPVS keeps sending it its share.\n" +
			"With --ha (recorded on the director, or --ha) it asks every director whether it holds the VIP\n" +
			"and runs keepalived, shows the MASTER's table, and each real server as keepalived's checks\n" +
			"leave it there: in the pool, at weight 0 (drained, or inhibit_on_failure), or removed.",
		Flags: append(connFlags(),
			&cli.BoolFlag{Name: "ha", Usage: "expect --ha: find the MASTER among the directors (default: as recorded on the director)"},
			&cli.IntFlag{Name: "connections", Value: 20, Usage: "connection entries to list after their summary (-1: all, 0: none)"},
		),
		Action: func(c *cli.Context) error {
			s, err := newSession(c, false, false)
			if err != nil {
				return err
			}
			if c.IsSet("ha") {
				s.opts.ExtraVars["lvs_ha"] = c.Bool("ha")
			}
			director, cfg, err := s.director(c.Context)
			if err != nil {
				return err
			}
			defer director.Close()
			res, err := director.Run(c.Context, lvs.StatusCommand, host.RunOpts{})
			if err != nil {
				return s.hostErr(c.Context, err)
			}
			if res.ExitCode != 0 {
				return statusFailed(fmt.Errorf("on %s, `%s` exited %d: %s", cfg.Director, lvs.StatusCommand, res.ExitCode, outputDetail(res)))
			}
			st, err := lvs.ParseStatus(res.Stdout)
			if err != nil {
				return statusFailed(fmt.Errorf("on %s, `%s`: %w", cfg.Director, lvs.StatusCommand, err))
			}
			w := os.Stdout
			if cfg.HA && len(s.roles) > 0 {
				fmt.Fprintf(w, "directors (--ha, keepalived): %s is MASTER, holding the VIP %s\n", cfg.Director, cfg.VIP)
				lvs.RoleTable(s.roles).WriteTo(w)
				fmt.Fprintln(w)
			}
			if len(st.Services) == 0 {
				fmt.Fprintf(w, "IPVS on %s: no virtual service\n", cfg.Director)
			} else {
				writeIPVS(w, st, cfg, c.Int("connections"))
			}
			if cfg.HA {
				pool, _ := lvs.PoolTable(st, cfg)
				fmt.Fprintf(w, "\nreal servers as keepalived's health checks leave them on %s\n", cfg.Director)
				pool.WriteTo(w)
			}
			ports := cfg.ServedPorts()
			res, err = director.Run(c.Context, lvs.HealthCommand(cfg.Servers, ports), host.RunOpts{})
			if err != nil {
				return s.hostErr(c.Context, err)
			}
			health := lvs.ParseHealth(res.Stdout, cfg.Servers, ports)
			fmt.Fprintf(w, "\nreal servers, asked by %s\n", cfg.Director)
			lvs.HealthTable(health).WriteTo(w)
			if down := lvs.Down(health); len(down) > 0 {
				fmt.Fprintf(os.Stderr, "lvslab: status: %d real server port(s) do not answer:\n  %s\n", len(down), strings.Join(down, "\n  "))
				return &exitError{code: exitFailed, err: fmt.Errorf("status: %d real server port(s) down", len(down))}
			}
			return nil
		},
	}
}

// writeIPVS prints the director's virtual services, rates and connections.
func writeIPVS(w io.Writer, st lvs.Status, cfg lvs.Config, conns int) {
	fmt.Fprintf(w, "IPVS on %s: %s mode (lvs_mode %s, ssl %v)\n\n", cfg.Director, st.LiveMode(), cfg.Mode, cfg.SSL)
	st.ServiceTable().WriteTo(w)
	fmt.Fprintln(w, "\nrates")
	st.RateTable().WriteTo(w)
	sum, entries := st.ConnTable(conns)
	fmt.Fprintf(w, "\nconnections: %d entries\n", len(st.Conns))
	if sum.Len() > 0 {
		sum.WriteTo(w)
	}
	if entries.Len() > 0 {
		fmt.Fprintln(w)
		entries.WriteTo(w)
	}
}

// statusFailed prints err, the reason status fails, and returns it with
// exit 2 (exitCode does not print exitFailed errors: the commands print
// their failures themselves).
func statusFailed(err error) error {
	fmt.Fprintln(os.Stderr, "lvslab: status:", err)
	return &exitError{code: exitFailed, err: fmt.Errorf("status: %w", err)}
}

// outputDetail is what a failed command said: its stderr, else its
// stdout, else that it printed nothing.
func outputDetail(res host.Result) string {
	for _, s := range []string{res.Stderr, res.Stdout} {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return "(no output)"
}
