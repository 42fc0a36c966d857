package module

import (
	"context"
	"fmt"
	"path/filepath"

	"lvslab/internal/host"
	"lvslab/internal/infile"
)

// Template renders a local Go template (src: relative to the playbook's
// directory, or under templates/ beside it or beside its parent) with the
// host's variables and writes the result to dest exactly as Copy does (same
// options, same single round trip when dest is right).
type Template struct {
	Src       string `yaml:"src"`
	Dest      string `yaml:"dest"`
	Force     *bool  `yaml:"force"`
	FileAttrs `yaml:",inline"`
}

// templateWant is what a template task wants (its arguments need no defaults).
type templateWant struct{ Template }

// want checks that src and dest are given.
func (t *Template) want() (templateWant, error) {
	var p problems
	if t.Src == "" {
		p.add("src is required")
	}
	t.FileAttrs.check("dest", t.Dest, &p)
	return templateWant{*t}, p.err()
}

// Validate reports every problem of the arguments.
func (t *Template) Validate() error { _, err := t.want(); return err }

// Lint checks that src exists and parses as a template.
func (t *Template) Lint(baseDir string, parse func(name, text string) error) error {
	p, err := findLocal(baseDir, t.Src, "templates")
	if err != nil {
		return err
	}
	text, err := infile.ReadFile(p)
	if err != nil {
		return err
	}
	if parse == nil {
		return nil
	}
	return parse(p, string(text))
}

// TemplatePath returns the file a template task's src names, found as
// Apply finds it (beside the task's file, or under templates/ beside it or
// beside its parent).
func TemplatePath(baseDir, src string) (string, error) { return findLocal(baseDir, src, "templates") }

// Apply renders src and converges dest as copy does.
func (t *Template) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := t.want()
	if err != nil {
		return Result{}, err
	}
	p, err := findLocal(env.BaseDir, w.Src, "templates")
	if err != nil {
		return Result{}, fmt.Errorf("template: %w", err)
	}
	text, err := infile.ReadFile(p)
	if err != nil {
		return Result{}, fmt.Errorf("template: %w", err)
	}
	if env.Render == nil {
		return Result{}, fmt.Errorf("template %s: no renderer", p)
	}
	out, err := env.Render(p, string(text))
	if err != nil {
		return Result{}, fmt.Errorf("template: %w", err)
	}
	return putFile(ctx, h, env, w.Dest, filepath.Base(w.Src), bytesPayload([]byte(out)), w.FileAttrs, w.Force)
}
