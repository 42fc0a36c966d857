package module

import (
	"context"
	"crypto/sha1"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"lvslab/internal/host"
)

// MySQLUser is community.mysql's mysql_user, over the mysql client on the
// host (mysql.go). name@host (host default localhost) is created (state
// present) with password, or dropped (absent; with host_all, on every host
// the user has). password is the plain password (encrypted: it is the
// mysql_native_password hash, '*' and 40 hex digits); the stored hash is
// compared with SHA1(SHA1(password)) worked out in Go, so the password is
// set again only when it differs (update_password always, the default) or
// never for an existing user (on_create). priv is Ansible's string,
// 'db.*:ALL/other.table:SELECT,INSERT' (GRANT in a list adds WITH GRANT
// OPTION), or a mapping of the same; it is compared with SHOW GRANTS:
// privileges on an object not listed are revoked (unless append_privs),
// those of an object that differ are replaced. host_all applies the
// password and privileges to every host of an existing user. One query
// inspects the user, at most one batch of statements converges it. In
// check mode it says what would change. Passwords are never in a command
// line, a message or a registered value: they reach the client on stdin.
// It registers user, msg ("User added", "User deleted", "Password
// updated", "Privileges updated", "User unchanged", "User doesn't exist")
// and password_changed.
type MySQLUser struct {
	Name           string  `yaml:"name"`
	User           string  `yaml:"user"` // alias of name
	Host           string  `yaml:"host"`
	HostAll        bool    `yaml:"host_all"`
	Password       *string `yaml:"password"`
	Encrypted      bool    `yaml:"encrypted"`
	UpdatePassword string  `yaml:"update_password"`
	Priv           any     `yaml:"priv"`
	AppendPrivs    bool    `yaml:"append_privs"`
	State          string  `yaml:"state"`
	MySQLLogin     `yaml:",inline"`
}

// mysqlUserWant is what a mysql_user task wants: the user, the hash of the
// password and the privileges per object.
type mysqlUserWant struct {
	MySQLUser
	hash  string              // the password's mysql_native_password hash, "" when none
	privs map[string][]string // object (`db`.* or *.*) -> privileges, sorted; nil: priv not given
}

var mysqlHashRE = regexp.MustCompile(`^\*[0-9A-Fa-f]{40}$`)

// mysqlNativeHash is MySQL's PASSWORD(): '*' and SHA1(SHA1(pw)) in upper-case hex.
func mysqlNativeHash(pw string) string {
	a := sha1.Sum([]byte(pw))
	b := sha1.Sum(a[:])
	return fmt.Sprintf("*%X", b[:])
}

// want defaults and checks the arguments, reporting every problem.
func (m *MySQLUser) want() (mysqlUserWant, error) {
	var p problems
	w := mysqlUserWant{MySQLUser: *m}
	w.Name = orDefault(m.Name, m.User)
	w.Host = orDefault(m.Host, "localhost")
	w.State = stateArg(m.State, &p)
	w.UpdatePassword = orDefault(m.UpdatePassword, "always")
	if m.Name != "" && m.User != "" && m.Name != m.User {
		p.add("give name or user, not both")
	}
	if w.Name == "" {
		p.add("name is required")
	}
	if len(w.Name) > 80 || len(w.Host) > 255 {
		p.add("user name or host too long")
	}
	if !slices.Contains([]string{"always", "on_create"}, w.UpdatePassword) {
		p.add("update_password must be always or on_create, not %q", w.UpdatePassword)
	}
	if m.Password != nil {
		switch {
		case m.Encrypted && !mysqlHashRE.MatchString(*m.Password):
			p.add("encrypted was specified however it does not appear to be a valid hash expecting: *SHA1(SHA1(your_password))")
		case m.Encrypted:
			w.hash = strings.ToUpper(*m.Password)
		default:
			w.hash = mysqlNativeHash(*m.Password)
		}
	}
	if m.Priv != nil {
		privs, err := mysqlParsePriv(m.Priv)
		p.addErr(err)
		w.privs = privs
	}
	if w.HostAll && m.Host != "" && m.Host != "%" {
		// Ansible ignores host with host_all; say so rather than surprise.
		p.add("host_all applies to every host of the user: give no host")
	}
	m.MySQLLogin.check(&p)
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *MySQLUser) Validate() error { _, err := m.want(); return err }

// mysqlPrivNames are the privileges GRANT takes (MySQL and MariaDB), and ALL.
var mysqlPrivNames = strings.Fields(`ALL ALTER ALTER_ROUTINE BINLOG_ADMIN BINLOG_MONITOR BINLOG_REPLAY CONNECTION_ADMIN CREATE
CREATE_ROUTINE CREATE_TABLESPACE CREATE_TEMPORARY_TABLES CREATE_USER CREATE_VIEW DELETE DELETE_HISTORY DROP EVENT EXECUTE FEDERATED_ADMIN
FILE GRANT INDEX INSERT LOCK_TABLES PROCESS PROXY READ_ONLY_ADMIN REFERENCES RELOAD REPLICATION_CLIENT REPLICATION_MASTER_ADMIN
REPLICATION_SLAVE REPLICATION_SLAVE_ADMIN SELECT SET_USER SHOW_DATABASES SHOW_VIEW SHUTDOWN SLAVE_MONITOR SUPER TRIGGER UPDATE USAGE`)

// mysqlParsePriv reads priv as Ansible's privileges_unpack: a string
// 'db.table:PRIV,PRIV/db2.*:PRIV' or a mapping of objects to a string or
// list of privileges; *.*:USAGE is added when *.* is not named.
func mysqlParsePriv(v any) (map[string][]string, error) {
	var p problems
	out := map[string][]string{}
	add := func(object string, privs []string) {
		db, table, ok := strings.Cut(object, ".")
		if !ok || db == "" || table == "" {
			p.add("priv: %q is not db.table", object)
			return
		}
		key := mysqlObject(db, table)
		var list []string
		for _, pr := range privs {
			pr = strings.Join(strings.Fields(strings.ToUpper(pr)), " ")
			if pr == "ALL PRIVILEGES" {
				pr = "ALL"
			}
			if !slices.Contains(mysqlPrivNames, strings.ReplaceAll(pr, " ", "_")) {
				p.add("priv: %q is not a privilege (column privileges are not supported)", pr)
				continue
			}
			list = append(list, pr)
		}
		out[key] = mysqlNormPrivs(list)
	}
	switch x := v.(type) {
	case string:
		for _, item := range strings.Split(strings.TrimSpace(x), "/") {
			i := strings.LastIndex(item, ":")
			if i < 0 {
				p.add("priv: %q is not db.table:PRIVILEGES", item)
				continue
			}
			add(strings.TrimSpace(item[:i]), strings.Split(item[i+1:], ","))
		}
	case map[string]any:
		for k, pv := range x {
			switch l := pv.(type) {
			case string:
				add(k, strings.Split(l, ","))
			case []any:
				var s []string
				for _, e := range l {
					s = append(s, fmt.Sprint(e))
				}
				add(k, s)
			default:
				p.add("priv: the privileges of %q must be a string or a list", k)
			}
		}
	default:
		return nil, fmt.Errorf("priv parameter must be str or dict but %T was passed", v)
	}
	if _, ok := out["*.*"]; !ok {
		out["*.*"] = []string{"USAGE"}
	}
	return out, p.err()
}

// mysqlObject returns db.table as SHOW GRANTS prints it: `db`.`table`, * unquoted.
func mysqlObject(db, table string) string {
	q := func(s string) string {
		s = strings.Trim(s, "`")
		if s == "*" {
			return s
		}
		return sqlIdent(s)
	}
	return q(db) + "." + q(table)
}

// mysqlNormPrivs sorts privileges and drops USAGE beside others (it means none).
func mysqlNormPrivs(l []string) []string {
	out := slices.Clone(l)
	sort.Strings(out)
	out = slices.Compact(out)
	if len(out) > 1 {
		out = slices.DeleteFunc(out, func(s string) bool { return s == "USAGE" })
	}
	return out
}

var mysqlGrantRE = regexp.MustCompile("^GRANT (.+) ON (.+) TO ['`\"](.*)['`\"]@['`\"](.*?)['`\"]( IDENTIFIED .*?)?( WITH GRANT OPTION)?$")

// mysqlParseGrants reads SHOW GRANTS lines: host -> object -> privileges.
// Grants of roles (GRANT `r` TO ...) and PROXY grants are left out.
func mysqlParseGrants(lines []string) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for _, l := range lines {
		g := mysqlGrantRE.FindStringSubmatch(strings.TrimSpace(l))
		if g == nil || strings.HasPrefix(g[1], "PROXY") {
			continue
		}
		host := g[4]
		if out[host] == nil {
			out[host] = map[string][]string{}
		}
		var privs []string
		for _, pr := range strings.Split(g[1], ",") {
			pr = strings.TrimSpace(pr)
			if pr == "ALL PRIVILEGES" {
				pr = "ALL"
			}
			privs = append(privs, pr)
		}
		if g[6] != "" {
			privs = append(privs, "GRANT")
		}
		out[host][g[2]] = mysqlNormPrivs(append(out[host][g[2]], privs...))
	}
	return out
}

// mysqlAccount is one host of the user as mysql.user has it.
type mysqlAccount struct {
	host, plugin, auth string
}

// Apply converges the user: one query, then at most one batch of statements.
func (m *MySQLUser) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	user := sqlString(w.Name)
	accounts := "m -e " + host.Quote("SELECT Host, plugin, authentication_string FROM mysql.user WHERE User = "+user) + " 2>&1"
	grants := "m -e " + host.Quote("SELECT CONCAT('SHOW GRANTS FOR ', QUOTE(User), '@', QUOTE(Host), ';') FROM mysql.user WHERE User = "+user) + " | m 2>&1"
	in, err := w.inspect(ctx, h, "mysql_user", probe("accounts", accounts), probe("grants", grants))
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"user": w.Name, "password_changed": false}}
	if !in.ok("accounts") || !in.ok("grants") {
		return failRes(res, "mysql_user: %s", strings.TrimSpace(in.text("accounts")+"\n"+in.text("grants"))), nil
	}
	var accts []mysqlAccount
	for _, l := range outLines(in.text("accounts")) {
		f := strings.SplitN(l, "\t", 3)
		if len(f) == 3 {
			accts = append(accts, mysqlAccount{f[0], f[1], f[2]})
		}
	}
	plan, err := w.plan(in.text("version"), accts, mysqlParseGrants(outLines(in.text("grants"))))
	if err != nil {
		return failRes(res, "%v", err), nil
	}
	res.Msg, res.Data["msg"], res.Changed, res.Data["password_changed"] = plan.msg, plan.msg, len(plan.stmts) > 0, plan.passwordChanged
	if len(plan.stmts) == 0 || env.Check {
		return res, nil
	}
	out, err := w.exec(ctx, h, "mysql_user", strings.Join(plan.stmts, ";\n")+";\n", res)
	if out.Failed {
		out.Msg = strings.ReplaceAll(out.Msg, "\n", " ")
	}
	return out, err
}

// mysqlUserPlan is what a mysql_user task does: its statements (passwords
// inside: for stdin only) and what it says.
type mysqlUserPlan struct {
	stmts           []string
	msg             string
	passwordChanged bool
}

// plan turns what the server has into the statements that converge the user.
func (w mysqlUserWant) plan(version string, accts []mysqlAccount, grants map[string]map[string][]string) (mysqlUserPlan, error) {
	var p mysqlUserPlan
	account := func(h string) string { return sqlString(w.Name) + "@" + sqlString(h) }
	var hosts []string
	for _, a := range accts {
		if w.HostAll || a.host == w.Host {
			hosts = append(hosts, a.host)
		}
	}
	if w.State == "absent" {
		for _, h := range hosts {
			p.stmts = append(p.stmts, "DROP USER "+account(h))
		}
		p.msg = map[bool]string{true: "User deleted", false: "User doesn't exist"}[len(hosts) > 0]
		return p, nil
	}
	if len(hosts) == 0 {
		if w.HostAll {
			return p, fmt.Errorf("host_all parameter cannot be used when adding a user")
		}
		p.stmts = append(p.stmts, "CREATE USER "+account(w.Host)+w.identified(version))
		p.passwordChanged = w.hash != ""
		for _, obj := range slices.Sorted(maps.Keys(w.privs)) {
			if g := w.grant(obj, account(w.Host)); g != "" {
				p.stmts = append(p.stmts, g)
			}
		}
		p.msg = "User added"
		return p, nil
	}
	var msgs []string
	for _, h := range hosts {
		var acct mysqlAccount
		for _, a := range accts {
			if a.host == h {
				acct = a
			}
		}
		if w.hash != "" && w.UpdatePassword == "always" && (!strings.EqualFold(acct.auth, w.hash) || !strings.Contains(acct.plugin, "native")) {
			p.stmts = append(p.stmts, "ALTER USER "+account(h)+w.identified(version))
			p.passwordChanged = true
			msgs = appendNew(msgs, "Password updated")
		}
		if w.privs == nil {
			continue
		}
		have := grants[h]
		for _, obj := range slices.Sorted(maps.Keys(have)) {
			if _, keep := w.privs[obj]; !keep && !w.AppendPrivs && !slices.Equal(have[obj], []string{"USAGE"}) {
				p.stmts = append(p.stmts, w.revoke(obj, have[obj], account(h))...)
				msgs = appendNew(msgs, "Privileges updated")
			}
		}
		for _, obj := range slices.Sorted(maps.Keys(w.privs)) {
			want := w.privs[obj]
			cur := have[obj]
			if cur == nil {
				cur = []string{"USAGE"}
			}
			if w.AppendPrivs {
				want = mysqlNormPrivs(append(slices.Clone(cur), want...))
			}
			if slices.Equal(cur, want) {
				continue
			}
			if !w.AppendPrivs && !slices.Equal(cur, []string{"USAGE"}) {
				p.stmts = append(p.stmts, w.revoke(obj, cur, account(h))...)
			}
			if g := w.grantPrivs(obj, want, account(h)); g != "" {
				p.stmts = append(p.stmts, g)
			}
			msgs = appendNew(msgs, "Privileges updated")
		}
	}
	p.msg = orDefault(strings.Join(msgs, ", "), "User unchanged")
	return p, nil
}

func appendNew(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}

// identified is the IDENTIFIED clause that sets the password, "" without one.
func (w mysqlUserWant) identified(version string) string {
	switch {
	case w.Password == nil:
		return ""
	case w.Encrypted && mariadb(version):
		return " IDENTIFIED BY PASSWORD " + sqlString(w.hash)
	case w.Encrypted:
		return " IDENTIFIED WITH mysql_native_password AS " + sqlString(w.hash)
	case mariadb(version):
		return " IDENTIFIED BY " + sqlString(*w.Password)
	}
	return " IDENTIFIED WITH mysql_native_password BY " + sqlString(*w.Password)
}

// grant is the GRANT of obj's wanted privileges to account, "" for USAGE alone.
func (w mysqlUserWant) grant(obj, account string) string {
	return w.grantPrivs(obj, w.privs[obj], account)
}

func (w mysqlUserWant) grantPrivs(obj string, privs []string, account string) string {
	var names []string
	withGrant := false
	for _, p := range privs {
		switch p {
		case "GRANT":
			withGrant = true
		case "USAGE":
		default:
			if p == "ALL" {
				p = "ALL PRIVILEGES"
			}
			names = append(names, p)
		}
	}
	if len(names) == 0 && !withGrant {
		return ""
	}
	if len(names) == 0 {
		names = []string{"USAGE"}
	}
	s := "GRANT " + strings.Join(names, ", ") + " ON " + obj + " TO " + account
	if withGrant {
		s += " WITH GRANT OPTION"
	}
	return s
}

// revoke takes every privilege on obj (and the grant option) from account.
func (w mysqlUserWant) revoke(obj string, have []string, account string) []string {
	var out []string
	if slices.Contains(have, "GRANT") {
		out = append(out, "REVOKE GRANT OPTION ON "+obj+" FROM "+account)
	}
	if slices.ContainsFunc(have, func(s string) bool { return s != "GRANT" && s != "USAGE" }) {
		out = append(out, "REVOKE ALL PRIVILEGES ON "+obj+" FROM "+account)
	}
	return out
}
