//go:build ignore

// printscript runs facts.Script with sh on this machine and prints its output,
// for oracle.sh.
package main

import (
	"fmt"
	"os"
	"os/exec"

	"lvslab/internal/facts"
)

func main() {
	out, err := exec.Command("sh", "-c", facts.Script).Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "printscript:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
