package jinja

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// seqFilters are Jinja2's map, select, reject, selectattr and rejectattr,
// redone so that a missing attribute is undefined (not None) and a
// failing filter or test fails the whole call, as in Jinja2; and
// Ansible's random and shuffle.
func seqFilters() map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		"map":        filterMap,
		"select":     selectFilter(false, false),
		"reject":     selectFilter(true, false),
		"selectattr": selectFilter(false, true),
		"rejectattr": selectFilter(true, true),
		"random":     wrap("random", filter{[]string{"start?", "step?", "seed?"}, randomFilter}),
		"shuffle":    wrap("shuffle", filter{[]string{"seed?"}, shuffleFilter}),
	}
}

// attrOf is Jinja2's attribute getter: a dotted path, or an index; an
// undefined value when it is missing.
func attrOf(item any, attr any) *exec.Value {
	var v any
	var ok bool
	if n, isInt := attr.(int); isInt {
		v, ok = lookupPath(item, fmt.Sprint(n))
	} else {
		v, ok = lookupPath(item, str(attr))
	}
	if !ok {
		return fail("Unable to evaluate %s: attribute '%s' not found", repr(item), str(attr))
	}
	return exec.AsValue(v)
}

func filterMap(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	items, err := iterate(plain(in))
	if err != nil {
		return fail("map: %v", err)
	}
	res := []any{}
	if len(params.Args) == 0 {
		a, err := bind(params, "attribute", "default?")
		if err != nil {
			return fail("map: %v", err)
		}
		for _, it := range items {
			v := attrOf(it, a.get("attribute", nil))
			if v.IsError() && a.has("default") {
				v = exec.AsValue(a.get("default", nil))
			}
			if v.IsError() {
				return v
			}
			res = append(res, plain(v))
		}
		return exec.AsValue(res)
	}
	name := params.Args[0].String()
	rest := &exec.VarArgs{Args: params.Args[1:], KwArgs: params.KwArgs}
	for _, it := range items {
		v := e.ExecuteFilterByName(name, exec.AsValue(it), rest)
		if v.IsError() {
			return v
		}
		res = append(res, plain(v))
	}
	return exec.AsValue(res)
}

// selectFilter is select (reject: negated; attr: selectattr).
func selectFilter(reject, attr bool) exec.FilterFunction {
	return func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		items, err := iterate(plain(in))
		if err != nil {
			return fail("select: %v", err)
		}
		pos := params.Args
		var attribute any
		if attr {
			if len(pos) == 0 {
				return fail("selectattr: missing the attribute")
			}
			attribute, pos = plain(pos[0]), pos[1:]
		}
		test := ""
		if len(pos) > 0 {
			test, pos = pos[0].String(), pos[1:]
		}
		rest := &exec.VarArgs{Args: pos, KwArgs: params.KwArgs}
		res := []any{}
		for _, it := range items {
			v := exec.AsValue(it)
			if attr {
				v = attrOf(it, attribute)
			}
			var ok bool
			if test == "" {
				if v.IsError() {
					return v
				}
				ok = truthy(plain(v))
			} else {
				r := e.ExecuteTestByName(test, v, rest)
				if r.IsError() {
					return r
				}
				ok = r.IsTrue()
			}
			if ok != reject {
				res = append(res, it)
			}
		}
		return exec.AsValue(res)
	}
}

// rng returns a generator: seeded from the seed's string (so that the
// same seed gives the same sequence within lvslab; it is not Python's
// Mersenne Twister sequence), or from the runtime's entropy.
func rng(a args) *rand.Rand {
	if seed := a.get("seed", nil); seed != nil {
		h := fnv.New64a()
		h.Write([]byte(str(seed)))
		s := h.Sum64()
		return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
	}
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}

// randomFilter is Ansible's random: a number in range(start, end, step)
// or an item of a sequence.
func randomFilter(in any, a args) (any, error) {
	r := rng(a)
	if end, ok := in.(int); ok {
		start, err := a.int("start", 0)
		if err != nil {
			return nil, err
		}
		step, err := a.int("step", 1)
		if err != nil {
			return nil, err
		}
		if step <= 0 || end <= start {
			return nil, fmt.Errorf("empty range for randrange() (%d, %d, %d)", start, end, step)
		}
		n := (end - start + step - 1) / step
		return start + step*r.IntN(n), nil
	}
	if a.has("start") || a.has("step") {
		return nil, fmt.Errorf("start and step can only be used with integer values")
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("cannot choose from an empty sequence")
	}
	return items[r.IntN(len(items))], nil
}

// shuffleFilter is Ansible's shuffle.
func shuffleFilter(in any, a args) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	res := append([]any{}, items...)
	rng(a).Shuffle(len(res), func(i, j int) { res[i], res[j] = res[j], res[i] })
	return res, nil
}
