package module

import (
	"context"

	"lvslab/internal/host"
)

// Fail fails the task with msg (default "Failed as requested from task"),
// usually under a when:. It never touches the host.
type Fail struct {
	Msg string `yaml:"msg"`
}

// Apply fails.
func (f *Fail) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	msg := f.Msg
	if msg == "" {
		msg = "Failed as requested from task"
	}
	return Result{Failed: true, Msg: msg}, nil
}
