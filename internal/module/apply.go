package module

import (
	"context"
	"fmt"
	"strings"

	"lvslab/internal/host"
)

// runSteps is a module's one apply: its plan's shell steps run as one
// command that stops at the first step that fails. Nothing runs when there
// are no steps, or in check mode: res, what the plan says would change, is
// returned as it is. A command that exits non-zero fails the task
// (applied); an error means the command could not be run.
func runSteps(ctx context.Context, h host.Executor, env *Env, what string, steps []string, res Result) (Result, error) {
	if len(steps) == 0 || env.Check {
		return res, nil
	}
	out, err := h.Run(ctx, strings.Join(steps, " && "), host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("apply %s: %w", what, err)
	}
	return applied(res, what, out), nil
}

// applied registers what an apply command printed (rc, stdout, stderr) in
// res, and fails res, naming what, when the command exited non-zero.
func applied(res Result, what string, out host.Result) Result {
	stdout, stderr := trimNL(out.Stdout), trimNL(out.Stderr)
	if res.Data == nil {
		res.Data = map[string]any{}
	}
	res.Data["rc"], res.Data["stdout"], res.Data["stderr"] = out.ExitCode, stdout, stderr
	if out.ExitCode == 0 {
		return res
	}
	detail := strings.TrimSpace(stderr)
	if detail == "" {
		detail = lastLines(stdout, 5)
	}
	return failRes(res, "%s failed (exit %d): %s", what, out.ExitCode, detail)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// failRes marks res failed with a message.
func failRes(res Result, format string, args ...any) Result {
	res.Failed = true
	res.Msg = fmt.Sprintf(format, args...)
	return res
}

// cmdErr describes a helper command that failed.
func cmdErr(what string, out host.Result, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := strings.TrimSpace(out.Stderr)
	if msg == "" {
		msg = strings.TrimSpace(out.Stdout)
	}
	return fmt.Errorf("%s: exit %d: %s", what, out.ExitCode, msg)
}

// writeStep returns a shell step writing content to path atomically (a
// temporary file in the same directory, then rename) with the current umask.
func writeStep(path, content string) string {
	tmp := path + ".lvslab-tmp"
	return fmt.Sprintf("printf '%%s' %s > %s && mv -f %s %s", host.Quote(content), host.Quote(tmp), host.Quote(tmp), host.Quote(path))
}
