// Command lvslab brings up an LNMP + LVS lab over SSH, Ansible-style.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	app := &cli.App{Name: "lvslab", Commands: []*cli.Command{labCommand()}}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "lvslab:", err)
		os.Exit(1)
	}
}
