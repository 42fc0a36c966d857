// Package loadrun drives `lvslab load`: it puts the load agent on the host
// the load starts from, checks that the target answers, reads the
// director's IPVS counters around each run, and compares the answers per
// real server with what the scheduler and weights predict.
package loadrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"lvslab/internal/host"
	"lvslab/internal/load"
)

// Source is where load starts: the controller, or a client host running
// lvslab's own binary as its load agent.
type Source interface {
	// Name is where the load starts, for the output.
	Name() string
	// Load runs spec, calls on (which may be nil) for every event as it
	// arrives, and returns the final event: a Summary, or a Ramp.
	Load(ctx context.Context, spec load.AgentSpec, on func(load.Event)) (load.Event, error)
}

// Local runs the load on the controller, in this process.
type Local struct{}

// Name implements Source.
func (Local) Name() string { return "the controller" }

// Load implements Source.
func (Local) Load(ctx context.Context, spec load.AgentSpec, on func(load.Event)) (load.Event, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return load.Event{}, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(load.Agent(ctx, b, pw)) }()
	return collect(pr, on)
}

// Runner runs a command on a host (host.Executor has this method).
type Runner interface {
	Run(ctx context.Context, cmd string, opts host.RunOpts) (host.Result, error)
}

// Remote runs the load on a host, with the agent binary that Deploy put at
// Path; its events stream back over the connection as they happen.
type Remote struct {
	Host string // inventory name
	Exec Runner
	Path string
}

// Name implements Source.
func (r Remote) Name() string { return r.Host }

// Load implements Source. A cancelled ctx stops the agent on the host.
func (r Remote) Load(ctx context.Context, spec load.AgentSpec, on func(load.Event)) (load.Event, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return load.Event{}, err
	}
	cmd := host.Quote(r.Path) + " load-agent --spec " + host.Quote(string(b))
	pr, pw := io.Pipe()
	var res host.Result
	var runErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, runErr = r.Exec.Run(ctx, cmd, host.RunOpts{Stdout: pw})
		pw.Close()
	}()
	final, err := collect(pr, on)
	<-done
	switch {
	case runErr != nil:
		return final, fmt.Errorf("load agent on %s: %w", r.Host, runErr)
	case err != nil && res.ExitCode != 0 && res.Stderr != "":
		return final, fmt.Errorf("load agent on %s: %w (exit %d: %s)", r.Host, err, res.ExitCode, lastLine(res.Stderr))
	case err != nil:
		return final, fmt.Errorf("load agent on %s: %w", r.Host, err)
	}
	return final, nil
}

// collect reads the agent's events until its output ends, and returns the
// final one; an Error event is the agent's error. Whatever follows a bad
// line is drained, so the agent is never blocked writing.
func collect(r io.Reader, on func(load.Event)) (load.Event, error) {
	var final load.Event
	err := load.Decode(r, func(ev load.Event) error {
		if ev.Error != "" {
			return errors.New(ev.Error)
		}
		if ev.Summary != nil || ev.Ramp != nil {
			final = ev
		}
		if on != nil {
			on(ev)
		}
		return nil
	})
	_, _ = io.Copy(io.Discard, r)
	if err == nil && final.Summary == nil && final.Ramp == nil {
		err = errors.New("the agent ended without a summary")
	}
	return final, err
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
