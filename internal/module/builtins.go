package module

import "sort"

func sortStrings(s []string) { sort.Strings(s) }

// builtins lists the modules of this package by name.
func builtins() map[string]Factory {
	m := map[string]Factory{}
	for _, set := range []map[string]Factory{coreModules(), labModules()} {
		for k, v := range set {
			m[k] = v
		}
	}
	return m
}
