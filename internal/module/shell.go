package module

import (
	"context"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
)

// Shell runs a script with a shell (executable, default /bin/sh): pipes,
// redirections and variables work. The script is the free form
// (`shell: ip -o addr | grep eth0`) or cmd; leading chdir=, creates=,
// removes= and executable= words of the free form are options. Results,
// failure and check mode are as for Command.
type Shell struct {
	Cmd        string `yaml:"cmd"`
	Executable string `yaml:"executable"`
	CmdOpts    `yaml:",inline"`
}

// UnmarshalYAML accepts the free form (a scalar) or a mapping.
func (s *Shell) UnmarshalYAML(n *yaml.Node) error {
	type plain Shell
	return freeForm(n, &s.Cmd, (*plain)(s))
}

// Validate reads the free-form options and fills defaults.
func (s *Shell) Validate() error {
	s.Cmd = peelOptions(s.Cmd, map[string]*string{"chdir": &s.Chdir, "creates": &s.Creates, "removes": &s.Removes, "executable": &s.Executable})
	if s.Executable == "" {
		s.Executable = "/bin/sh"
	}
	if s.Cmd == "" {
		return joinErrs("shell", []string{"no command given"})
	}
	return nil
}

// Apply runs the script.
func (s *Shell) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	return runCmd(ctx, h, env, host.Quote(s.Executable)+" -c "+host.Quote(s.Cmd), s.CmdOpts, s.Cmd)
}
