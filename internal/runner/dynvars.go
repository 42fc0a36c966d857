package runner

import (
	"path/filepath"
	"regexp"

	"lvslab/internal/playbook"
)

// templatePart matches one {{ }} of a file name.
var templatePart = regexp.MustCompile(`\{\{.*?\}\}`)

// templatedVarsNames adds to d the variables that an include_vars of a
// templated file (`file: "{{ ansible_os_family }}.yml"`, or
// `"{{ lookup('first_found', params) }}"` as roles pick their OS's vars)
// may set: those of every file the name can render to, the name with each
// {{ }} as a glob *, in the directories include_vars looks in (the role's
// vars/ and the role, the task's vars/ and directory); a name that is one
// template stands for every YAML or JSON file there. Only a host's facts
// say which file it is, so lint counts each of them as maybe defined.
func templatedVarsNames(t *playbook.Task, name string, d map[string]bool) {
	globs := []string{templatePart.ReplaceAllString(name, "*")}
	if globs[0] == "*" {
		globs = []string{"*.yml", "*.yaml", "*.json"}
	}
	var dirs []string
	if t.Role != nil {
		dirs = append(dirs, filepath.Join(t.Role.Path, "vars"), t.Role.Path)
	}
	dirs = append(dirs, filepath.Join(t.Dir, "vars"), t.Dir)
	for _, dir := range dirs {
		for _, g := range globs {
			if !filepath.IsAbs(g) {
				g = filepath.Join(dir, g)
			}
			matches, _ := filepath.Glob(g)
			for _, p := range matches {
				m, err := playbook.LoadVarsFile(p)
				if err != nil {
					continue
				}
				for k := range m {
					d[k] = true
				}
			}
		}
	}
}
