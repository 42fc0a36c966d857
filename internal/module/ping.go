package module

import (
	"context"
	"fmt"

	"lvslab/internal/host"
)

// Ping is Ansible's ping: it runs one command on the host (`echo pong`),
// which proves that the host can be logged into and runs a shell (Ansible's
// also proves Python; lvslab needs none), and returns ping: data (default
// pong). data crash fails the task, as Ansible's raises an exception for
// it, to test failure handling. It is never changed, and runs the same in
// check mode (Ansible's supports check mode fully).
type Ping struct {
	Data *string `yaml:"data"`
}

// pingWant is what a ping task answers with: data with its default.
type pingWant struct {
	Ping
	data string
}

// want fills the default (any data is valid).
func (m *Ping) want() (pingWant, error) {
	w := pingWant{Ping: *m, data: "pong"}
	if m.Data != nil {
		w.data = *m.Data
	}
	return w, nil
}

// Validate reports every problem of the arguments (there are none to have).
func (m *Ping) Validate() error { _, err := m.want(); return err }

// Apply runs echo pong on the host: one round trip, even in check mode.
func (m *Ping) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	out, err := h.Run(ctx, "echo pong", host.RunOpts{})
	if err != nil {
		return Result{}, fmt.Errorf("ping: %w", err)
	}
	if out.ExitCode != 0 || trimNL(out.Stdout) != "pong" {
		return Result{}, cmdErr("ping: echo pong", out, nil)
	}
	if w.data == "crash" {
		return Result{Failed: true, Msg: "boom", Data: map[string]any{}}, nil
	}
	return Result{Data: map[string]any{"ping": w.data}}, nil
}
