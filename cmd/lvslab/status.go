package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"lvslab/internal/host"
	"lvslab/internal/lvs"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the director's IPVS table: real servers, weights, connections, totals and rates",
		Description: "Reads `ipvsadm -Ln`, `ipvsadm -Ln --stats`, `ipvsadm -Ln --rate` and `ipvsadm -Lnc` on the\n" +
			"director in one round trip and prints them as tables.",
		Flags: append(connFlags(),
			&cli.IntFlag{Name: "connections", Value: 20, Usage: "connection entries to list after their summary (-1: all, 0: none)"},
		),
		Action: func(c *cli.Context) error {
			s, err := newSession(c, false, false)
			if err != nil {
				return err
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
				return &exitError{code: exitFailed, err: fmt.Errorf("ipvsadm on %s exited %d: %s", cfg.Director, res.ExitCode, res.Stderr)}
			}
			st, err := lvs.ParseStatus(res.Stdout)
			if err != nil {
				return fmt.Errorf("%s: %w", cfg.Director, err)
			}
			w := os.Stdout
			if len(st.Services) == 0 {
				fmt.Fprintf(w, "IPVS on %s: no virtual service\n", cfg.Director)
				return nil
			}
			fmt.Fprintf(w, "IPVS on %s: %s mode (lvs_mode %s, ssl %v)\n\n", cfg.Director, st.LiveMode(), cfg.Mode, cfg.SSL)
			st.ServiceTable().WriteTo(w)
			fmt.Fprintln(w, "\nrates")
			st.RateTable().WriteTo(w)
			sum, entries := st.ConnTable(c.Int("connections"))
			fmt.Fprintf(w, "\nconnections: %d entries\n", len(st.Conns))
			if sum.Len() > 0 {
				sum.WriteTo(w)
			}
			if entries.Len() > 0 {
				fmt.Fprintln(w)
				entries.WriteTo(w)
			}
			return nil
		},
	}
}
