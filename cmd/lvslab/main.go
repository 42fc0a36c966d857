// Command lvslab brings up an LNMP + LVS lab over SSH, Ansible-style: one
// binary, ordered YAML tasks, one SSH connection per host.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes, as documented in the README.
const (
	exitOK          = 0
	exitFailed      = 2
	exitUnreachable = 3
	exitBadInput    = 4
	exitInterrupted = 130
)

// exitError carries the exit code for an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error { return &exitError{code: exitBadInput, err: err} }

func main() {
	os.Exit(exitCode(run()))
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp()
	return app.RunContext(ctx, flagsFirst(app, os.Args))
}

func newApp() *cli.App {
	app := &cli.App{
		Name:  "lvslab",
		Usage: "bring up an LNMP + LVS lab over SSH, Ansible-style",
		Description: "lvslab runs Ansible-shaped playbooks over one SSH connection per host.\n" +
			"Start with `lvslab lab create` (a local lab on this machine) and `lvslab up`,\n" +
			"or point it at your own machines with `-i inventory.yml`.",
		HideHelpCommand: true,
		// Every -e, --name ... is one value, as in Ansible: never split on commas.
		DisableSliceFlagSeparator: true,
		Commands: []*cli.Command{
			runCommand(),
			lintCommand(),
			labCommand(),
			upCommand(),
			verifyCommand(),
			statusCommand(),
			downCommand(),
			drainCommand(),
			undrainCommand(),
			weightCommand(),
			certCommand(),
			loadCommand(),
			drillCommand(),
			loadAgentCommand(),
			inventoryCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {}, // main maps errors to exit codes
		OnUsageError:   usageError,
	}
	badFlagsAreBadInput(app.Commands)
	return app
}

// badFlagsAreBadInput makes a flag error (unknown flag, bad value) of
// every command exit 4, bad input, as the README says.
func badFlagsAreBadInput(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = usageError
		badFlagsAreBadInput(c.Subcommands)
	}
}

// usageError is a flag error: bad input, with where to find the flags.
func usageError(c *cli.Context, err error, _ bool) error {
	return badInput(fmt.Errorf("%w (see %s --help)", err, c.Command.HelpName))
}

// exitCode prints err and maps it to the documented exit codes.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitFailed && ee.code != exitUnreachable && ee.code != exitInterrupted {
			fmt.Fprintln(os.Stderr, "lvslab:", ee.err)
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	fmt.Fprintln(os.Stderr, "lvslab:", err)
	return 1
}
