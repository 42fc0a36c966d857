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

// shellWant is the script a shell task runs: its arguments with the free
// form's leading options read and the defaults filled in.
type shellWant struct{ Shell }

// want reads the free-form options and fills defaults.
func (s *Shell) want() (shellWant, error) {
	var p problems
	w := shellWant{*s}
	w.Cmd = peelOptions(s.Cmd, map[string]*string{"chdir": &w.Chdir, "creates": &w.Creates, "removes": &w.Removes, "executable": &w.Executable})
	w.Executable = orDefault(w.Executable, "/bin/sh")
	if w.Cmd == "" {
		p.add("no command given")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (s *Shell) Validate() error { _, err := s.want(); return err }

// Apply runs the script.
func (s *Shell) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := s.want()
	if err != nil {
		return Result{}, err
	}
	return runCmd(ctx, h, env, host.Quote(w.Executable)+" -c "+host.Quote(w.Cmd), w.CmdOpts, w.Cmd)
}
