package module

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
)

// Script is Ansible's script: a local script (found as copy finds src:
// beside the task, in the role's or the playbook's files/) is uploaded to
// a temporary file on the host (mode 0700), run there with its arguments
// and removed. The free form is `script: PATH ARGS...` (or cmd: PATH ARGS)
// with leading chdir=, creates=, removes= and executable= words as
// options; ARGS go to a shell as they are written. With executable
// (`executable: /bin/bash`) the script is run by it, else by its #! line.
// Results are command's: rc, stdout and stderr registered, always changed
// unless creates/removes skip it, a non-zero exit fails the task. In check
// mode nothing is uploaded: without creates/removes it is skipped, with
// them it reports whether it would run, as Ansible's.
type Script struct {
	Cmd        string `yaml:"cmd"`
	Executable string `yaml:"executable"`
	Decrypt    *bool  `yaml:"decrypt"` // accepted; vault-encrypted scripts are not decrypted
	CmdOpts    `yaml:",inline"`
}

// UnmarshalYAML accepts the free form (a scalar) or a mapping.
func (s *Script) UnmarshalYAML(n *yaml.Node) error {
	type plain Script
	return freeForm(n, &s.Cmd, (*plain)(s))
}

// scriptWant is what a script task runs: the local path and the arguments,
// with the free form's options read.
type scriptWant struct {
	Script
	local, args string
}

// want reads the free form's options and splits off the script's path.
func (s *Script) want() (scriptWant, error) {
	var p problems
	w := scriptWant{Script: *s}
	rest := peelOptions(s.Cmd, map[string]*string{"chdir": &w.Chdir, "creates": &w.Creates, "removes": &w.Removes, "executable": &w.Executable})
	rest = strings.TrimSpace(rest)
	switch {
	case rest == "":
		p.add("no script given")
	case rest[0] == '"' || rest[0] == '\'':
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			p.add("script %s: unbalanced quote", rest)
			break
		}
		w.local, w.args = rest[1:end+1], strings.TrimSpace(rest[end+2:])
	default:
		w.local, w.args, _ = strings.Cut(rest, " ")
		w.args = strings.TrimSpace(w.args)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (s *Script) Validate() error { _, err := s.want(); return err }

// Apply uploads the script, runs it and removes it: one upload and one
// command (a second, removing it, only when creates/removes skip it).
func (s *Script) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := s.want()
	if err != nil {
		return Result{}, err
	}
	src, err := findLocal(env.BaseDir, w.local, "files")
	if err != nil {
		return failRes(Result{Data: map[string]any{}}, "Could not find or access '%s' on the Ansible Controller: %v", w.local, err), nil
	}
	tmp := "/tmp/.lvslab-script-" + tempName() + "-" + path.Base(w.local)
	run := host.Quote(tmp)
	if w.Executable != "" {
		run = host.Quote(w.Executable) + " " + run
	}
	if w.args != "" {
		run += " " + w.args
	}
	core := "/bin/sh -c " + host.Quote("trap "+host.Quote("rm -f -- "+host.Quote(tmp))+" EXIT; "+run)
	if !env.Check {
		f, err := os.Open(src)
		if err != nil {
			return Result{}, fmt.Errorf("script %s: %w", src, err)
		}
		err = h.Upload(ctx, f, tmp, host.FileOpts{Mode: 0o700})
		f.Close()
		if err != nil {
			return Result{}, fmt.Errorf("script: upload %s: %w", tmp, err)
		}
	}
	res, err := runCmd(ctx, h, env, core, w.CmdOpts, strings.TrimSpace(w.local+" "+w.args))
	if err == nil && res.Skipped && !env.Check {
		_, err = h.Run(ctx, "rm -f -- "+host.Quote(tmp), host.RunOpts{})
	}
	return res, err
}
