package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"lvslab/internal/playbook"
	"lvslab/internal/pos"
	"lvslab/internal/tmpl"
)

// termsVar holds a with_<lookup> loop's rendered terms while its lookup runs.
const termsVar = "__lvslab_loop_terms"

// loopItems renders a task's loop into a list: loop's list as it is, a
// with_<lookup>'s terms through that lookup, as Ansible (a list of terms
// is the lookup's terms, anything else its one term).
func loopItems(t *playbook.Task, vars map[string]any) ([]any, error) {
	return renderLoop(t.File, t.Loop, t.LoopWith, vars)
}

func renderLoop(file string, n *yaml.Node, with string, vars map[string]any) ([]any, error) {
	at := pos.At(file, n)
	var v any
	if n.Kind == yaml.ScalarNode {
		var err error
		if v, err = tmpl.ValueAt(at, n.Value, vars); err != nil {
			return nil, err
		}
	} else {
		rendered, err := tmpl.RenderNode(file, n, vars)
		if err != nil {
			return nil, err
		}
		if err := rendered.Decode(&v); err != nil {
			return nil, pos.Errorf(at, "loop: %w", err)
		}
	}
	if with == "" {
		switch l := v.(type) {
		case []any:
			return l, nil
		case nil:
			return nil, nil
		}
		return nil, pos.Errorf(at, "loop must be a list, got %T", v)
	}
	terms, ok := v.([]any)
	if !ok {
		terms = []any{v}
	}
	args := make([]string, len(terms))
	for i := range terms {
		args[i] = fmt.Sprintf(", %s[%d]", termsVar, i)
	}
	scope := merge(vars)
	scope[termsVar] = terms
	out, err := tmpl.Eval(at.String(), fmt.Sprintf("query(%q%s)", with, strings.Join(args, "")), scope)
	if err != nil {
		return nil, pos.Errorf(at, "with_%s: %w", with, err)
	}
	items, ok := out.([]any)
	if !ok {
		return nil, pos.Errorf(at, "with_%s: the lookup gave %T, not a list", with, out)
	}
	return items, nil
}

// loopSpec is what a loop's items see besides the item: from a task's
// loop_control, or an include_tasks line's.
type loopSpec struct {
	loopVar, indexVar, label string
	extended                 bool
}

func taskLoopSpec(t *playbook.Task) loopSpec {
	return loopSpec{loopVar: loopVarOf(t.LoopVar), indexVar: t.IndexVar, label: t.LoopLabel, extended: t.LoopExtended}
}

func loopVarOf(name string) string {
	if name == "" {
		return "item"
	}
	return name
}

// setLoopVars sets item i's variables in iv: the loop variable,
// ansible_loop_var, index_var and ansible_index_var, and with extended
// ansible_loop as Ansible's (index, index0, revindex, revindex0, first,
// last, length, previtem, nextitem, allitems).
func setLoopVars(iv map[string]any, ls loopSpec, i int, items []any) {
	iv[ls.loopVar] = items[i]
	iv["ansible_loop_var"] = ls.loopVar
	iv["ansible_loop_index"] = i
	if ls.indexVar != "" {
		iv[ls.indexVar] = i
		iv["ansible_index_var"] = ls.indexVar
	}
	if ls.extended {
		n := len(items)
		loop := map[string]any{"allitems": items, "index": i + 1, "index0": i, "revindex": n - i,
			"revindex0": n - i - 1, "first": i == 0, "last": i == n-1, "length": n}
		if i > 0 {
			loop["previtem"] = items[i-1]
		}
		if i < n-1 {
			loop["nextitem"] = items[i+1]
		}
		iv["ansible_loop"] = loop
	}
}

// itemLabel is what the report shows of an item: loop_control.label
// rendered, else the item.
func itemLabel(ls loopSpec, iv map[string]any, item any) any {
	if ls.label == "" {
		return item
	}
	out, err := tmpl.Render("loop_control.label", ls.label, iv)
	if err != nil {
		return item
	}
	return out
}

// loopPause waits loop_control.pause between two items.
func loopPause(ctx context.Context, t *playbook.Task, i int) error {
	if i == 0 || t.LoopPause <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(t.LoopPause * float64(time.Second))):
		return nil
	}
}

// hostExt is what hostState holds for loops, delegation and batches.
type hostExt struct {
	loopVars map[string]any // the item of the include loop under way (include.go)
	ended    bool           // end_play or end_host: out of the rest of the play (meta.go)
}

// loopNames adds the variables t's loops make (index_var, an include's
// loop variable) to d, the names that exist only at run time.
func loopNames(d map[string]bool, t *playbook.Task) {
	for _, n := range []string{t.IndexVar, "ansible_loop_var", "ansible_index_var"} {
		if n != "" {
			d[n] = true
		}
	}
}
