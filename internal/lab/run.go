package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// run executes a command and returns its standard output. On failure the
// error names the command and ends with the last lines of its output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	return runIn(ctx, nil, name, args...)
}

// runIn is run with extra environment variables.
func runIn(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s: %w", name, ctx.Err())
		}
		return stdout.String(), fmt.Errorf("%s %s: %w%s", name, strings.Join(args, " "), err, tail(stderr.String()+stdout.String(), 15))
	}
	return stdout.String(), nil
}

// runLogged executes a long command whose output goes to the file log; on
// failure the error quotes the end of that file.
func runLogged(ctx context.Context, log string, name string, args ...string) error {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "\n$ %s %s\n", name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", name, ctx.Err())
		}
		b, _ := os.ReadFile(log)
		return fmt.Errorf("%s: %w (log: %s)%s", name, err, log, tail(string(b), 20))
	}
	return nil
}

// tail returns the last n lines of s, indented on new lines, or "".
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n    " + strings.Join(lines, "\n    ")
}

// ip runs ip(8) with the arguments.
func ip(ctx context.Context, args ...string) error {
	_, err := run(ctx, "ip", args...)
	return err
}
