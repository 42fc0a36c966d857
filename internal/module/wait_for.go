package module

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"lvslab/internal/host"
)

// WaitFor waits, on the host itself, until a TCP port accepts connections
// (state started, the default) or no longer does (stopped), or until a path
// exists (present/started; with search_regex, until its content matches)
// or is gone (absent/stopped). With neither port nor path it just waits
// timeout seconds. The polling is one shell loop on the host (bash's
// /dev/tcp, else nc, each try bounded to two seconds), so it costs one round
// trip; cancelling the run stops it. delay seconds pass before the first
// try; tries are sleep seconds apart; after timeout seconds (default 300,
// delay included) the task fails with msg or a message naming what it waited
// for. In check mode the condition is tried once, without waiting: met is
// ok, not met is reported as skipped rather than failed.
type WaitFor struct {
	Port        int    `yaml:"port"`
	Host        string `yaml:"host"`
	Path        string `yaml:"path"`
	State       string `yaml:"state"`
	Timeout     *int   `yaml:"timeout"`
	Delay       int    `yaml:"delay"`
	Sleep       *int   `yaml:"sleep"`
	SearchRegex string `yaml:"search_regex"`
	Msg         string `yaml:"msg"`
}

// waitWant is what a wait_for task waits for: its arguments with the
// defaults filled in.
type waitWant struct {
	WaitFor
	timeout, sleep int
}

// want fills defaults and checks the combination of options.
func (m *WaitFor) want() (waitWant, error) {
	var p problems
	w := waitWant{WaitFor: *m, timeout: 300, sleep: 1}
	w.Host = orDefault(m.Host, "127.0.0.1")
	w.State = orDefault(m.State, "started")
	if m.Timeout != nil {
		w.timeout = *m.Timeout
	}
	if m.Sleep != nil {
		w.sleep = *m.Sleep
	}
	if !slices.Contains([]string{"started", "stopped", "present", "absent"}, w.State) {
		p.add("state %q: want started, stopped, present or absent", w.State)
	}
	if m.Port != 0 && m.Path != "" {
		p.add("give port or path, not both")
	}
	if m.Port < 0 || m.Port > 65535 {
		p.add("port %d out of range", m.Port)
	}
	if m.Port != 0 && (w.State == "present" || w.State == "absent") {
		p.add("state %s is for path; a port is started or stopped", w.State)
	}
	if w.timeout < 0 || m.Delay < 0 || w.sleep < 1 {
		p.add("timeout and delay must not be negative, sleep must be at least 1")
	}
	if m.SearchRegex != "" && m.Port == 0 && m.Path == "" {
		p.add("search_regex needs port or path")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *WaitFor) Validate() error { _, err := m.want(); return err }

// what names the awaited condition for messages.
func (w waitWant) what() string {
	switch {
	case w.Port != 0:
		return fmt.Sprintf("%s:%d to be %s", w.Host, w.Port, w.State)
	case w.Path != "" && w.SearchRegex != "" && w.State != "absent" && w.State != "stopped":
		return fmt.Sprintf("%s to match %q", w.Path, w.SearchRegex)
	case w.Path != "":
		return fmt.Sprintf("%s to be %s", w.Path, w.State)
	}
	return fmt.Sprintf("%d seconds", w.timeout)
}

// Apply waits: one command polls on the host (check mode: tries once).
func (m *WaitFor) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"elapsed": 0}}
	if w.Port != 0 {
		res.Data["port"] = w.Port
	}
	if w.Path != "" {
		res.Data["path"] = w.Path
	}
	if env.Check && w.Port == 0 && w.Path == "" {
		res.Skipped, res.Msg = true, "skipped in check mode"
		return res, nil
	}
	out, err := h.Run(ctx, w.script(env.Check), host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("waiting for %s: %w", w.what(), err)
	}
	kv := parseInspection(out.Stdout).kv
	var elapsed int
	fmt.Sscan(kv["elapsed"], &elapsed)
	res.Data["elapsed"] = elapsed
	switch {
	case kv["error"] != "":
		return failRes(res, "%s", kv["error"]), nil
	case out.ExitCode == 0:
		return res, nil
	case out.ExitCode == 1 && kv["result"] == "timeout" && env.Check:
		res.Skipped, res.Msg = true, "check mode: "+w.what()+": not yet"
		return res, nil
	case out.ExitCode == 1 && kv["result"] == "timeout":
		if w.Msg != "" {
			return failRes(res, "%s", w.Msg), nil
		}
		return failRes(res, "timeout after %ds waiting for %s", elapsed, w.what()), nil
	}
	return res, cmdErr("waiting for "+w.what(), out, nil)
}

// script is the polling loop; in check mode it tries once.
func (w waitWant) script(check bool) string {
	timeout, delay := w.timeout, w.Delay
	if check {
		timeout, delay = 0, 0
	}
	var b strings.Builder
	fmt.Fprintf(&b, "start=$(date +%%s); end=$((start + %d))\n", timeout)
	if w.Port == 0 && w.Path == "" {
		fmt.Fprintf(&b, "sleep %d\necho \"elapsed=$(( $(date +%%s) - start ))\"\n", timeout)
		return b.String()
	}
	if delay > 0 {
		fmt.Fprintf(&b, "sleep %d\n", delay)
	}
	negate := ""
	if w.State == "stopped" || w.State == "absent" {
		negate = "! "
	}
	if w.Port != 0 {
		hp := host.Quote(w.Host) + " " + fmt.Sprint(w.Port)
		read, grep := "", ""
		if w.SearchRegex != "" && negate == "" {
			read, grep = "; timeout 1 cat <&3", " | grep -Eq -- "+host.Quote(w.SearchRegex)
		}
		b.WriteString("if command -v bash >/dev/null 2>&1; then\n")
		fmt.Fprintf(&b, "  chk() { timeout 2 bash -c 'exec 3<>\"/dev/tcp/$0/$1\"%s' %s 2>/dev/null%s; }\n", read, hp, grep)
		b.WriteString("elif command -v nc >/dev/null 2>&1; then\n")
		if grep != "" {
			fmt.Fprintf(&b, "  chk() { timeout 2 nc -w 1 %s </dev/null 2>/dev/null%s; }\n", hp, grep)
		} else {
			fmt.Fprintf(&b, "  chk() { nc -z -w 2 %s >/dev/null 2>&1; }\n", hp)
		}
		b.WriteString("else echo 'error=wait_for needs bash or nc on the host to test a port'; exit 3; fi\n")
	} else {
		q := host.Quote(w.Path)
		if w.SearchRegex != "" && negate == "" {
			fmt.Fprintf(&b, "chk() { [ -e %s ] && grep -Eq -- %s %s; }\n", q, host.Quote(w.SearchRegex), q)
		} else {
			fmt.Fprintf(&b, "chk() { [ -e %s ]; }\n", q)
		}
	}
	fmt.Fprintf(&b, `while :; do
  if %schk; then echo "elapsed=$(( $(date +%%s) - start ))"; exit 0; fi
  if [ "$(date +%%s)" -ge "$end" ]; then echo result=timeout; echo "elapsed=$(( $(date +%%s) - start ))"; exit 1; fi
  sleep %d
done
`, negate, w.sleep)
	return b.String()
}
