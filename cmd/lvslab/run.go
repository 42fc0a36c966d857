package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run playbooks against an inventory",
		ArgsUsage: "PLAYBOOK...",
		Flags: append(connFlags(),
			&cli.BoolFlag{Name: "check", Aliases: []string{"C"}, Usage: "change nothing; report what would change"},
			&cli.BoolFlag{Name: "diff", Aliases: []string{"D"}, Usage: "show unified diffs of changed files"},
			&cli.StringSliceFlag{Name: "tags", Aliases: []string{"t"}, Usage: "only run tasks with these tags"},
			&cli.StringSliceFlag{Name: "skip-tags", Usage: "skip tasks with these tags"},
			&cli.StringFlag{Name: "start-at-task", Usage: "start at the task with this `NAME`"},
		),
		Action: func(c *cli.Context) error {
			s, err := newSession(c, c.Bool("check"), c.Bool("diff"))
			if err != nil {
				return err
			}
			s.opts.Tags = tagList(c.StringSlice("tags"))
			s.opts.SkipTags = tagList(c.StringSlice("skip-tags"))
			s.opts.StartAtTask = c.String("start-at-task")
			pbs, err := s.load(c.Args().Slice())
			if err != nil {
				return err
			}
			return s.run(c.Context, pbs)
		},
	}
}

func lintCommand() *cli.Command {
	return &cli.Command{
		Name:      "lint",
		Usage:     "parse, validate and render playbooks without connecting",
		ArgsUsage: "PLAYBOOK...",
		Flags:     connFlags(),
		Action: func(c *cli.Context) error {
			s, err := newSession(c, true, false)
			if err != nil {
				return err
			}
			pbs, err := s.load(c.Args().Slice())
			if err != nil {
				return err
			}
			tasks := 0
			for _, pb := range pbs {
				for _, p := range pb.Plays {
					tasks += len(p.Tasks) + len(p.Handlers)
				}
			}
			fmt.Fprintf(os.Stdout, "ok: %d playbook(s), %d task(s), %d host(s)\n", len(pbs), tasks, len(s.inv.Hosts()))
			return nil
		},
	}
}

// tagList splits --tags values on commas, as ansible-playbook does (`-t a,b`):
// the only flag whose values are lists, since the app splits none.
func tagList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}
