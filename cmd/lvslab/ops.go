package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"lvslab/internal/host"
	"lvslab/internal/lvs"
)

// opsDescription says how drain, undrain and weight change a weight, the
// same for the three.
const opsDescription = "On every host of the director group, in one round trip each: where lvslab's keepalived\n" +
	"configuration is installed (--ha), the real server's weight lines in it are rewritten, the new\n" +
	"file checked by `keepalived -t -f` before it replaces the old one, and keepalived reloaded, so\n" +
	"that its configuration and its IPVS table agree; otherwise every virtual service holding the\n" +
	"real server is edited live (`ipvsadm -e`) and the rules saved for boot are rewritten. Weight 0\n" +
	"sends no new connection to the real server and lets the existing ones finish. The next\n" +
	"`lvslab up` sets the inventory's weights again. A name that is not in the realservers group,\n" +
	"or a bad weight, exits 4 before any connection."

func drainCommand() *cli.Command {
	return &cli.Command{
		Name: "drain", Usage: "set a real server's weight to 0 on every director: no new connections, existing ones finish",
		ArgsUsage: "REALSERVER", Description: opsDescription, Flags: connFlags(),
		Action: func(c *cli.Context) error {
			return setWeight(c, c.Args().Len() == 1, func(lvs.Server) int { return 0 })
		},
	}
}

func undrainCommand() *cli.Command {
	return &cli.Command{
		Name: "undrain", Usage: "give a real server its inventory weight again on every director",
		ArgsUsage: "REALSERVER", Description: opsDescription, Flags: connFlags(),
		Action: func(c *cli.Context) error {
			return setWeight(c, c.Args().Len() == 1, func(s lvs.Server) int { return s.Weight })
		},
	}
}

func weightCommand() *cli.Command {
	return &cli.Command{
		Name: "weight", Usage: "set a real server's weight live on every director",
		ArgsUsage: "REALSERVER WEIGHT", Description: opsDescription, Flags: connFlags(),
		Action: func(c *cli.Context) error {
			w, err := strconv.Atoi(c.Args().Get(1))
			if c.Args().Len() == 2 && (err != nil || w < 0 || w > 65535) {
				return badInput(fmt.Errorf("weight %q: want a whole number 0-65535", c.Args().Get(1)))
			}
			return setWeight(c, c.Args().Len() == 2, func(lvs.Server) int { return w })
		},
	}
}

// setWeight gives the real server named by the first argument the weight
// that weight picks, on every director, and prints what changed.
func setWeight(c *cli.Context, argsOK bool, weight func(lvs.Server) int) error {
	if !argsOK {
		return badInput(fmt.Errorf("usage: lvslab %s %s", c.Command.Name, c.Command.ArgsUsage))
	}
	s, err := newSession(c, false, false)
	if err != nil {
		return err
	}
	cfg, err := lvs.NewConfig(s.inv, s.opts.ExtraVars)
	if err != nil {
		return badInput(err)
	}
	name := c.Args().First()
	var rs lvs.Server
	for _, x := range cfg.Servers {
		if x.Name == name {
			rs = x
		}
	}
	if rs.Name == "" {
		return badInput(fmt.Errorf("%q is not a host of the realservers group", name))
	}
	w := weight(rs)
	failed := 0
	for _, d := range cfg.Directors {
		h, err := s.dial(c.Context, d)
		if err != nil {
			return err
		}
		res, err := h.Run(c.Context, lvs.WeightScript(rs.Addr, w, lvs.KeepalivedConf), host.RunOpts{})
		h.Close()
		if err != nil {
			return s.hostErr(c.Context, err)
		}
		changes, found, perr := lvs.ParseWeight(res.Stdout)
		switch {
		case res.ExitCode != 0 || perr != nil:
			failed++
			fmt.Fprintf(os.Stderr, "lvslab: %s: %s %s on %s failed (exit %d): %s\n", c.Command.Name, name, rs.Addr, d, res.ExitCode, outputDetail(res))
		case !found:
			fmt.Fprintf(os.Stdout, "%s: %s (%s) is in no virtual service: nothing to change\n", d, name, rs.Addr)
		}
		for _, ch := range changes {
			verb := "unchanged at"
			what := strconv.Itoa(ch.New)
			if ch.Changed() {
				verb, what = "weight", fmt.Sprintf("%d -> %d", ch.Old, ch.New)
			}
			fmt.Fprintf(os.Stdout, "%s (%s): %s %s:%s %s %s\n", d, ch.Via, ch.Service, rs.Addr, ch.Port, verb, what)
		}
	}
	if failed > 0 {
		return &exitError{code: exitFailed, err: errors.New(c.Command.Name + ": failed on a director")}
	}
	return nil
}
