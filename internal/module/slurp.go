package module

import (
	"context"
	"fmt"

	"lvslab/internal/host"
)

// Slurp reads a file of the host into the registered content, base64
// encoded (encoding "base64", source the path), as Ansible's slurp;
// {{ r.content | b64decode }} is the file. A missing, unreadable file or a
// directory fails the task with Ansible's message.
//
// Arguments: src (alias path; required). It is never changed, runs the
// same in check mode, and costs one command.
type Slurp struct {
	Src  string `yaml:"src"`
	Path string `yaml:"path"` // alias of src
}

// slurpWant is what a slurp task asks: the file's path.
type slurpWant struct{ Slurp }

// want fills the alias and checks the arguments.
func (m *Slurp) want() (slurpWant, error) {
	var p problems
	w := slurpWant{*m}
	w.Src = orDefault(m.Src, m.Path)
	if w.Src == "" {
		p.add("src is required")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Slurp) Validate() error { _, err := m.want(); return err }

// Apply reads the file with one command.
func (m *Slurp) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "slurp "+w.Src, remoteRead(w.Src, "printf 'content='; base64 -w0 < \"$p\"; echo"))
	if err == nil {
		err = in.failure("slurp " + w.Src)
	}
	if err != nil {
		return Result{}, err
	}
	if msg := remoteReadProblem(in, w.Src); msg != "" {
		return Result{Failed: true, Msg: msg, Data: map[string]any{}}, nil
	}
	return Result{Data: map[string]any{"content": in.kv["content"], "source": w.Src, "encoding": "base64"}}, nil
}

// remoteRead returns a script that runs read (with the path in $p) when p
// is a readable file, else prints kind=directory, missing or unreadable.
func remoteRead(p, read string) string {
	return fmt.Sprintf("p=%s\nif [ -d \"$p\" ]; then echo kind=directory\nelif [ ! -e \"$p\" ]; then echo kind=missing\n"+
		"elif [ ! -r \"$p\" ]; then echo kind=unreadable\nelse %s\nfi\n", host.Quote(p), read)
}

// remoteReadProblem returns slurp's message for what remoteRead found, or "".
func remoteReadProblem(in inspection, p string) string {
	switch in.kv["kind"] {
	case "directory":
		return "source is a directory and must be a file: " + p
	case "missing":
		return "file not found: " + p
	case "unreadable":
		return "file is not readable: " + p
	}
	return ""
}
