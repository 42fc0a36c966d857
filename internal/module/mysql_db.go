package module

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"lvslab/internal/host"
)

// MySQLDB is community.mysql's mysql_db, over the mysql client on the host
// (mysql.go): name (one database, a comma-separated string or a list),
// state present (the default: CREATE DATABASE, with encoding and collation
// when given, for each one missing; an existing database is left as it is,
// as Ansible's) or absent (DROP DATABASE for each one there), and the login
// arguments of MySQLLogin. One query tells which databases exist; it
// changes only when one is missing (present) or there (absent). In check
// mode it says so and runs nothing. It registers db (the names joined by
// spaces), db_list and, when it ran any, executed_commands. The states
// dump and import, with target and their options, are in mysql_dump.go.
type MySQLDB struct {
	Name       StrList `yaml:"name"`
	State      string  `yaml:"state"`
	Encoding   string  `yaml:"encoding"`
	Collation  string  `yaml:"collation"`
	MySQLDump  `yaml:",inline"`
	MySQLLogin `yaml:",inline"`
}

var sqlWordRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// mysqlDBWant is what a mysql_db task wants: the names, split at commas.
type mysqlDBWant struct {
	MySQLDB
	names []string
}

// want defaults and checks the arguments, reporting every problem.
func (m *MySQLDB) want() (mysqlDBWant, error) {
	var p problems
	w := mysqlDBWant{MySQLDB: *m, names: splitCommas(m.Name)}
	w.State = orDefault(m.State, "present")
	switch w.State {
	case "present", "absent":
		if slices.Contains(w.names, "all") {
			p.add("name is not allowed to equal 'all' unless state equals import, or dump")
		}
	case "dump", "import":
		w.MySQLDump.check(w.State, w.names, &p)
	default:
		p.add("state must be present, absent, dump or import, not %q", w.State)
	}
	if len(w.names) == 0 {
		p.add("name is required")
	}
	for _, n := range w.names {
		if len(n) > 64 {
			p.add("database name %q is longer than 64 characters", n)
		}
	}
	for k, v := range map[string]string{"encoding": m.Encoding, "collation": m.Collation} {
		if v != "" && !sqlWordRE.MatchString(v) {
			p.add("%s %q is not a character set or collation name", k, v)
		}
	}
	m.MySQLLogin.check(&p)
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *MySQLDB) Validate() error { _, err := m.want(); return err }

// Apply converges the databases: one query, then at most one batch of statements.
func (m *MySQLDB) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	if w.State == "dump" || w.State == "import" {
		return w.dumpOrImport(ctx, h, env)
	}
	in, err := w.inspect(ctx, h, "mysql_db", w.existing())
	if err != nil {
		return Result{}, err
	}
	res := w.result()
	if !in.ok("dbs") {
		return failRes(res, "mysql_db: %s", in.text("dbs")), nil
	}
	stmts := w.plan(outLines(in.text("dbs")))
	if len(stmts) == 0 {
		return res, nil
	}
	res.Changed = true
	res.Data["executed_commands"] = stmts
	if env.Check {
		return res, nil
	}
	return w.exec(ctx, h, "mysql_db", strings.Join(stmts, ";\n")+";\n", res)
}

// existing is the probe "dbs": those of the names that exist.
func (w mysqlDBWant) existing() string {
	lits := make([]string, len(w.names))
	for i, n := range w.names {
		lits[i] = sqlString(n)
	}
	q := "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (" + strings.Join(lits, ", ") + ")"
	return probe("dbs", "m -e "+host.Quote(q)+" 2>&1")
}

// result is what every state registers: db (the names joined by spaces)
// and db_list.
func (w mysqlDBWant) result() Result {
	return Result{Data: map[string]any{"db": strings.Join(w.names, " "), "db_list": w.names}}
}

// plan returns the statements that converge the databases, given those of
// them that exist.
func (w mysqlDBWant) plan(existing []string) []string {
	var stmts []string
	for _, n := range w.names {
		there := slices.Contains(existing, n)
		switch {
		case w.State == "present" && !there:
			s := "CREATE DATABASE " + sqlIdent(n)
			if w.Encoding != "" {
				s += " CHARACTER SET " + sqlString(w.Encoding)
			}
			if w.Collation != "" {
				s += " COLLATE " + sqlString(w.Collation)
			}
			stmts = append(stmts, s)
		case w.State == "absent" && there:
			stmts = append(stmts, "DROP DATABASE "+sqlIdent(n))
		}
	}
	return stmts
}
