package tmpl

import (
	"fmt"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

type compiled struct {
	prog  *vm.Program
	names []string // identifiers the expression reads from its environment
}

var exprCache sync.Map // source -> *compiled

// CompileExpr checks an expression's syntax.
func CompileExpr(src string) error {
	_, err := compile(src)
	return err
}

func compile(src string) (*compiled, error) {
	if c, ok := exprCache.Load(src); ok {
		return c.(*compiled), nil
	}
	tree, err := expr.Compile(src)
	if err != nil {
		return nil, err
	}
	c := &compiled{prog: tree, names: identifiers(tree.Node())}
	exprCache.Store(src, c)
	return c, nil
}

// identifiers lists the free variables of an expression (not the ones bound
// by let or inside predicates).
func identifiers(root ast.Node) []string {
	v := &identVisitor{bound: map[string]bool{}}
	ast.Walk(&root, v) // first pass: let-bound names
	v.collect = true
	ast.Walk(&root, v)
	return v.names
}

type identVisitor struct {
	collect bool
	names   []string
	bound   map[string]bool
}

func (v *identVisitor) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.VariableDeclaratorNode:
		v.bound[x.Name] = true
	case *ast.IdentifierNode:
		if v.collect && !v.bound[x.Value] && x.Value != "$env" {
			v.names = append(v.names, x.Value)
		}
	}
}

// Eval evaluates src over vars; a variable it reads that vars lacks is an
// *UndefinedError. `"name" in $env` tests whether a variable is defined.
func Eval(name, src string, vars map[string]any) (any, error) {
	c, err := compile(src)
	if err != nil {
		return nil, fmt.Errorf("%s: expression %q: %w", name, src, err)
	}
	for _, id := range c.names {
		if _, ok := vars[id]; !ok && !isBuiltin(id) {
			return nil, &UndefinedError{Name: id, Template: name}
		}
	}
	out, err := expr.Run(c.prog, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: expression %q: %w", name, src, err)
	}
	return out, nil
}

// Names returns the free variables an expression reads.
func Names(src string) ([]string, error) {
	c, err := compile(src)
	if err != nil {
		return nil, err
	}
	return c.names, nil
}

// EvalBool evaluates src and requires a boolean result.
func EvalBool(name, src string, vars map[string]any) (bool, error) {
	out, err := Eval(name, src, vars)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%s: expression %q is %T, not a boolean", name, src, out)
	}
	return b, nil
}

func isBuiltin(id string) bool {
	switch id {
	case "nil", "true", "false":
		return true
	}
	return false
}
