// Package ansible is what Ansible defines that several packages of lvslab
// read: the spellings of its booleans, for inventory variables (host, lvs)
// and play and task keywords (playbook) alike. It imports nothing of
// lvslab.
package ansible

import "strings"

// ParseBool reads v as Ansible's boolean() does: true for true, yes, on, y,
// t and 1, false for false, no, off, n, f and 0, in any case and around
// blanks; a bool as it is; the numbers 1 and 0. An empty string is false.
// ok is false for anything else.
func ParseBool(v any) (b, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int:
		return x == 1, x == 0 || x == 1
	case int64:
		return x == 1, x == 0 || x == 1
	case uint64:
		return x == 1, x == 0 || x == 1
	case float64:
		return x == 1, x == 0 || x == 1
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "on", "y", "t", "1":
			return true, true
		case "false", "no", "off", "n", "f", "0", "":
			return false, true
		}
	}
	return false, false
}

// Truthy is v as ParseBool reads it, and false where it is no boolean.
func Truthy(v any) bool {
	b, _ := ParseBool(v)
	return b
}
