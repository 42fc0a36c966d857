package module

import (
	"context"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
)

// Markers a command script prints instead of running when creates/removes
// say there is nothing to do (or, in check mode, that it would run).
const (
	skipCreates = "--lvslab-skip-creates--"
	skipRemoves = "--lvslab-skip-removes--"
	wouldRun    = "--lvslab-would-run--"
)

// CmdOpts are the options command and shell share. creates and removes may
// be glob patterns.
type CmdOpts struct {
	Chdir   string `yaml:"chdir"`   // run in this directory
	Creates string `yaml:"creates"` // skip when this path exists
	Removes string `yaml:"removes"` // skip unless this path exists
	Stdin   string `yaml:"stdin"`   // fed to the command
	// StdinAddNewline appends a newline to stdin (default true).
	StdinAddNewline *bool `yaml:"stdin_add_newline"`
}

// Command runs a program without a shell: each word is quoted, so pipes,
// redirections and variables are passed literally. The program is given as
// a free-form string (`command: ls -l /tmp`, split like a shell would), as
// cmd, or as an argv list. Leading chdir=, creates= and removes= words of the
// free form are options, as in Ansible. It is always changed unless
// creates/removes skip it; a non-zero exit fails the task ("non-zero return
// code") with stdout, stderr and rc still registered. In check mode it does
// not run: without creates/removes it is skipped, with them it reports
// whether it would run.
type Command struct {
	Cmd     string   `yaml:"cmd"`
	Argv    []string `yaml:"argv"`
	CmdOpts `yaml:",inline"`
}

// UnmarshalYAML accepts the free form (a scalar) or a mapping.
func (c *Command) UnmarshalYAML(n *yaml.Node) error {
	type plain Command
	return freeForm(n, &c.Cmd, (*plain)(c))
}

// commandWant is the program a command task runs: its words, and the
// options with those of the free form's leading words.
type commandWant struct {
	argv []string
	opts CmdOpts
}

// want splits the free form and checks that exactly one of cmd and argv
// is given.
func (c *Command) want() (commandWant, error) {
	var p problems
	w := commandWant{opts: c.CmdOpts}
	if c.Cmd != "" {
		rest := peelOptions(c.Cmd, map[string]*string{"chdir": &w.opts.Chdir, "creates": &w.opts.Creates, "removes": &w.opts.Removes})
		words, err := host.SplitWords(rest)
		p.addErr(err)
		w.argv = words
	}
	switch {
	case c.Cmd != "" && len(c.Argv) > 0:
		p.add("give either cmd (or the free form) or argv, not both")
	case len(c.Argv) > 0:
		w.argv = c.Argv
	case len(w.argv) == 0 && len(p.List) == 0:
		p.add("no command given")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (c *Command) Validate() error { _, err := c.want(); return err }

// Apply runs the command.
func (c *Command) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := c.want()
	if err != nil {
		return Result{}, err
	}
	argv := make([]any, len(w.argv))
	for i, word := range w.argv {
		argv[i] = word
	}
	return runCmd(ctx, h, env, quoteWords(w.argv), w.opts, argv)
}

// runCmd runs core (a shell command line) with the options, in one round trip.
func runCmd(ctx context.Context, h host.Executor, env *Env, core string, o CmdOpts, cmdData any) (Result, error) {
	res := Result{Data: map[string]any{"cmd": cmdData, "rc": 0, "stdout": "", "stderr": "",
		"stdout_lines": []string{}, "stderr_lines": []string{}}}
	if env.Check {
		if o.Creates == "" && o.Removes == "" {
			res.Skipped, res.Msg = true, "skipped in check mode"
			return res, nil
		}
		out, err := h.Run(ctx, wrapCmd("echo "+wouldRun, o), host.RunOpts{})
		if err != nil {
			return res, err
		}
		if skipped(&res, out.Stdout, o) {
			return res, nil
		}
		res.Changed, res.Msg = true, "command would have run if not in check mode"
		return res, nil
	}
	var opts host.RunOpts
	if o.Stdin != "" {
		in := o.Stdin
		if o.StdinAddNewline == nil || *o.StdinAddNewline {
			in += "\n"
		}
		opts.Stdin = strings.NewReader(in)
	}
	out, err := h.Run(ctx, wrapCmd(core, o), opts)
	if err != nil {
		return res, err
	}
	if out.ExitCode == 0 && skipped(&res, out.Stdout, o) {
		return res, nil
	}
	stdout, stderr := trimNL(out.Stdout), trimNL(out.Stderr)
	res.Changed = true
	res.Data["rc"], res.Data["stdout"], res.Data["stderr"] = out.ExitCode, stdout, stderr
	res.Data["stdout_lines"], res.Data["stderr_lines"] = outLines(stdout), outLines(stderr)
	if out.ExitCode != 0 {
		res.Failed, res.Msg = true, "non-zero return code"
	}
	return res, nil
}

// skipped recognises the creates/removes markers.
func skipped(res *Result, stdout string, o CmdOpts) bool {
	switch stdout {
	case skipCreates + "\n":
		res.Msg = fmt.Sprintf("skipped, since %s exists", o.Creates)
	case skipRemoves + "\n":
		res.Msg = fmt.Sprintf("skipped, since %s does not exist", o.Removes)
	default:
		return false
	}
	res.Skipped = true
	return true
}

// wrapCmd prefixes core with the creates/removes tests and the chdir.
func wrapCmd(core string, o CmdOpts) string {
	var parts []string
	if o.Creates != "" {
		parts = append(parts, fmt.Sprintf(`for f in %s; do if [ -e "$f" ]; then echo %s; exit 0; fi; done`, globWord(o.Creates), skipCreates))
	}
	if o.Removes != "" {
		parts = append(parts, fmt.Sprintf(`found=; for f in %s; do if [ -e "$f" ]; then found=1; fi; done; if [ -z "$found" ]; then echo %s; exit 0; fi`, globWord(o.Removes), skipRemoves))
	}
	if o.Chdir != "" {
		parts = append(parts, "cd -- "+host.Quote(o.Chdir)+" || exit 1")
	}
	return strings.Join(append(parts, core), "\n")
}

// peelOptions moves leading `key=value` words whose key is in opts out of a
// free-form command and returns the rest.
func peelOptions(s string, opts map[string]*string) string {
	rest := strings.TrimLeft(s, " \t")
	for {
		word, tail, _ := strings.Cut(rest, " ")
		k, v, ok := strings.Cut(word, "=")
		dst, known := opts[k]
		if !ok || !known || strings.ContainsAny(word, "\n\t") {
			return rest
		}
		*dst = v
		rest = strings.TrimLeft(tail, " \t")
	}
}
