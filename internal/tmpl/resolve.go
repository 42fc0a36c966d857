package tmpl

import "sort"

// Resolve renders, in place, variables whose values refer to other variables
// (rip: "{{ .ansible_host }}"), a few passes deep so that chains resolve.
// owner names the variables' host in error messages.
func Resolve(owner string, vars map[string]any) error {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for pass := 0; pass < 4; pass++ {
		pending := false
		for _, k := range keys {
			s, ok := vars[k].(string)
			if !ok || !Has(s) {
				continue
			}
			v, err := Value("variable "+k+" of "+owner, s, vars)
			if err != nil {
				return err
			}
			vars[k] = v
			if vs, ok := v.(string); ok && Has(vs) {
				pending = true
			}
		}
		if !pending {
			return nil
		}
	}
	return nil
}
