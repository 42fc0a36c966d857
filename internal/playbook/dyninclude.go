package playbook

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/module"
	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// templatedInclude matches one {{ expression }} of an include_tasks name.
var templatedInclude = regexp.MustCompile(`\{\{-?(.*?)-?\}\}`)

// dynamicInclude splices an import_tasks whose file name is a template
// (`import_tasks: "{{ ansible_facts.os_family }}.yml"`), which only a
// host's variables can name. Every file the name can render to (the name
// with each {{ }} as a glob *, beside the including file) is read and
// validated, and each of its tasks runs only when the name renders to that
// file on the host (the name's expression, includeExpr, equals the
// file's name). include_tasks reads the same candidates (includeTasks)
// and picks one when it is reached.
func (p *parser) dynamicInclude(file string, inc *Task, name string, from pos.Pos) []*Task {
	expr, base, cands := p.includeCandidates(file, name, from)
	var out []*Task
	for _, c := range cands {
		rel := c
		if !filepath.IsAbs(name) {
			rel, _ = filepath.Rel(base, c)
		}
		one := *inc
		one.When = append(append([]Expr(nil), inc.When...), Expr{Pos: from, Src: "(" + expr + ") == " + pyString(rel)})
		out = append(out, p.taskFile(c, from, &one)...)
	}
	return out
}

// includeCandidates returns the expression of a templated include name,
// the directory its candidates are relative to and the candidates: the
// files the name with each {{ }} as a glob * matches, beside the including
// file (a file already being read, the including one, is none). A name
// that matches no file is an error, as Ansible's at run time.
func (p *parser) includeCandidates(file, name string, from pos.Pos) (string, string, []string) {
	if strings.Contains(name, "{%") {
		p.errs.Errorf(from, "include_tasks %q: a file name with {%% %%} is not supported; use {{ }}", name)
		return "", "", nil
	}
	expr := includeExpr(name)
	if err := tmpl.CompileExpr(expr); err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		p.errs.Errorf(from, "include_tasks %q: %s", name, msg)
		return "", "", nil
	}
	dir := filepath.Dir(file)
	glob := templatedInclude.ReplaceAllString(name, "*")
	base, cands := p.globCandidates(dir, glob)
	if len(cands) == 0 {
		p.errs.Errorf(from, "include_tasks %q: no file matches %s", name, filepath.Join(dir, glob))
		return "", "", nil
	}
	return expr, base, cands
}

// globCandidates globs a templated include's name beside the including
// file, then beside the playbook and in its parent, as resolve looks, and
// returns the first base with a match and its YAML files, without those
// being read.
func (p *parser) globCandidates(dir, glob string) (string, []string) {
	bases := []string{dir, p.rootDir, filepath.Dir(p.rootDir)}
	if filepath.IsAbs(glob) {
		bases = []string{""}
	}
	for _, b := range bases {
		matches, _ := filepath.Glob(filepath.Join(b, glob))
		var out []string
		for _, m := range matches {
			if fi, err := os.Stat(m); err != nil || !fi.Mode().IsRegular() || p.reading(m) {
				continue
			}
			if ext := filepath.Ext(m); ext != ".yml" && ext != ".yaml" || !taskFileShaped(m) {
				continue
			}
			out = append(out, m)
		}
		if len(out) > 0 {
			sort.Strings(out)
			return b, out
		}
	}
	return dir, nil
}

func (p *parser) reading(path string) bool {
	for _, s := range p.stack {
		if s == path {
			return true
		}
	}
	return false
}

// includeExpr turns a template ("{{ a }}/main.yml") into the expression
// of its value (” ~ (a) ~ '/main.yml').
func includeExpr(name string) string {
	parts := []string{"''"}
	last := 0
	for _, m := range templatedInclude.FindAllStringSubmatchIndex(name, -1) {
		if m[0] > last {
			parts = append(parts, pyString(name[last:m[0]]))
		}
		parts = append(parts, "("+strings.TrimSpace(name[m[2]:m[3]])+")")
		last = m[1]
	}
	if last < len(name) {
		parts = append(parts, pyString(name[last:]))
	}
	return strings.Join(parts, " ~ ")
}

// pyString quotes s as a Jinja2 string literal.
func pyString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// taskFileShaped reports whether the YAML file at path may be a task
// file, so that a templated include's glob passes over the playbooks,
// inventories and vars files beside it: a list that is not a playbook's
// (no entry has hosts or import_playbook). A file that is no YAML is a
// candidate, whose error is reported.
func taskFileShaped(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return true
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return true
	}
	if len(doc.Content) == 0 {
		return true // empty: no tasks
	}
	n := doc.Content[0]
	if n.Kind != yaml.SequenceNode {
		return n.Kind == yaml.ScalarNode && n.Tag == "!!null" || n.Tag == "!vault"
	}
	for _, e := range n.Content {
		for i := 0; e.Kind == yaml.MappingNode && i+1 < len(e.Content); i += 2 {
			if k := e.Content[i].Value; k == "hosts" || module.Canonical(k) == "import_playbook" {
				return false
			}
		}
	}
	return true
}
