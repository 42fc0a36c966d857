package module

import (
	"context"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// MySQLVariables is community.mysql's mysql_variables, over the mysql
// client on the host (mysql.go): variable (a server variable's name) is
// read with SHOW VARIABLES, and with value set by SET GLOBAL when it
// differs. Values compare as the module's typedvalue does: as numbers
// where both read as one (151 and 151.0 are equal), else as strings,
// case and all ("ON" is not "on"); a number is set as a number, anything
// else as a string. Without value it registers the variable's value as
// msg and changes nothing. Only mode global is implemented: persist and
// persist_only are MySQL 8's SET PERSIST (an error says so). As Ansible's,
// check mode skips it. It registers msg ("Variable is already set to
// requested value." or "Variable change succeeded prev_value=151") and
// queries.
type MySQLVariables struct {
	Variable   string  `yaml:"variable"`
	Value      *string `yaml:"value"`
	Mode       string  `yaml:"mode"`
	MySQLLogin `yaml:",inline"`
}

var mysqlVarRE = regexp.MustCompile(`^[0-9A-Za-z_.]+$`)

// Validate reports every problem of the arguments.
func (m *MySQLVariables) Validate() error {
	var p problems
	switch {
	case m.Variable == "":
		p.add("Cannot run without variable to operate with")
	case !mysqlVarRE.MatchString(m.Variable):
		p.add("invalid variable name %q", m.Variable)
	}
	switch orDefault(m.Mode, "global") {
	case "global":
	case "persist", "persist_only":
		p.add("mode %s is MySQL 8's SET PERSIST, which lvslab's mysql_variables does not implement (mode global)", m.Mode)
	default:
		p.add("value of mode must be one of: global, persist, persist_only, got: %s", m.Mode)
	}
	m.MySQLLogin.check(&p)
	return p.err()
}

// Apply reads the variable and sets it when it differs: one query, at most
// one statement.
func (m *MySQLVariables) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	if err := m.Validate(); err != nil {
		return Result{}, err
	}
	if env.Check {
		return Result{Skipped: true, Msg: "remote module (community.mysql.mysql_variables) does not support check mode", Data: map[string]any{}}, nil
	}
	q := "SHOW VARIABLES WHERE Variable_name = " + sqlString(m.Variable)
	in, err := m.inspect(ctx, h, "mysql_variables", probe("var", "m -e "+host.Quote(q)+" 2>&1"))
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{}}
	if !in.ok("var") {
		return failRes(res, "mysql_variables: %s", in.text("var")), nil
	}
	lines := outLines(in.text("var"))
	if len(lines) != 1 {
		return failRes(res, "Variable not available %q", m.Variable), nil
	}
	_, actual, _ := strings.Cut(lines[0], "\t")
	if m.Value == nil {
		res.Msg, res.Data["msg"] = actual, actual
		return res, nil
	}
	if typedEqual(*m.Value, actual) {
		res.Msg = "Variable is already set to requested value."
		res.Data["msg"] = res.Msg
		return res, nil
	}
	literal := sqlString(*m.Value)
	if n, ok := typedNumber(*m.Value); ok {
		literal = n
	}
	stmt := "SET GLOBAL " + sqlIdent(m.Variable) + " = " + literal
	res.Changed = true
	res.Data["queries"] = []string{stmt}
	out, err := m.exec(ctx, h, "mysql_variables", stmt+";\n", res)
	if err != nil || out.Failed {
		out.Changed = false
		return out, err
	}
	prev := actual
	if n, ok := typedNumber(actual); ok {
		prev = n
	}
	out.Msg = "Variable change succeeded prev_value=" + prev
	out.Data["msg"] = out.Msg
	return out, nil
}

// typedNumber reads s as the module's typedvalue does, an int (of any
// size: max_binlog_cache_size is 2^64-4096) or else a float (Python's
// int() and float(), spaces around allowed), and returns it as Python
// prints it.
func typedNumber(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if i, ok := new(big.Int).SetString(t, 10); ok {
		return i.String(), true
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	out := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(out, ".e") {
		out += ".0"
	}
	return out, true
}

// typedEqual compares two values as the module does: as numbers when both
// are (exactly), else as strings.
func typedEqual(a, b string) bool {
	x, aNum := typedNumber(a)
	y, bNum := typedNumber(b)
	if aNum != bNum {
		return false
	}
	if !aNum {
		return a == b
	}
	fx, _, _ := big.ParseFloat(x, 10, 256, big.ToNearestEven)
	fy, _, _ := big.ParseFloat(y, 10, 256, big.ToNearestEven)
	return fx.Cmp(fy) == 0
}
