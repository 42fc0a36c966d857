package jinja

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gexec "github.com/nikolalohinski/gonja/v2/exec"
)

// loopLookups are the lookups behind Ansible's with_<name> loops, which
// lookup() and query() know too: each is Ansible's plugin of that name.
var loopLookups = map[string]lookupFunc{
	"items":         lookupItems,
	"list":          lookupList,
	"flattened":     lookupFlattened,
	"dict":          lookupDict,
	"subelements":   lookupSubelements,
	"fileglob":      lookupFileglob,
	"together":      lookupTogether,
	"sequence":      lookupSequence,
	"nested":        lookupNested,
	"cartesian":     lookupNested,
	"indexed_items": lookupIndexedItems,
	"random_choice": lookupRandomChoice,
}

// IsLookup reports whether name is a lookup plugin lvslab has (a with_name
// loop's name).
func IsLookup(name string) bool {
	_, ok := lookups[name]
	if !ok {
		_, ok = loopLookups[name]
	}
	return ok
}

// flattenOne is LookupBase._flatten: lists among xs are spliced in, one level.
func flattenOne(xs []any) []any {
	out := []any{}
	for _, x := range xs {
		if l, ok := x.([]any); ok {
			out = append(out, l...)
		} else {
			out = append(out, x)
		}
	}
	return out
}

func lookupItems(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	return flattenOne(terms), nil
}

func lookupList(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	return append([]any{}, terms...), nil
}

// lookupFlattened flattens every level of lists (None stays, as in Ansible).
func lookupFlattened(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	out := []any{}
	var walk func([]any)
	walk = func(xs []any) {
		for _, x := range xs {
			if l, ok := x.([]any); ok {
				walk(l)
			} else {
				out = append(out, x)
			}
		}
	}
	walk(terms)
	return out, nil
}

// lookupDict turns each mapping into its {key, value} pairs, in order.
func lookupDict(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		d, ok := t.(*gexec.Dict)
		if !ok {
			return nil, errors.New("with_dict expects a dict")
		}
		keys, vals := dictItems(d)
		for i := range keys {
			p := gexec.NewDict()
			dictSet(p, "key", keys[i])
			dictSet(p, "value", vals[i])
			out = append(out, p)
		}
	}
	return out, nil
}

// lookupSubelements pairs each element of a list (or a mapping's values)
// with each item of its list under the (dotted) subkey.
func lookupSubelements(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	const expects = "subelements lookup expects a list of two or three items, "
	if len(terms) < 2 || len(terms) > 3 {
		return nil, errors.New(expects)
	}
	key, ok := terms[1].(string)
	var elems []any
	switch x := terms[0].(type) {
	case []any:
		elems = x
	case *gexec.Dict:
		if s, _ := dictGet(x, "skipped"); s != nil && s != false {
			return []any{}, nil
		}
		_, elems = dictItems(x)
	default:
		ok = false
	}
	if !ok {
		return nil, errors.New(expects + "first a dict or a list, second a string pointing to the subkey")
	}
	skipMissing := false
	if len(terms) == 3 {
		flags, isDict := terms[2].(*gexec.Dict)
		if !isDict {
			return nil, errors.New(expects + "the optional third item must be a dict with flags ('skip_missing',)")
		}
		keys, vals := dictItems(flags)
		for i, k := range keys {
			if k != "skip_missing" {
				return nil, errors.New(expects + "the optional third item must be a dict with flags ('skip_missing',)")
			}
			skipMissing = truthy(vals[i]) || vals[i] == "yes" || vals[i] == "true"
		}
	}
	path := strings.Split(key, ".")
	out := []any{}
	for _, e := range elems {
		d, ok := e.(*gexec.Dict)
		if !ok {
			return nil, fmt.Errorf("subelements lookup expects a dictionary, got '%s'", str(e))
		}
		if s, _ := dictGet(d, "skipped"); s != nil && s != false {
			continue
		}
		sub := d
		var list []any
		missing := false
		for i, k := range path {
			v, found := dictGet(sub, k)
			if !found {
				if skipMissing {
					missing = true
					break
				}
				return nil, fmt.Errorf("could not find '%s' key in iterated item '%s'", k, str(sub))
			}
			if i < len(path)-1 {
				next, isDict := v.(*gexec.Dict)
				if !isDict {
					if skipMissing {
						missing = true
						break
					}
					return nil, fmt.Errorf("the key %s should point to a dictionary, got '%s'", k, str(v))
				}
				sub = next
				continue
			}
			l, isList := v.([]any)
			if !isList {
				return nil, fmt.Errorf("the key %s should point to a list, got '%s'", k, str(v))
			}
			list = l
		}
		if missing {
			continue
		}
		// As Ansible, the parent is given without the list it is paired from.
		parent := withoutPath(d, path)
		for _, x := range list {
			out = append(out, []any{parent, x})
		}
	}
	return out, nil
}

// withoutPath returns a copy of d without the key at the end of path.
func withoutPath(d *gexec.Dict, path []string) *gexec.Dict {
	c := gexec.NewDict()
	for _, p := range d.Pairs {
		k := plain(p.Key)
		v := plain(p.Value)
		if k == path[0] {
			if len(path) == 1 {
				continue
			}
			if sub, ok := v.(*gexec.Dict); ok {
				v = withoutPath(sub, path[1:])
			}
		}
		c.Pairs = append(c.Pairs, &gexec.Pair{Key: gexec.AsValue(k), Value: gexec.AsValue(v)})
	}
	return c
}

// lookupFileglob returns the files matching each pattern: a bare pattern in
// playbook_dir's files/ or else playbook_dir, one with a directory where
// that directory is found as the file lookup finds files.
func lookupFileglob(e *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		term := expandUser(str(t))
		base := filepath.Base(term)
		var dirs []string
		if base != term {
			dir := filepath.Dir(term)
			if filepath.IsAbs(dir) {
				dirs = []string{dir}
			} else if p, err := findFile(e, "files", dir); err == nil {
				dirs = []string{p}
			}
		} else {
			pd := playbookDir(e)
			dirs = []string{filepath.Join(pd, "files"), pd}
		}
		for _, d := range dirs {
			matches, _ := filepath.Glob(filepath.Join(d, base))
			sort.Strings(matches)
			var files []any
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
					files = append(files, m)
				}
			}
			if len(files) > 0 {
				out = append(out, files...)
				break
			}
		}
	}
	return out, nil
}

func playbookDir(e *gexec.Evaluator) string {
	if e != nil {
		if dir, ok := contextVar(e, "playbook_dir"); ok && dir != nil {
			return str(dir)
		}
	}
	wd, _ := os.Getwd()
	return wd
}

// lookupTogether transposes lists, None filling the shorter ones.
func lookupTogether(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	if len(terms) == 0 {
		return nil, errors.New("with_together requires at least one element in each list")
	}
	lists := make([][]any, len(terms))
	n := 0
	for i, t := range terms {
		lists[i] = listify(t)
		n = max(n, len(lists[i]))
	}
	out := make([]any, 0, n)
	for i := range n {
		row := make([]any, len(lists))
		for j, l := range lists {
			if i < len(l) {
				row[j] = l[i]
			}
		}
		out = append(out, flattenOne(row))
	}
	return out, nil
}

// listify is listify_lookup_plugin_terms on a rendered value: a list as it
// is, anything else a list of itself.
func listify(x any) []any {
	if l, ok := x.([]any); ok {
		return l
	}
	return []any{x}
}

// lookupNested is the cartesian product of the lists, each combination
// flattened one level.
func lookupNested(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	if len(terms) == 0 {
		return nil, errors.New("with_nested requires at least one element in the nested list")
	}
	result := listify(terms[0])
	for _, t := range terms[1:] {
		var next []any
		for _, x := range result {
			for _, y := range listify(t) {
				next = append(next, flattenOne([]any{x, y}))
			}
		}
		result = next
	}
	out := make([]any, 0, len(result))
	for _, x := range result {
		out = append(out, flattenOne([]any{x}))
	}
	return out, nil
}

func lookupIndexedItems(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	items := flattenOne(terms)
	out := make([]any, len(items))
	for i, x := range items {
		out[i] = []any{i, x}
	}
	return out, nil
}

func lookupRandomChoice(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	if len(terms) == 0 {
		return []any{}, nil
	}
	return []any{terms[rand.IntN(len(terms))]}, nil
}

// sequenceShortcut is [start-]end[/stride][:format], as Ansible's.
var sequenceShortcut = regexp.MustCompile(`^(` + // Group 0
	`(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)` + // Group 1: Start
	`-)?` +
	`(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)` + // Group 2: End
	`(/(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))?` + // Group 3,4: Stride
	`(:(.+))?$`) // Group 5,6: Format

// seqInt is Python's int(s, 0).
func seqInt(name, s string) (int, error) {
	t := strings.ReplaceAll(s, "_", "")
	if len(t) > 1 && t[0] == '0' && t[1] >= '0' && t[1] <= '9' {
		return 0, fmt.Errorf("can't parse %s=%s as integer", name, s)
	}
	n, err := strconv.ParseInt(t, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("can't parse %s=%s as integer", name, s)
	}
	return int(n), nil
}

// lookupSequence is Ansible's sequence: "[start-]end[/stride][:format]" or
// "start= end= count= stride= format=", formatted numbers as strings.
func lookupSequence(_ *gexec.Evaluator, terms []any, _ args) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		term := str(t)
		start, stride, format := 1, 1, "%d"
		var end, count *int
		if m := sequenceShortcut.FindStringSubmatch(term); m != nil {
			var err error
			if m[2] != "" {
				if start, err = seqInt("start", m[2]); err != nil {
					return nil, err
				}
			}
			e, err := seqInt("end", m[3])
			if err != nil {
				return nil, err
			}
			end = &e
			if m[5] != "" {
				if stride, err = seqInt("stride", m[5]); err != nil {
					return nil, err
				}
			}
			if m[7] != "" {
				format = m[7]
			}
		} else {
			var unknown []string
			for _, f := range strings.Fields(term) {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					return nil, fmt.Errorf("unknown error parsing with_sequence arguments: %s", pyQuote(term))
				}
				switch k {
				case "start", "end", "count", "stride":
					n, err := seqInt(k, v)
					if err != nil {
						return nil, err
					}
					switch k {
					case "start":
						start = n
					case "end":
						end = &n
					case "count":
						count = &n
					case "stride":
						stride = n
					}
				case "format":
					format = v
				default:
					unknown = append(unknown, pyQuote(k))
				}
			}
			if len(unknown) > 0 {
				return nil, fmt.Errorf("unrecognized arguments to with_sequence: [%s]", strings.Join(unknown, ", "))
			}
		}
		switch {
		case count == nil && end == nil:
			return nil, errors.New("must specify count or end in with_sequence")
		case count != nil && end != nil:
			return nil, errors.New("can't specify both count and end in with_sequence")
		case count != nil:
			e := start + *count*stride - 1
			if *count == 0 {
				start, e, stride = 0, 0, 0
			}
			end = &e
		}
		if stride > 0 && *end < start {
			return nil, errors.New("to count backwards make stride negative")
		}
		if stride < 0 && *end > start {
			return nil, errors.New("to count forward don't make stride negative")
		}
		if strings.Count(format, "%") != 1 {
			return nil, fmt.Errorf("bad formatting string: %s", format)
		}
		if stride == 0 {
			continue
		}
		for i := start; (stride > 0 && i <= *end) || (stride < 0 && i >= *end); i += stride {
			out = append(out, fmt.Sprintf(format, i))
		}
	}
	return out, nil
}
