package module

import (
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

const mariadbVersion = "10.11.6-MariaDB-0+deb12u1"

// mysqlFake answers the mysql modules' inspect command with these probes
// (a version probe in front).
func mysqlFake(p ...fakeProbe) *hosttest.Fake {
	return probeFake(probeOutput(append([]fakeProbe{{"version", mariadbVersion, 0}}, p...)...))
}

// noSecret fails when a command line (or its golden file) carries secret.
func noSecret(t *testing.T, f *hosttest.Fake, secret string) {
	t.Helper()
	for _, c := range f.Calls {
		if strings.Contains(c, secret) {
			t.Errorf("a command line carries the secret: %s", c)
		}
	}
}

func TestMySQLDB(t *testing.T) {
	for _, check := range []bool{false, true} {
		env := familyEnv("Debian")
		env.Check = check
		f := mysqlFake(fakeProbe{"dbs", "wordpress", 0})
		res := apply(t, newModule(t, "mysql_db", "{name: wordpress, login_password: s3cret}"), f, env)
		if res.Changed || res.Failed || len(f.Calls) != 1 || !strings.HasPrefix(f.Stdins[0], "ps3cret\n") {
			t.Errorf("converged, check=%v: %+v %q %v", check, res, f.Calls, f.Stdins)
		}
		noSecret(t, f, "s3cret")
		f = mysqlFake(fakeProbe{"dbs", "", 0})
		res = apply(t, newModule(t, "mysql_db", "{name: 'wordpress, shop', encoding: utf8mb4, collation: utf8mb4_general_ci, login_user: admin, login_password: s3cret}"), f, env)
		want := []string{"CREATE DATABASE `wordpress` CHARACTER SET 'utf8mb4' COLLATE 'utf8mb4_general_ci'", "CREATE DATABASE `shop` CHARACTER SET 'utf8mb4' COLLATE 'utf8mb4_general_ci'"}
		if !res.Changed || res.Failed || strings.Join(res.Data["executed_commands"].([]string), "|") != strings.Join(want, "|") || len(f.Calls) != map[bool]int{false: 2, true: 1}[check] {
			t.Errorf("create, check=%v: %+v %q", check, res, f.Calls)
		}
		noSecret(t, f, "s3cret")
		if !check {
			if f.Stdins[1] != "ps3cret\n"+strings.Join(want, ";\n")+";\n" {
				t.Errorf("statements: %q", f.Stdins[1])
			}
			goldenShell(t, "core/mysql_db_create", f.Calls, false)
		}
		f = mysqlFake(fakeProbe{"dbs", "shop", 0})
		res = apply(t, newModule(t, "mysql_db", "{name: [shop, gone], state: absent}"), f, env)
		if !res.Changed || res.Data["executed_commands"].([]string)[0] != "DROP DATABASE `shop`" || len(res.Data["executed_commands"].([]string)) != 1 {
			t.Errorf("drop, check=%v: %+v", check, res)
		}
		if !check && f.Stdins[1] != "\nDROP DATABASE `shop`;\n" {
			t.Errorf("drop statement: %q", f.Stdins[1])
		}
	}
	f := probeFake("nomysql=1\n")
	if _, err := newModule(t, "mysql_db", "name: x").Apply(t.Context(), f, familyEnv("Debian")); err == nil || !strings.Contains(err.Error(), "no mysql client") {
		t.Errorf("no client: %v", err)
	}
	f = probeFake(probeOutput(fakeProbe{"version", "ERROR 1045 (28000): Access denied for user 'root'@'localhost'", 1}))
	if _, err := newModule(t, "mysql_db", "name: x").Apply(t.Context(), f, familyEnv("Debian")); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("no login: %v", err)
	}
	f = mysqlFake(fakeProbe{"dbs", "", 0}).On(`\nm$`, host.Result{ExitCode: 1, Stderr: "ERROR 1044 (42000): Access denied to database 'x'"})
	if res := apply(t, newModule(t, "mysql_db", "name: x"), f, familyEnv("Debian")); !res.Failed || !strings.Contains(res.Msg, "ERROR 1044") {
		t.Errorf("create fails: %+v", res)
	}
	_, err := newModuleErr("mysql_db", "{state: dump, encoding: 'utf8; DROP', login_port: 70000, login_password: \"a\\nb\"}")
	for _, want := range []string{"with state=dump target is required", "name is required", `encoding "utf8; DROP"`, "login_port must be", "login_password must be one line"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	if _, err := newModuleErr("mysql_db", "{name: all}"); err == nil || !strings.Contains(err.Error(), "not allowed to equal 'all'") {
		t.Errorf("all: %v", err)
	}
}

func TestMySQLNativeHash(t *testing.T) {
	// SELECT PASSWORD('secret') on MariaDB 10.11
	if got := mysqlNativeHash("secret"); got != "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7" {
		t.Errorf("hash %s", got)
	}
}

func TestMySQLParsePriv(t *testing.T) {
	got, err := mysqlParsePriv("wordpress.*:ALL/shop.orders:select, insert,GRANT")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got["`wordpress`.*"], ",") != "ALL" || strings.Join(got["`shop`.`orders`"], ",") != "GRANT,INSERT,SELECT" || strings.Join(got["*.*"], ",") != "USAGE" || len(got) != 3 {
		t.Errorf("parsed %v", got)
	}
	got, err = mysqlParsePriv(map[string]any{"*.*": "REPLICATION SLAVE", "app.*": []any{"SELECT", "UPDATE"}})
	if err != nil || strings.Join(got["*.*"], ",") != "REPLICATION SLAVE" || strings.Join(got["`app`.*"], ",") != "SELECT,UPDATE" {
		t.Errorf("mapping: %v %v", got, err)
	}
	if _, err := mysqlParsePriv("nodb:ALL/x.*:FLY/y.*"); err == nil || !strings.Contains(err.Error(), `"nodb" is not db.table`) || !strings.Contains(err.Error(), `"FLY" is not a privilege`) || !strings.Contains(err.Error(), `"y.*" is not db.table:PRIVILEGES`) {
		t.Errorf("bad privs: %v", err)
	}
	grants := mysqlParseGrants([]string{
		"GRANT USAGE ON *.* TO `wp`@`localhost` IDENTIFIED BY PASSWORD '*14E65567ABDB5135D0CFD9A70B3032C179A49EE7'",
		"GRANT ALL PRIVILEGES ON `wordpress`.* TO `wp`@`localhost` WITH GRANT OPTION",
		"GRANT SELECT, INSERT ON `shop`.`orders` TO 'wp'@'%'",
		"GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
	})
	if strings.Join(grants["localhost"]["`wordpress`.*"], ",") != "ALL,GRANT" || strings.Join(grants["localhost"]["*.*"], ",") != "USAGE" || strings.Join(grants["%"]["`shop`.`orders`"], ",") != "INSERT,SELECT" || len(grants["localhost"]) != 2 {
		t.Errorf("grants %v", grants)
	}
}

func TestMySQLUser(t *testing.T) {
	hash := mysqlNativeHash("s3cret")
	account := func(host, plugin, auth string) string { return host + "\t" + plugin + "\t" + auth }
	grants := "GRANT USAGE ON *.* TO `wp`@`localhost` IDENTIFIED BY PASSWORD '" + hash + "'\nGRANT ALL PRIVILEGES ON `wordpress`.* TO `wp`@`localhost`"
	args := "{name: wp, password: s3cret, priv: 'wordpress.*:ALL', login_password: r00t}"
	cases := []struct {
		name, args, accounts, grants, msg string
		stmts                             []string
	}{
		{"converged", args, account("localhost", "mysql_native_password", hash), grants, "User unchanged", nil},
		{"add", args, "", "", "User added", []string{"CREATE USER 'wp'@'localhost' IDENTIFIED BY 's3cret'", "GRANT ALL PRIVILEGES ON `wordpress`.* TO 'wp'@'localhost'"}},
		{"password", args, account("localhost", "mysql_native_password", mysqlNativeHash("old")), grants, "Password updated", []string{"ALTER USER 'wp'@'localhost' IDENTIFIED BY 's3cret'"}},
		{"on_create", "{name: wp, password: s3cret, update_password: on_create}", account("localhost", "mysql_native_password", mysqlNativeHash("old")), grants, "User unchanged", nil},
		{"privs", "{name: wp, password: s3cret, priv: 'shop.*:SELECT,INSERT/*.*:REPLICATION CLIENT'}", account("localhost", "mysql_native_password", hash), grants, "Privileges updated",
			[]string{"REVOKE ALL PRIVILEGES ON `wordpress`.* FROM 'wp'@'localhost'", "GRANT REPLICATION CLIENT ON *.* TO 'wp'@'localhost'", "GRANT INSERT, SELECT ON `shop`.* TO 'wp'@'localhost'"}},
		{"append", "{name: wp, priv: 'wordpress.*:GRANT', append_privs: true}", account("localhost", "mysql_native_password", hash), grants, "Privileges updated",
			[]string{"GRANT ALL PRIVILEGES ON `wordpress`.* TO 'wp'@'localhost' WITH GRANT OPTION"}},
		{"absent", "{name: wp, state: absent}", account("localhost", "mysql_native_password", hash) + "\n" + account("%", "", ""), grants, "User deleted", []string{"DROP USER 'wp'@'localhost'"}},
		{"absent_all", "{name: wp, state: absent, host_all: true}", account("localhost", "mysql_native_password", hash) + "\n" + account("%", "", ""), grants, "User deleted", []string{"DROP USER 'wp'@'localhost'", "DROP USER 'wp'@'%'"}},
		{"absent_gone", "{name: wp, state: absent}", "", "", "User doesn't exist", nil},
		{"encrypted", "{name: wp, host: '%', password: '" + hash + "', encrypted: true}", "", "", "User added", []string{"CREATE USER 'wp'@'%' IDENTIFIED BY PASSWORD '" + hash + "'"}},
	}
	for _, c := range cases {
		for _, check := range []bool{false, true} {
			env := familyEnv("Debian")
			env.Check = check
			f := mysqlFake(fakeProbe{"accounts", c.accounts, 0}, fakeProbe{"grants", c.grants, 0})
			res := apply(t, newModule(t, "mysql_user", c.args), f, env)
			calls := 1
			if len(c.stmts) > 0 && !check {
				calls = 2
			}
			if res.Failed || res.Changed != (len(c.stmts) > 0) || res.Msg != c.msg || len(f.Calls) != calls {
				t.Errorf("%s, check=%v: %+v %q", c.name, check, res, f.Calls)
				continue
			}
			noSecret(t, f, "s3cret")
			noSecret(t, f, "r00t")
			for _, v := range res.Data {
				if s, ok := v.(string); ok && strings.Contains(s, "s3cret") {
					t.Errorf("%s: registered the password: %v", c.name, res.Data)
				}
			}
			if calls == 2 {
				login := map[bool]string{true: "pr00t\n", false: "\n"}[strings.Contains(c.args, "r00t")]
				if f.Stdins[1] != login+strings.Join(c.stmts, ";\n")+";\n" {
					t.Errorf("%s: statements %q", c.name, f.Stdins[1])
				}
				if c.name == "add" {
					goldenShell(t, "core/mysql_user_add", f.Calls, false)
				}
			}
		}
	}
	// MySQL (not MariaDB) gets the native plugin named.
	f := probeFake(probeOutput(fakeProbe{"version", "8.0.36", 0}, fakeProbe{"accounts", "", 0}, fakeProbe{"grants", "", 0}))
	if res := apply(t, newModule(t, "mysql_user", "{name: wp, password: s3cret}"), f, familyEnv("Debian")); !res.Changed || !strings.Contains(f.Stdins[1], "IDENTIFIED WITH mysql_native_password BY 's3cret'") {
		t.Errorf("mysql 8: %+v %v", res, f.Stdins)
	}
	f = mysqlFake(fakeProbe{"accounts", "", 0}, fakeProbe{"grants", "", 0})
	if res := apply(t, newModule(t, "mysql_user", "{name: wp, host_all: true, password: x}"), f, familyEnv("Debian")); !res.Failed || !strings.Contains(res.Msg, "host_all parameter cannot be used when adding a user") {
		t.Errorf("host_all add: %+v", res)
	}
	_, err := newModuleErr("mysql_user", "{user: a, name: b, password: nohash, encrypted: true, update_password: sometimes, priv: 'x:ALL', state: gone, host_all: true, host: h}")
	for _, want := range []string{"give name or user", "does not appear to be a valid hash", "update_password must be", `"x" is not db.table`, "state must be present or absent", "host_all applies"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	if _, err := newModuleErr("mysql_user", "{password: pw}"); err == nil || !strings.Contains(err.Error(), "name is required") || strings.Contains(err.Error(), "pw") {
		t.Errorf("no name: %v", err)
	}
}

// TestMySQLDBDumpImport: import creates a missing database, then reads the
// target (decompressed by its extension); a missing target fails before
// anything is created; dump fails on a missing database and writes beside
// the target, replacing it only after mysqldump and gzip succeeded. The
// scripts run for real in TestE2ERolesSuite, beside Ansible's.
func TestMySQLDBDumpImport(t *testing.T) {
	env := familyEnv("Debian")
	f := mysqlFake(fakeProbe{"target", "", 0}, fakeProbe{"dbs", "", 0})
	res := apply(t, newModule(t, "mysql_db", "{name: app, state: import, target: /srv/s.sql, encoding: utf8mb4, login_password: s3cret}"), f, env)
	if !res.Changed || res.Failed || len(f.Calls) != 2 || !strings.Contains(f.Calls[1], "m -e 'CREATE DATABASE `app` CHARACTER SET '\"'\"'utf8mb4'\"'\"''") ||
		!strings.Contains(f.Calls[1], "m --default-character-set=utf8mb4 --one-database app < /srv/s.sql") {
		t.Errorf("import: %+v\n%s", res, strings.Join(f.Calls, "\n---\n"))
	}
	if got := res.Data["executed_commands"].([]string); len(got) != 1 || got[0] != "mysql --default-character-set=utf8mb4 --one-database app < /srv/s.sql" {
		t.Errorf("executed_commands: %q", got)
	}
	noSecret(t, f, "s3cret")

	f = mysqlFake(fakeProbe{"target", "", 0}, fakeProbe{"dbs", "app", 0}, fakeProbe{"compressor", "/usr/bin/gzip", 0})
	res = apply(t, newModule(t, "mysql_db", "{name: app, state: import, target: /srv/s.sql.gz, force: true}"), f, env)
	if !res.Changed || len(f.Calls) != 2 || strings.Contains(f.Calls[1], "CREATE") || !strings.Contains(f.Calls[1], "{ gzip -dc -- /srv/s.sql.gz; echo $? > \"$r\"; } | m -f --one-database app") {
		t.Errorf("import of a gzip file into an existing database: %+v\n%s", res, strings.Join(f.Calls, "\n---\n"))
	}

	f = mysqlFake(fakeProbe{"target", "", 1}, fakeProbe{"dbs", "", 0})
	res = apply(t, newModule(t, "mysql_db", "{name: app, state: import, target: /srv/none.sql}"), f, env)
	if !res.Failed || res.Msg != "target /srv/none.sql does not exist on the host" || len(f.Calls) != 1 {
		t.Errorf("missing target: %+v %d calls", res, len(f.Calls))
	}

	check := familyEnv("Debian")
	check.Check = true
	f = mysqlFake(fakeProbe{"target", "", 1}, fakeProbe{"dbs", "", 0})
	if res := apply(t, newModule(t, "mysql_db", "{name: app, state: import, target: /srv/s.sql}"), f, check); !res.Changed || res.Failed || len(f.Calls) != 1 {
		t.Errorf("check mode: %+v", res)
	}

	f = mysqlFake(fakeProbe{"target", "", 1}, fakeProbe{"dbs", "app", 0}, fakeProbe{"mysqldump", "/usr/bin/mysqldump", 0})
	if res := apply(t, newModule(t, "mysql_db", "{name: [app, gone], state: dump, target: /srv/b.sql}"), f, env); !res.Failed || res.Msg != "Cannot dump database(s) 'gone' - not found" {
		t.Errorf("dump of a missing database: %+v", res)
	}
	f = mysqlFake(fakeProbe{"target", "", 1}, fakeProbe{"dbs", "app", 0}, fakeProbe{"compressor", "/usr/bin/gzip", 0}, fakeProbe{"mysqldump", "/usr/bin/mysqldump", 0})
	res = apply(t, newModule(t, "mysql_db", "{name: app, state: dump, target: /srv/b.sql.gz, login_user: admin, single_transaction: true, ignore_tables: [app.cache]}"), f, env)
	want := "{ \"$d\" --user=admin app --single-transaction=true --quick --ignore-table=app.cache; echo $? > \"$n.rc\"; } | gzip > \"$n\""
	if !res.Changed || res.Failed || len(f.Calls) != 2 || !strings.Contains(f.Calls[1], want) || !strings.Contains(f.Calls[1], "mv -f -- \"$n\" /srv/b.sql.gz") {
		t.Errorf("dump: %+v\n%s", res, strings.Join(f.Calls, "\n---\n"))
	}
	f = mysqlFake(fakeProbe{"target", "", 1}, fakeProbe{"dbs", "app", 0}, fakeProbe{"mysqldump", "/usr/bin/mysqldump", 0}).On(`mv -f`, host.Result{ExitCode: 2, Stderr: "mysqldump: Got error: 1044"})
	if res := apply(t, newModule(t, "mysql_db", "{name: app, state: dump, target: /srv/b.sql}"), f, env); !res.Failed || res.Msg != "mysqldump: Got error: 1044" {
		t.Errorf("failed dump: %+v", res)
	}

	_, err := newModuleErr("mysql_db", "{name: [a, b], state: import, master_data: 3, ignore_tables: ['']}")
	for _, want := range []string{"with state=import target is required", "Multiple databases are not supported with state=import", "master_data must be", "Name of ignored table cannot be empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
	if _, err := newModuleErr("mysql_db", "{name: all, state: dump, target: /srv/all.sql}"); err != nil {
		t.Errorf("dump of all: %v", err)
	}
}

// TestMySQLVariables: values compare as community.mysql's typedvalue does
// (numbers as numbers, of any size; other values as strings, case and all),
// a number is set as a number, a string as a string literal.
func TestMySQLVariables(t *testing.T) {
	env := familyEnv("Debian")
	for _, c := range []struct {
		args, actual string
		changed      bool
		stmt, msg    string
	}{
		{"{variable: max_connections, value: 200}", "200", false, "", "Variable is already set to requested value."},
		{"{variable: max_connections, value: '200'}", "151", true, "SET GLOBAL `max_connections` = 200", "Variable change succeeded prev_value=151"},
		{"{variable: long_query_time, value: 2}", "2.000000", false, "", "Variable is already set to requested value."},
		{"{variable: slow_query_log, value: 'OFF'}", "ON", true, "SET GLOBAL `slow_query_log` = 'OFF'", "Variable change succeeded prev_value=ON"},
		{"{variable: slow_query_log, value: 'on'}", "ON", true, "SET GLOBAL `slow_query_log` = 'on'", "Variable change succeeded prev_value=ON"},
		{"{variable: max_binlog_cache_size, value: 18446744073709547520}", "18446744073709547520", false, "", "Variable is already set to requested value."},
		{"{variable: max_binlog_cache_size, value: 18446744073709547519}", "18446744073709547520", true, "SET GLOBAL `max_binlog_cache_size` = 18446744073709547519", "Variable change succeeded prev_value=18446744073709547520"},
		{"{variable: max_connections}", "151", false, "", "151"},
	} {
		name, _, _ := strings.Cut(strings.TrimPrefix(c.args, "{variable: "), ",")
		name = strings.TrimSuffix(name, "}")
		f := mysqlFake(fakeProbe{"var", name + "\t" + c.actual, 0})
		res := apply(t, newModule(t, "mysql_variables", c.args+""), f, env)
		if res.Changed != c.changed || res.Failed || res.Msg != c.msg || len(f.Calls) != map[bool]int{false: 1, true: 2}[c.changed] {
			t.Errorf("%s over %s: %+v (%d calls)", c.args, c.actual, res, len(f.Calls))
			continue
		}
		if c.changed && (f.Stdins[1] != "\n"+c.stmt+";\n" || res.Data["queries"].([]string)[0] != c.stmt) {
			t.Errorf("%s: statement %q, queries %v", c.args, f.Stdins[1], res.Data["queries"])
		}
	}
	f := mysqlFake(fakeProbe{"var", "", 0})
	if res := apply(t, newModule(t, "mysql_variables", "{variable: no_such_thing, value: 1}"), f, env); !res.Failed || res.Msg != `Variable not available "no_such_thing"` {
		t.Errorf("missing variable: %+v", res)
	}
	f = mysqlFake(fakeProbe{"var", "version\t10.11.6", 0}).On(`\nm$`, host.Result{ExitCode: 1, Stderr: "ERROR 1238 (HY000) at line 1: Variable 'version' is a read only variable"})
	if res := apply(t, newModule(t, "mysql_variables", "{variable: version, value: '11'}"), f, env); !res.Failed || res.Changed || !strings.Contains(res.Msg, "read only variable") {
		t.Errorf("read-only variable: %+v", res)
	}
	check := familyEnv("Debian")
	check.Check = true
	if res := apply(t, newModule(t, "mysql_variables", "{variable: max_connections, value: 1}"), hosttest.New(), check); !res.Skipped {
		t.Errorf("check mode: %+v", res)
	}
	_, err := newModuleErr("mysql_variables", "{variable: 'a; DROP', mode: persist}")
	for _, want := range []string{`invalid variable name "a; DROP"`, "mode persist is MySQL 8's SET PERSIST"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v lacks %q", err, want)
		}
	}
}
