package main

import (
	"errors"
	"os"
	"runtime"

	"github.com/urfave/cli/v2"

	"lvslab/internal/load"
)

// loadAgentCommand is what `lvslab load` runs on the client host: it sends
// the load of one spec and writes its events to stdout as JSON lines.
func loadAgentCommand() *cli.Command {
	return &cli.Command{
		Name:   "load-agent",
		Hidden: true,
		Usage:  "what `lvslab load` runs on the client host: send one spec's load, print its events as JSON lines",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "spec", Required: true, Usage: "the load.AgentSpec as `JSON`"},
		},
		Action: func(c *cli.Context) error {
			// Half the CPUs run Go code unless GOMAXPROCS says otherwise:
			// the generator then leaves room for what shares the machine
			// (the server under test, the lab's other hosts), and one
			// thread already opens more connections a second than ab
			// (bench/load).
			if os.Getenv("GOMAXPROCS") == "" {
				runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2))
			}
			err := load.Agent(c.Context, []byte(c.String("spec")), os.Stdout)
			if errors.Is(err, load.ErrSpec) {
				return badInput(err)
			}
			return err
		},
	}
}
