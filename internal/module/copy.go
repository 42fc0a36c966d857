package module

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"lvslab/internal/host"
)

// Copy writes a local file (src, relative to the playbook's directory, or
// under files/ beside it or beside its parent) or the given content to dest
// on the host. When dest is a directory (or ends with /), src goes into it
// under its own name. One round trip when dest is already right: a stat and a sha256 of
// dest (and its old content with --diff), compared with the local checksum;
// the upload is atomic. With force: false an existing dest is left alone.
// See FileAttrs for mode, owner, group, backup and validate.
type Copy struct {
	Src       string  `yaml:"src"`
	Content   *string `yaml:"content"`
	Dest      string  `yaml:"dest"`
	Force     *bool   `yaml:"force"`
	FileAttrs `yaml:",inline"`
}

// copyWant is what a copy task wants (its arguments need no defaults).
type copyWant struct{ Copy }

// want checks that exactly one of src and content is given, and dest.
func (c *Copy) want() (copyWant, error) {
	var p problems
	switch {
	case c.Src == "" && c.Content == nil:
		p.add("src or content is required")
	case c.Src != "" && c.Content != nil:
		p.add("give either src or content, not both")
	}
	c.FileAttrs.check("dest", c.Dest, &p)
	return copyWant{*c}, p.err()
}

// Validate reports every problem of the arguments.
func (c *Copy) Validate() error { _, err := c.want(); return err }

// Lint checks that src, when given, exists and can be read.
func (c *Copy) Lint(baseDir string, _ func(name, text string) error) error {
	if c.Src == "" {
		return nil
	}
	p, err := findLocal(baseDir, c.Src, "files")
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	return f.Close()
}

// Apply converges dest: one probe of dest, then at most one upload or
// chmod/chown.
func (c *Copy) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := c.want()
	if err != nil {
		return Result{}, err
	}
	var data payload
	base := ""
	if w.Content != nil {
		data = bytesPayload([]byte(*w.Content))
	} else {
		p, err := findLocal(env.BaseDir, w.Src, "files")
		if err != nil {
			return Result{}, fmt.Errorf("copy: %w", err)
		}
		// Hashed once per run, streamed when sent: neither the memory
		// nor the checksum of a large file is paid once per host.
		if data, err = filePayload(p); err != nil {
			return Result{}, fmt.Errorf("copy: %w", err)
		}
		base = filepath.Base(w.Src)
	}
	dest := w.Dest
	if base != "" && strings.HasSuffix(dest, "/") {
		dest, base = dest+base, ""
	}
	return putFile(ctx, h, env, dest, base, data, w.FileAttrs, w.Force)
}

// putFile is copy and template after the new content is known.
func putFile(ctx context.Context, h host.Executor, env *Env, dest, base string, data payload, a FileAttrs, force *bool) (Result, error) {
	st, err := probeFile(ctx, h, dest, probeScript(dest, probeOpts{Base: base, Content: env.Diff, Limit: diffLimit}))
	if err != nil {
		return Result{}, err
	}
	return writeFile(ctx, h, env, st, writeOpts{FileAttrs: a, Keep: force != nil && !*force}, data)
}

// findLocal resolves a controller-side source file: absolute as given, else
// baseDir/src, baseDir/sub/src, baseDir/../sub/src, the first that exists.
func findLocal(baseDir, src, sub string) (string, error) {
	if filepath.IsAbs(src) {
		if _, err := os.Stat(src); err != nil {
			return "", err
		}
		return src, nil
	}
	tried := []string{
		filepath.Join(baseDir, src),
		filepath.Join(baseDir, sub, src),
		filepath.Join(baseDir, "..", sub, src),
	}
	for _, p := range tried {
		if fi, err := os.Stat(p); err == nil {
			if fi.IsDir() {
				return "", fmt.Errorf("%s is a directory; copy takes one file", p)
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("source %q not found (tried %s, %s, %s)", src, tried[0], tried[1], tried[2])
}
