package module

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"lvslab/internal/host"
)

// Reboot is Ansible's reboot: it reboots the host and waits for it to come
// back. The module does the host's half in one command: it reads the boot
// id (/proc/sys/kernel/random/boot_id) and runs the reboot command,
// `shutdown -r DELAY_MIN "MSG"` (pre_reboot_delay in whole minutes, as
// Ansible's for Linux) or reboot_command as written; a connection that
// drops meanwhile is the reboot under way. The runner does the rest
// (RebootPlan): it drops the host's connections, waits post_reboot_delay,
// reconnects (each dial at most connect_timeout; unreachable is not yet)
// until the host answers with another boot id, or has been unreachable
// since the reboot command, then runs test_command until it exits 0, all
// within reboot_timeout, and registers rebooted: true and elapsed
// (seconds), changed. In check mode nothing runs and it registers changed,
// rebooted: true, elapsed 0, as Ansible. A reboot command that fails fails
// the task with Ansible's "Reboot command failed. Error was: ...".
//
// Arguments: reboot_timeout (default 600), connect_timeout (default the
// host's), pre_reboot_delay (0), post_reboot_delay (0), test_command
// (whoami), msg ("Reboot initiated by Ansible"), reboot_command.
type Reboot struct {
	RebootTimeout   *int   `yaml:"reboot_timeout"`
	ConnectTimeout  *int   `yaml:"connect_timeout"`
	PreRebootDelay  int    `yaml:"pre_reboot_delay"`
	PostRebootDelay int    `yaml:"post_reboot_delay"`
	TestCommand     string `yaml:"test_command"`
	Msg             string `yaml:"msg"`
	RebootCommand   string `yaml:"reboot_command"`
}

// RebootPlan is what the runner waits for once the reboot command ran; a
// reboot task's result carries it in Data under RebootKey.
type RebootPlan struct {
	Timeout     time.Duration
	Connect     time.Duration // 0: the host's own
	PostDelay   time.Duration
	TestCommand string
	BootID      string // before the reboot; "" when unknown
	Start       time.Time
}

// RebootKey is the key of a reboot result's Data that holds its
// RebootPlan for the runner, which takes it out.
const RebootKey = "_lvslab_reboot"

// bootIDCommand is Ansible's DEFAULT_BOOT_TIME_COMMAND for Linux.
const bootIDCommand = "cat /proc/sys/kernel/random/boot_id"

type rebootWant struct {
	Reboot
	plan    RebootPlan
	command string
}

// want fills the defaults and checks the arguments.
func (m *Reboot) want() (rebootWant, error) {
	var p problems
	w := rebootWant{Reboot: *m}
	timeout := 600
	if m.RebootTimeout != nil {
		timeout = *m.RebootTimeout
	}
	if timeout <= 0 {
		p.add("reboot_timeout must be a positive number of seconds")
	}
	if m.ConnectTimeout != nil && *m.ConnectTimeout <= 0 {
		p.add("connect_timeout must be a positive number of seconds")
	}
	if m.PreRebootDelay < 0 || m.PostRebootDelay < 0 {
		p.add("pre_reboot_delay and post_reboot_delay are seconds, not negative")
	}
	w.TestCommand = orDefault(m.TestCommand, "whoami")
	w.Msg = orDefault(m.Msg, "Reboot initiated by Ansible")
	w.command = m.RebootCommand
	if w.command == "" {
		w.command = fmt.Sprintf("shutdown -r %d %s", m.PreRebootDelay/60, host.Quote(w.Msg))
	}
	w.plan = RebootPlan{Timeout: time.Duration(timeout) * time.Second, PostDelay: time.Duration(m.PostRebootDelay) * time.Second,
		TestCommand: w.TestCommand}
	if m.ConnectTimeout != nil {
		w.plan.Connect = time.Duration(*m.ConnectTimeout) * time.Second
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Reboot) Validate() error { _, err := m.want(); return err }

// Apply reads the boot id and runs the reboot command.
func (m *Reboot) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	if env.Check {
		return Result{Changed: true, Data: map[string]any{"rebooted": true, "elapsed": 0}}, nil
	}
	script := "lvslab_b=$(" + bootIDCommand + ") || exit 97\nprintf 'boot_id=%s\\n' \"$lvslab_b\"\n" + w.command
	out, err := h.Run(ctx, script, host.RunOpts{})
	plan := w.plan
	plan.Start = time.Now()
	switch {
	case errors.Is(err, host.ErrUnreachable): // the reboot took the connection
	case err != nil:
		return Result{}, fmt.Errorf("reboot: %w", err)
	case out.ExitCode == 97:
		return Result{Failed: true, Msg: "failed to get the boot id: " + strings.TrimSpace(out.Stderr),
			Data: map[string]any{"rebooted": false, "elapsed": 0}}, nil
	case out.ExitCode != 0:
		_, stdout, _ := strings.Cut(out.Stdout, "\n") // after the boot id
		return Result{Failed: true, Msg: fmt.Sprintf("Reboot command failed. Error was: '%s, %s'", strings.TrimSpace(stdout), strings.TrimSpace(out.Stderr)),
			Data: map[string]any{"rebooted": false, "elapsed": 0}}, nil
	default:
		first, _, _ := strings.Cut(out.Stdout, "\n")
		plan.BootID = strings.TrimPrefix(first, "boot_id=")
	}
	return Result{Changed: true, Data: map[string]any{RebootKey: plan}}, nil
}
