package main

import (
	"path/filepath"

	"github.com/urfave/cli/v2"
)

func downCommand() *cli.Command {
	return &cli.Command{
		Name:  "down",
		Usage: "take the lab out of every LVS mode, leaving LNMP installed",
		Description: "Runs playbooks/down.yml: the director loses the virtual services of every mode, the\n" +
			"fwmark marks, forwarding (when lvslab turned it on) and the addresses lvslab added; the\n" +
			"real servers lose the VIP on lo and the ARP parameters and get their previous default\n" +
			"gateway back. nginx, php-fpm, MariaDB and the sites stay.",
		Flags: append(connFlags(), playbookFlag()),
		Action: func(c *cli.Context) error {
			s, err := newSession(c, false, false)
			if err != nil {
				return err
			}
			dir, err := playbookDir(c.String("playbooks"))
			if err != nil {
				return badInput(err)
			}
			pbs, err := s.load([]string{filepath.Join(dir, "down.yml")})
			if err != nil {
				return err
			}
			return s.run(c.Context, pbs)
		},
	}
}
