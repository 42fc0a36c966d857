package main

import "github.com/urfave/cli/v2"

// labCommand is the `lvslab lab` command: the built-in local lab.
func labCommand() *cli.Command {
	return &cli.Command{Name: "lab", Usage: "create, destroy or inspect the built-in local lab"}
}
