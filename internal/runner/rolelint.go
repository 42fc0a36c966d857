package runner

import (
	"gopkg.in/yaml.v3"

	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// includeVarsFile returns the file (or dir) an include_vars task names, and
// whether it names one without a template.
func includeVarsFile(t *playbook.Task) (path string, dir bool, ok bool) {
	a := t.Args
	switch {
	case a == nil:
		return "", false, false
	case a.Kind == yaml.ScalarNode:
		path = a.Value
	case a.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(a.Content); i += 2 {
			switch a.Content[i].Value {
			case "file", "_raw_params":
				path = a.Content[i+1].Value
			case "dir":
				path, dir = a.Content[i+1].Value, true
			}
		}
	}
	return path, dir, path != "" && !tmpl.Has(path)
}

// includedNames adds to d the variables a static include_vars task sets,
// which exist only once it has run.
func includedNames(t *playbook.Task, d map[string]bool) {
	if t.Module != "include_vars" || t.Args == nil {
		return
	}
	if t.Args.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(t.Args.Content); i += 2 {
			if t.Args.Content[i].Value == "name" {
				d[t.Args.Content[i+1].Value] = true
				return
			}
		}
	}
	f, dir, ok := includeVarsFile(t)
	if !ok && !dir && tmpl.Has(f) {
		templatedVarsNames(t, f, d) // dynvars.go
		return
	}
	if !ok || dir {
		return
	}
	p, err := findVarsFile(t, f)
	if err != nil {
		return
	}
	m, err := playbook.LoadVarsFile(p)
	if err != nil {
		return
	}
	for k := range m {
		d[k] = true
	}
}

// includeVars checks, before any connection, that the file of a static
// include_vars is there and reads as variables.
func (v *validator) includeVars(t *playbook.Task) {
	f, _, ok := includeVarsFile(t)
	if !ok {
		return
	}
	p, err := findVarsFile(t, f)
	if err != nil {
		v.add(t.Pos, err)
		return
	}
	if _, dir, _ := includeVarsFile(t); dir {
		return
	}
	if _, err := playbook.LoadVarsFile(p); err != nil {
		if l, ok := err.(pos.List); ok {
			for _, e := range l {
				v.add(t.Pos, e)
			}
			return
		}
		v.add(t.Pos, err)
	}
}
