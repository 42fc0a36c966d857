// Command loadgen is `lvslab load-agent --spec JSON` alone: bench/load uses
// it when the lvslab binary of the tree cannot be built or has no
// load-agent command yet. Its only argument is the spec.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"lvslab/internal/load"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen SPEC-JSON")
		os.Exit(4)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := load.Agent(ctx, []byte(os.Args[1]), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
