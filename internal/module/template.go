package module

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"lvslab/internal/host"
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

// Validate checks that src and dest are given.
func (t *Template) Validate() error {
	var errs []string
	if t.Src == "" {
		errs = append(errs, "src is required")
	}
	if t.Dest == "" {
		errs = append(errs, "dest is required")
	}
	errs = append(errs, t.FileAttrs.check()...)
	return joinErrs("template", errs)
}

// Lint checks that src exists and parses as a template.
func (t *Template) Lint(baseDir string, parse func(name, text string) error) error {
	p, err := findLocal(baseDir, t.Src, "templates")
	if err != nil {
		return err
	}
	text, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if parse == nil {
		return nil
	}
	return parse(p, string(text))
}

// Apply renders src and converges dest.
func (t *Template) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	p, err := findLocal(env.BaseDir, t.Src, "templates")
	if err != nil {
		return Result{}, fmt.Errorf("template: %w", err)
	}
	text, err := os.ReadFile(p)
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
	return putFile(ctx, h, env, t.Dest, filepath.Base(t.Src), bytesPayload([]byte(out)), t.FileAttrs, t.Force)
}
