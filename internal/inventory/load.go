package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/pos"
	"lvslab/internal/vault"
)

// ignoredExts are the file endings Ansible skips in an inventory directory
// (its INVENTORY_IGNORE_EXTS default).
var ignoredExts = []string{"~", ".orig", ".ini", ".cfg", ".retry", ".pyc", ".pyo", ".bak", ".swp", ".rpm", ".md", ".txt", ".rst"}

// Load reads the inventory sources as Ansible reads several -i: each
// path an inventory file, a directory of inventory files (in name order,
// skipping what Ansible skips) or, when no such file exists and it has a
// comma, a list of hosts ("10.0.0.5,10.0.0.6:2222,"). The sources are read
// in order into one inventory: a group or host named again gains members
// and variables, later values replacing earlier ones. Then the group_vars
// and host_vars beside each file source (in its directory, or in the
// directory given) are read, in the same order, each directory a layer of
// higher precedence than the one before: group_vars/<group>, <group>.yml,
// <group>.yaml, <group>.json or every file of the directory
// group_vars/<group>/, and the same under host_vars. Files named .yml,
// .yaml or .json are YAML, .ini files INI; others are YAML when they read
// as a YAML mapping of groups and INI otherwise. Problems in the files are
// reported together as Errors of *PosError.
func Load(paths ...string) (*Inventory, error) {
	if len(paths) == 0 {
		return nil, errors.New("load inventory: no source")
	}
	inv := newInventory()
	var errs pos.List
	var bases []string
	for _, path := range paths {
		st, err := os.Stat(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && strings.Contains(path, ",") {
				parseHostList(inv, path, &errs)
				continue
			}
			return nil, fmt.Errorf("load inventory: %w", err)
		}
		sources, base := []string{path}, filepath.Dir(path)
		if st.IsDir() {
			if sources, err = dirSources(path); err != nil {
				return nil, fmt.Errorf("load inventory: %w", err)
			}
			base = path
		}
		for _, src := range sources {
			data, vaulted, err := vault.ReadFile(src)
			if err != nil {
				return nil, fmt.Errorf("load inventory: %w", err)
			}
			if vaulted {
				protectSource(src, data)
			}
			if bytes.HasPrefix(data, []byte("#!")) {
				if fi, err := os.Stat(src); err == nil && fi.Mode()&0o111 != 0 {
					errs.Errorf(pos.Pos{File: src, Line: 1, Col: 1}, "inventory scripts are not supported: an executable file is not read")
					continue
				}
			}
			parseSource(inv, src, data, &errs)
		}
		bases = append(bases, base)
	}
	for _, h := range inv.hosts {
		if abs, err := filepath.Abs(h.source); err == nil && h.source != "" {
			h.source = abs
		}
	}
	inv.finish(&errs)
	for _, base := range bases {
		inv.readVarsDir(base, &errs)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return inv, nil
}

// ReadPlaybookVars reads the group_vars and host_vars beside a playbook
// (dir is the playbook's directory), as Ansible does for the top playbook:
// a layer above those beside the inventory, group_vars/all below the other
// groups' as there. A directory already read adds nothing. It must be
// called before the inventory is used concurrently.
func (inv *Inventory) ReadPlaybookVars(dir string) error {
	var errs pos.List
	inv.readVarsDir(dir, &errs)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// protectSource hides the variables of a vaulted inventory file in every
// output: they pass to vault.Protect.
func protectSource(src string, data []byte) {
	sub, err := Parse(src, data)
	if err != nil {
		return // the errors are reported by the inventory's own parse
	}
	for _, h := range sub.hosts {
		vault.Protect(h.vars)
	}
	for _, g := range sub.groups {
		vault.Protect(g.vars)
	}
}

// parseHostList reads Ansible's "-i host1,host2:2222," form as its
// host_list plugin does: hosts not yet known become ungrouped hosts,
// without variables but a port; hosts already known are left as they are.
func parseHostList(inv *Inventory, list string, errs *pos.List) {
	ungrouped := inv.groupIdx["ungrouped"]
	col := 1
	for _, part := range strings.Split(list, ",") {
		if name := strings.TrimSpace(part); name != "" {
			at := pos.Pos{File: "host list", Line: 1, Col: col + strings.Index(part, name)}
			names, port, err := expandHost(name)
			switch {
			case err != nil:
				errs.Errorf(at, "%w", err)
			case inv.roomFor(ungrouped, names, at, errs):
				for _, n := range names {
					if inv.HasHost(n) {
						continue
					}
					if h := inv.addHost(ungrouped, n, ""); port != 0 {
						h.vars["ansible_port"] = port
						setPos(&h.varPos, "ansible_port", at)
					}
				}
			}
		}
		col += len(part) + 1
	}
}

// Parse reads one inventory from data. name is the file name for errors
// and inventory_file, and its extension chooses the format as in Load;
// group_vars and host_vars are not read.
func Parse(name string, data []byte) (*Inventory, error) {
	inv := newInventory()
	var errs pos.List
	parseSource(inv, name, data, &errs)
	inv.finish(&errs)
	if len(errs) > 0 {
		return nil, errs
	}
	return inv, nil
}

// parseSource reads one file in the format its name or content says.
func parseSource(inv *Inventory, name string, data []byte, errs *pos.List) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yml", ".yaml", ".json":
		parseYAML(inv, name, data, errs)
	case ".ini":
		parseINI(inv, name, data, errs)
	default:
		if looksLikeYAML(data) || yamlHead(data) {
			parseYAML(inv, name, data, errs)
		} else {
			parseINI(inv, name, data, errs)
		}
	}
}

// looksLikeYAML reports whether data is a YAML mapping whose values are all
// groups (mappings or null), as an inventory without an extension must be
// to be read as YAML.
func looksLikeYAML(data []byte) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || len(root.Content) == 0 {
		return false
	}
	for i := 1; i < len(root.Content); i += 2 {
		v := root.Content[i]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if v.Kind != yaml.MappingNode && !isNull(v) {
			return false
		}
	}
	return true
}

var yamlKeyLine = regexp.MustCompile(`^[^\s\[=#;][^\s=]*:(\s+#.*)?$`)

// yamlHead reports whether the first significant line is YAML's: "---",
// a flow mapping, or a bare "key:". A YAML inventory with a mistake in it
// is then reported as YAML, not as a strange INI file.
func yamlHead(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		return strings.HasPrefix(line, "---") || line[0] == '{' || yamlKeyLine.MatchString(line)
	}
	return false
}

// dirSources lists the inventory files of a directory.
func dirSources(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || ignored(name) {
			continue
		}
		out = append(out, filepath.Join(dir, name))
	}
	sort.Strings(out)
	return out, nil
}

func ignored(name string) bool {
	for _, ext := range ignoredExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// readVarsDir reads group_vars and host_vars under base for every group
// and host of the inventory (the implicit localhost too), as the next
// layer; a directory already read is skipped.
func (inv *Inventory) readVarsDir(base string, errs *pos.List) {
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	if slices.Contains(inv.varsDirs, base) {
		return
	}
	d := len(inv.varsDirs)
	inv.varsDirs = append(inv.varsDirs, base)
	for _, g := range inv.groups {
		setLayer(&g.files, d, readVarsFiles(filepath.Join(base, "group_vars"), g.name, errs))
	}
	hosts := inv.hosts
	if inv.implicit {
		hosts = append(slices.Clip(hosts), inv.localhost)
	}
	for _, h := range hosts {
		setLayer(&h.files, d, readVarsFiles(filepath.Join(base, "host_vars"), h.name, errs))
	}
}

// setLayer sets (*layers)[i], growing the list.
func setLayer(layers *[]varsLayer, i int, l varsLayer) {
	for len(*layers) <= i {
		*layers = append(*layers, varsLayer{})
	}
	(*layers)[i] = l
}

// readVarsFiles merges the variables files of name under dir, recording
// each variable's file.
func readVarsFiles(dir, name string, errs *pos.List) varsLayer {
	var l varsLayer
	for _, f := range findVarsFiles(dir, name) {
		if l.vars == nil {
			l.vars = map[string]any{}
		}
		read := readVarsFile(f, errs)
		mergeVars(l.vars, read)
		for k := range read {
			setPos(&l.pos, k, pos.Pos{File: f})
		}
	}
	return l
}

// findVarsFiles finds an entity's variables files as Ansible's
// find_vars_files does: the first of dir/name, name.yml, name.yaml and
// name.json that exists; a directory gives all its files, recursively, in
// name order.
func findVarsFiles(dir, name string) []string {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return nil
	}
	for _, ext := range []string{"", ".yml", ".yaml", ".json"} {
		p := filepath.Join(dir, name+ext)
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.IsDir() {
			return dirVarsFiles(p)
		}
		return []string{p}
	}
	return nil
}

func dirVarsFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries { // ReadDir sorts by name
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		p, ext := filepath.Join(dir, name), filepath.Ext(name)
		switch {
		case e.IsDir() && ext == "":
			out = append(out, dirVarsFiles(p)...)
		case !e.IsDir() && (ext == "" || ext == ".yml" || ext == ".yaml" || ext == ".json"):
			out = append(out, p)
		}
	}
	return out
}

// readVarsFile reads a YAML mapping of variables.
// A vaulted file is decrypted (vault.ReadFile) and its strings never
// printed.
func readVarsFile(path string, errs *pos.List) (out map[string]any) {
	data, vaulted, err := vault.ReadFile(path)
	if err != nil && vaulted {
		*errs = append(*errs, err) // it names the file and the vault id
		return nil
	}
	if err != nil {
		errs.Errorf(pos.Pos{File: path, Line: 1, Col: 1}, "%w", err)
		return nil
	}
	if vaulted {
		defer func() { vault.Protect(out) }()
	}
	root := readYAML(path, data, errs)
	if root == nil {
		return nil
	}
	p := newYAMLParser(nil, path, errs)
	if root.Kind != yaml.MappingNode {
		errs.Errorf(p.at(root), "a variables file must be a mapping, not %s", pos.Describe(root))
		return nil
	}
	v, ok := p.value(root, 0)
	if !ok {
		return nil
	}
	return v.(map[string]any)
}
