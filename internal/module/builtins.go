package module

import "sort"

func sortStrings(s []string) { sort.Strings(s) }

// builtins lists the modules of this package by name. Each module file adds
// its entry here.
func builtins() map[string]Factory {
	return map[string]Factory{}
}
