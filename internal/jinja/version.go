package jinja

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
)

// looseRE splits a version as distutils' LooseVersion does.
var looseRE = regexp.MustCompile(`(\d+|[a-zA-Z]+|\.)`)

// looseParts is LooseVersion's components: ints and strings.
func looseParts(v string) []any {
	parts := []any{}
	for _, p := range looseRE.FindAllString(v, -1) {
		if p == "." {
			continue
		}
		if n, err := strconv.Atoi(p); err == nil {
			parts = append(parts, n)
		} else {
			parts = append(parts, p)
		}
	}
	return parts
}

// compareLoose compares two LooseVersions (Python 3: an int and a string
// do not compare).
func compareLoose(a, b string) (int, error) {
	x, y := looseParts(a), looseParts(b)
	for i := 0; i < len(x) && i < len(y); i++ {
		xi, xInt := x[i].(int)
		yi, yInt := y[i].(int)
		switch {
		case xInt && yInt:
			if xi != yi {
				return cmp.Compare(xi, yi), nil
			}
		case !xInt && !yInt:
			if xs, ys := x[i].(string), y[i].(string); xs != ys {
				if xs < ys {
					return -1, nil
				}
				return 1, nil
			}
		default:
			return 0, fmt.Errorf("'<' not supported between instances of 'int' and 'str'")
		}
	}
	return cmp.Compare(len(x), len(y)), nil
}

// strictRE is distutils' StrictVersion.
var strictRE = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$`)

// compareStrict compares two StrictVersions.
func compareStrict(a, b string) (int, error) {
	parse := func(v string) ([5]int, error) {
		m := strictRE.FindStringSubmatch(v)
		if m == nil {
			return [5]int{}, fmt.Errorf("invalid version number '%s'", v)
		}
		var r [5]int
		for i, g := range []string{m[1], m[2], m[3]} {
			r[i], _ = strconv.Atoi(g)
		}
		r[3] = 'z' // no prerelease sorts after any
		if m[4] != "" {
			r[3] = int(m[4][0])
			r[4], _ = strconv.Atoi(m[5])
		}
		return r, nil
	}
	x, err := parse(a)
	if err != nil {
		return 0, err
	}
	y, err := parse(b)
	if err != nil {
		return 0, err
	}
	for i := range x {
		if x[i] != y[i] {
			return cmp.Compare(x[i], y[i]), nil
		}
	}
	return 0, nil
}

// versionOps are Ansible's operator names for version_compare.
var versionOps = map[string]func(int) bool{
	"==": func(c int) bool { return c == 0 }, "=": func(c int) bool { return c == 0 }, "eq": func(c int) bool { return c == 0 },
	"<": func(c int) bool { return c < 0 }, "lt": func(c int) bool { return c < 0 },
	"<=": func(c int) bool { return c <= 0 }, "le": func(c int) bool { return c <= 0 },
	">": func(c int) bool { return c > 0 }, "gt": func(c int) bool { return c > 0 },
	">=": func(c int) bool { return c >= 0 }, "ge": func(c int) bool { return c >= 0 },
	"!=": func(c int) bool { return c != 0 }, "<>": func(c int) bool { return c != 0 }, "ne": func(c int) bool { return c != 0 },
}

// versionCompare is Ansible's version test (loose by default, strict
// with strict=true or version_type='strict').
func versionCompare(value any, a args) (bool, error) {
	op := a.str("operator", "eq")
	check, ok := versionOps[op]
	if !ok {
		return false, fmt.Errorf("Invalid operator type (%s)", op)
	}
	if a.get("version", nil) == nil || str(a.get("version", nil)) == "" {
		return false, fmt.Errorf("Version parameter to compare against cannot be empty")
	}
	strict := a.bool("strict", false)
	switch vt := a.str("version_type", ""); vt {
	case "", "loose":
	case "strict":
		strict = true
	default:
		return false, fmt.Errorf("Invalid version type (%s). Must be one of loose, strict", vt)
	}
	cmp := compareLoose
	if strict {
		cmp = compareStrict
	}
	c, err := cmp(str(value), str(a.get("version", nil)))
	if err != nil {
		return false, fmt.Errorf("Version comparison failed: %v", err)
	}
	return check(c), nil
}
