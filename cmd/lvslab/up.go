package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"lvslab/internal/lvs"
)

// playbookFlag locates the shipped playbooks.
func playbookFlag() cli.Flag {
	return &cli.StringFlag{Name: "playbooks", Usage: "`DIR` of lvslab's playbooks (default: ./playbooks, else beside the lvslab binary)"}
}

func upCommand() *cli.Command {
	return &cli.Command{
		Name:  "up",
		Usage: "bring the lab up: LNMP on the real servers, the LVS mode, then verify",
		Description: "Runs playbooks/site.yml: the director and the real servers first leave whatever other\n" +
			"LVS mode was up (each mode's leftovers that the new mode does not use are removed, so\n" +
			"NAT -> DR -> fwmark switches on the same machines are clean), the real servers get LNMP\n" +
			"(and a certificate per site with --ssl), then the mode is brought up, and `verify` runs.\n" +
			"The mode is --mode, else the inventory's lvs_mode; the inventory is -i, else the local\n" +
			"lab's .lvslab/inventory.yml. A second `up` on a converged lab reports changed=0.\n" +
			"With --ha keepalived on every director owns the VIP by VRRP (and in NAT the DIP) and the\n" +
			"virtual services, with a health check per real server; --ha=false goes back to one director.",
		Flags: append(append(connFlags(),
			&cli.StringFlag{Name: "mode", Aliases: []string{"m"}, Usage: "LVS mode: nat, dr, fwmark or tun (default: the inventory's lvs_mode)"},
			&cli.BoolFlag{Name: "ssl", Usage: "nginx listens 443 with one certificate per site (--ssl=false: off; default: the inventory's ssl)"},
			&cli.BoolFlag{Name: "ha", Usage: "keepalived on every host of the director group (two or more): VRRP owns the VIP, virtual_server blocks with health checks own the IPVS table (--ha=false: one director; default: the inventory's lvs_ha)"},
			&cli.BoolFlag{Name: "no-verify", Usage: "do not run verify after the playbooks"},
			playbookFlag(),
		), verifyFlags()...),
		Action: func(c *cli.Context) error {
			s, err := newSession(c, false, false)
			if err != nil {
				return err
			}
			if err := s.applyModeFlags(c); err != nil {
				return err
			}
			cfg, err := lvs.NewConfig(s.inv, s.opts.ExtraVars)
			if err != nil {
				return badInput(err)
			}
			s.opts.ExtraVars["lvs_mode"] = cfg.Mode
			s.opts.ExtraVars["lvs_ha"] = cfg.HA
			dir, err := playbookDir(c.String("playbooks"))
			if err != nil {
				return badInput(err)
			}
			pbs, err := s.load([]string{filepath.Join(dir, "site.yml")})
			if err != nil {
				return err
			}
			start := time.Now()
			if err := s.run(c.Context, pbs); err != nil {
				return err
			}
			if c.String("output") == "text" {
				fmt.Fprintf(os.Stdout, "up: %s mode (ssl %v, ha %v) in %s\n", cfg.Mode, cfg.SSL, cfg.HA, time.Since(start).Round(time.Second))
			}
			if c.Bool("no-verify") {
				return nil
			}
			return s.verify(c)
		},
	}
}

// playbookDir finds lvslab's playbooks: dir when given, else ./playbooks,
// else playbooks beside the binary or its parent directory.
func playbookDir(dir string) (string, error) {
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "site.yml")); err != nil {
			return "", fmt.Errorf("--playbooks %s: %w", dir, err)
		}
		return dir, nil
	}
	cands := []string{"playbooks"}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		cands = append(cands, filepath.Join(d, "playbooks"), filepath.Join(d, "..", "playbooks"))
	}
	for _, p := range cands {
		if _, err := os.Stat(filepath.Join(p, "site.yml")); err == nil {
			return p, nil
		}
	}
	return "", errors.New("lvslab's playbooks not found (run from the project directory, or pass --playbooks DIR)")
}
