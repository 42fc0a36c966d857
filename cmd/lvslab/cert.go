package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"lvslab/internal/module"
)

func certCommand() *cli.Command {
	return &cli.Command{
		Name:  "cert",
		Usage: "make self-signed certificates on this machine (no openssl needed)",
		Description: "Writes DIR/NAME.crt and DIR/NAME.key (0600) for the first --name, every --name in its\n" +
			"subjectAltName (IP addresses as IP SANs); with --each, one pair per name (the multi-SNI\n" +
			"case: several sites, each with its own certificate). A pair that is valid for its names\n" +
			"and more than 30 days from expiry is left alone; otherwise it is made anew.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "name", Aliases: []string{"n"}, Required: true, Usage: "a DNS name or IP address for the certificate (repeat for more)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Required: true, Usage: "`DIR` to write NAME.crt and NAME.key in (created when missing)"},
			&cli.StringFlag{Name: "type", Value: "rsa", Usage: "key type: rsa (2048 bits) or ecdsa (P-256)"},
			&cli.IntFlag{Name: "days", Value: 825, Usage: "validity in days"},
			&cli.BoolFlag{Name: "each", Usage: "one certificate per --name instead of one naming them all"},
		},
		Action: func(c *cli.Context) error {
			names := c.StringSlice("name")
			sets := [][]string{names}
			if c.Bool("each") {
				sets = nil
				for _, n := range names {
					sets = append(sets, []string{n})
				}
			}
			reg := module.Default()
			for _, set := range sets {
				base := filepath.Join(c.String("out"), set[0])
				args := map[string]any{"names": set, "cert_path": base + ".crt", "key_path": base + ".key", "type": c.String("type"), "days": c.Int("days")}
				var node yaml.Node
				if err := node.Encode(args); err != nil {
					return err
				}
				m, err := reg.New("cert", &node)
				if err != nil {
					return badInput(err)
				}
				res, err := m.Apply(c.Context, nil, &module.Env{Host: "localhost"})
				if err != nil {
					return fmt.Errorf("certificate for %s: %w", set[0], err)
				}
				state := "ok"
				if res.Changed {
					state = "changed"
				}
				fmt.Fprintf(os.Stdout, "%s: %s.crt %s.key (%s)\n", state, base, base, res.Msg)
			}
			return nil
		},
	}
}
