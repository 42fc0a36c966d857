package jinja

import (
	"fmt"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// dataFilters are Ansible's filters on lists and dicts.
func dataFilters() map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		"combine":              wrap("combine", filter{[]string{"*", "**"}, combine}),
		"dict2items":           wrap("dict2items", filter{[]string{"key_name?", "value_name?"}, dict2items}),
		"items2dict":           wrap("items2dict", filter{[]string{"key_name?", "value_name?"}, items2dict}),
		"flatten":              wrap("flatten", filter{[]string{"levels?", "skip_nulls?"}, flattenFilter}),
		"unique":               wrap("unique", filter{[]string{"case_sensitive?", "attribute?"}, uniqueFilter}),
		"union":                wrap("union", filter{[]string{"other"}, setOp("union")}),
		"intersect":            wrap("intersect", filter{[]string{"other"}, setOp("intersect")}),
		"difference":           wrap("difference", filter{[]string{"other"}, setOp("difference")}),
		"symmetric_difference": wrap("symmetric_difference", filter{[]string{"other"}, setOp("symmetric_difference")}),
		"zip":                  wrap("zip", filter{[]string{"*"}, zipFilter(false)}),
		"zip_longest":          wrap("zip_longest", filter{[]string{"*", "**"}, zipFilter(true)}),
		"subelements":          wrap("subelements", filter{[]string{"subelements", "skip_missing?"}, subelements}),
	}
}

// mergeHash is Ansible's utils.vars.merge_hash: y's keys win over x's.
func mergeHash(x, y *exec.Dict, recursive bool, listMerge string) *exec.Dict {
	res := exec.NewDict()
	xk, xv := dictItems(x)
	for i := range xk {
		dictSet(res, xk[i], xv[i])
	}
	yk, yv := dictItems(y)
	for i, k := range yk {
		old, exists := dictGet(res, k)
		nv := yv[i]
		if !exists {
			dictSet(res, k, nv)
			continue
		}
		od, oIsDict := old.(*exec.Dict)
		nd, nIsDict := nv.(*exec.Dict)
		if oIsDict && nIsDict {
			if recursive {
				dictSet(res, k, mergeHash(od, nd, recursive, listMerge))
			} else {
				dictSet(res, k, nv)
			}
			continue
		}
		ol, oIsList := old.([]any)
		nl, nIsList := nv.([]any)
		if oIsList && nIsList {
			switch listMerge {
			case "replace":
				dictSet(res, k, nl)
			case "append":
				dictSet(res, k, concat(ol, nl))
			case "prepend":
				dictSet(res, k, concat(nl, ol))
			case "append_rp":
				dictSet(res, k, concat(without(ol, nl), nl))
			case "prepend_rp":
				dictSet(res, k, concat(nl, without(ol, nl)))
			}
			continue
		}
		dictSet(res, k, nv)
	}
	return res
}

func concat(a, b []any) []any { return append(append([]any{}, a...), b...) }

// without returns the items of a not in b.
func without(a, b []any) []any {
	res := []any{}
	for _, x := range a {
		if !contains(b, x) {
			res = append(res, x)
		}
	}
	return res
}

func contains(list []any, x any) bool {
	for _, e := range list {
		if pyEqual(e, x) {
			return true
		}
	}
	return false
}

// combine is Ansible's combine filter.
func combine(in any, a args) (any, error) {
	listMerge := a.str("list_merge", "replace")
	switch listMerge {
	case "replace", "keep", "append", "prepend", "append_rp", "prepend_rp":
	default:
		return nil, fmt.Errorf("'list_merge' is invalid: %s", listMerge)
	}
	for k := range a.vals {
		if k != "recursive" && k != "list_merge" {
			return nil, fmt.Errorf("'recursive' and 'list_merge' are the only valid keyword arguments")
		}
	}
	terms := flatten(append([]any{in}, a.rest...), 1, false)
	dicts := []*exec.Dict{}
	for _, t := range terms {
		d, ok := t.(*exec.Dict)
		if !ok {
			return nil, fmt.Errorf("failed to combine variables, expected dicts but got a '%s'", typeName(t))
		}
		dicts = append(dicts, d)
	}
	if len(dicts) == 0 {
		return exec.NewDict(), nil
	}
	res := dicts[0]
	for _, d := range dicts[1:] {
		res = mergeHash(res, d, a.bool("recursive", false), listMerge)
	}
	return res, nil
}

// dict2items is Ansible's dict2items filter.
func dict2items(in any, a args) (any, error) {
	d, ok := in.(*exec.Dict)
	if !ok {
		return nil, fmt.Errorf("dict2items requires a dictionary, got %s instead.", typeName(in))
	}
	keys, vals := dictItems(d)
	res := []any{}
	for i := range keys {
		item := exec.NewDict()
		dictSet(item, a.str("key_name", "key"), keys[i])
		dictSet(item, a.str("value_name", "value"), vals[i])
		res = append(res, item)
	}
	return res, nil
}

// items2dict is Ansible's items2dict filter.
func items2dict(in any, a args) (any, error) {
	list, ok := in.([]any)
	if !ok {
		return nil, fmt.Errorf("items2dict requires a list, got %s instead.", typeName(in))
	}
	kn, vn := a.str("key_name", "key"), a.str("value_name", "value")
	res := exec.NewDict()
	for _, e := range list {
		d, ok := e.(*exec.Dict)
		if !ok {
			return nil, fmt.Errorf("items2dict requires a list of dictionaries, got %s instead.", typeName(e))
		}
		k, okK := dictGet(d, kn)
		v, okV := dictGet(d, vn)
		if !okK || !okV {
			return nil, fmt.Errorf("items2dict requires each dictionary in the list to contain the keys '%s' and '%s', got %s instead.", kn, vn, repr(d))
		}
		dictSet(res, k, v)
	}
	return res, nil
}

// flatten is Ansible's flatten: levels < 0 means all levels.
func flatten(list []any, levels int, skipNulls bool) []any {
	res := []any{}
	for _, e := range list {
		if s, ok := e.(string); skipNulls && (e == nil || ok && (s == "None" || s == "null")) {
			continue
		}
		if sub, ok := e.([]any); ok && levels != 0 {
			res = append(res, flatten(sub, levels-1, skipNulls)...)
			continue
		}
		res = append(res, e)
	}
	return res
}

func flattenFilter(in any, a args) (any, error) {
	list, ok := in.([]any)
	if !ok {
		return nil, fmt.Errorf("flatten expects a list, got %s", typeName(in))
	}
	levels := -1
	if a.get("levels", nil) != nil {
		n, err := a.int("levels", -1)
		if err != nil {
			return nil, err
		}
		levels = n
	}
	return flatten(list, levels, a.bool("skip_nulls", true)), nil
}

// unique keeps the first of equal items; strings compare ignoring case
// unless caseSensitive (Jinja2's unique; Ansible passes case_sensitive
// false when it is not given).
func unique(list []any, caseSensitive bool, attr string) []any {
	res := []any{}
	seen := []any{}
	for _, e := range list {
		k := e
		if attr != "" {
			k, _ = lookupPath(e, attr)
		}
		if s, ok := k.(string); ok && !caseSensitive {
			k = strings.ToLower(s)
		}
		if !contains(seen, k) {
			seen = append(seen, k)
			res = append(res, e)
		}
	}
	return res
}

func uniqueFilter(in any, a args) (any, error) {
	list, err := iterate(in)
	if err != nil {
		return nil, err
	}
	return unique(list, a.bool("case_sensitive", false), a.str("attribute", "")), nil
}

// setOp is one of Ansible's set-theory filters.
func setOp(op string) func(in any, a args) (any, error) {
	return func(in any, a args) (any, error) {
		x, err := iterate(in)
		if err != nil {
			return nil, err
		}
		y, err := iterate(a.get("other", nil))
		if err != nil {
			return nil, err
		}
		inter := unique(only(x, y, true), true, "")
		switch op {
		case "union":
			return unique(concat(x, y), true, ""), nil
		case "intersect":
			return inter, nil
		case "difference":
			return unique(only(x, y, false), true, ""), nil
		}
		return without(unique(concat(x, y), true, ""), inter), nil
	}
}

// only returns the items of a that are (or are not) in b.
func only(a, b []any, in bool) []any {
	res := []any{}
	for _, e := range a {
		if contains(b, e) == in {
			res = append(res, e)
		}
	}
	return res
}

// zipFilter is Python's zip, or itertools.zip_longest.
func zipFilter(longest bool) func(in any, a args) (any, error) {
	return func(in any, a args) (any, error) {
		for k := range a.vals {
			if k != "fillvalue" {
				return nil, fmt.Errorf("got an unexpected keyword argument '%s'", k)
			}
		}
		lists := [][]any{}
		for _, x := range append([]any{in}, a.rest...) {
			l, err := iterate(x)
			if err != nil {
				return nil, err
			}
			lists = append(lists, l)
		}
		n := len(lists[0])
		for _, l := range lists {
			if longest && len(l) > n || !longest && len(l) < n {
				n = len(l)
			}
		}
		res := []any{}
		for i := 0; i < n; i++ {
			row := []any{}
			for _, l := range lists {
				if i < len(l) {
					row = append(row, l[i])
				} else {
					row = append(row, a.get("fillvalue", nil))
				}
			}
			res = append(res, row)
		}
		return res, nil
	}
}

// lookupPath follows a dotted path of keys (and list indexes) into x.
func lookupPath(x any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		switch c := x.(type) {
		case *exec.Dict:
			v, ok := dictGet(c, part)
			if !ok {
				return nil, false
			}
			x = v
		case []any:
			n, err := parseInt(part, 10)
			if err != nil || n < 0 || n >= len(c) {
				return nil, false
			}
			x = c[n]
		default:
			return nil, false
		}
	}
	return x, true
}

// subelements is Ansible's subelements filter.
func subelements(in any, a args) (any, error) {
	var list []any
	switch x := in.(type) {
	case []any:
		list = x
	case *exec.Dict:
		_, list = dictItems(x)
	default:
		return nil, fmt.Errorf("obj must be a list of dicts or a nested dict")
	}
	path, ok := a.get("subelements", nil).(string)
	if !ok {
		return nil, fmt.Errorf("subelements must be a list or a string")
	}
	skip := a.bool("skip_missing", false)
	res := []any{}
	for _, e := range list {
		d, ok := e.(*exec.Dict)
		if !ok {
			return nil, fmt.Errorf("obj must be a list of dicts or a nested dict")
		}
		var cur any = d
		missing := false
		for _, key := range strings.Split(path, ".") {
			cd, ok := cur.(*exec.Dict)
			v, found := dictGet(cd, key)
			if !ok || !found {
				if skip {
					missing = true
					break
				}
				return nil, fmt.Errorf("could not find %s key in iterated item %s", pyQuote(key), repr(cur))
			}
			cur = v
		}
		if missing {
			continue
		}
		subs, ok := cur.([]any)
		if !ok {
			return nil, fmt.Errorf("the key %s should point to a list, got %s", path, repr(cur))
		}
		for _, s := range subs {
			res = append(res, []any{e, s})
		}
	}
	return res, nil
}
