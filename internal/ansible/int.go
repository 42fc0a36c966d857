package ansible

import (
	"math"
	"strconv"
	"strings"
)

// ParseInt reads v as a whole number, as Ansible converts a keyword or
// option of type int: an integer as it is, a float without a fraction, a
// string of digits around blanks. ok is false for anything else.
func ParseInt(v any) (n int, ok bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case uint64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) {
			return int(x), true
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, true
		}
	}
	return 0, false
}
