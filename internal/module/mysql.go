package module

import (
	"context"
	"fmt"
	"strings"

	"lvslab/internal/host"
)

// The mysql_db and mysql_user modules talk to the server through the
// mysql (or mariadb) command-line client on the host: no Python, no driver.
// Secrets never go on a command line (where ps shows them) nor into the
// commands a run records: the login password is the first line of the
// command's stdin, read by the shell into MYSQL_PWD, and statements that
// carry a password follow it on stdin.

// MySQLLogin are the connection arguments of the community.mysql modules.
// Not given, the client's own defaults apply: the Unix user (root, as
// Debian's MariaDB lets in over its socket), the socket, ~/.my.cnf.
type MySQLLogin struct {
	LoginUser       string  `yaml:"login_user"`
	LoginPassword   *string `yaml:"login_password"`
	LoginHost       string  `yaml:"login_host"`
	LoginPort       int     `yaml:"login_port"`
	LoginUnixSocket string  `yaml:"login_unix_socket"`
	ConfigFile      string  `yaml:"config_file"`
	ConnectTimeout  *int    `yaml:"connect_timeout"`
}

// check reports the login arguments' problems into p.
func (l MySQLLogin) check(p *problems) {
	if l.LoginPort < 0 || l.LoginPort > 65535 {
		p.add("login_port must be a valid unix port number (0-65535)")
	}
	if l.LoginPassword != nil && strings.ContainsAny(*l.LoginPassword, "\n\r") {
		p.add("login_password must be one line")
	}
	if l.ConnectTimeout != nil && *l.ConnectTimeout < 0 {
		p.add("connect_timeout must not be negative")
	}
}

// client returns the shell text that finds the client, reads the login
// password from stdin, and defines m, the client with the login options in
// batch mode (tab-separated, no column names, no escaping). The host has
// no client: it prints nomysql=1 and exits.
func (l MySQLLogin) client() string {
	opts := append(l.options(), fmt.Sprintf("--connect-timeout=%d", orDefault(derefInt(l.ConnectTimeout), 30)))
	return "IFS= read -r p || :; [ -z \"$p\" ] || export MYSQL_PWD=\"${p#?}\"; unset p\n" +
		"c=$(command -v mysql || command -v mariadb) || { echo nomysql=1; exit 0; }\n" +
		"m() { \"$c\" " + quoteWords(opts) + " --batch --raw --skip-column-names \"$@\"; }\n"
}

// options are the login options the mysql client and mysqldump share.
func (l MySQLLogin) options() []string {
	var opts []string
	if l.ConfigFile != "" {
		opts = append(opts, "--defaults-extra-file="+l.ConfigFile) // the client wants it first
	}
	if l.LoginUser != "" {
		opts = append(opts, "--user="+l.LoginUser)
	}
	if l.LoginHost != "" {
		opts = append(opts, "--host="+l.LoginHost)
	}
	if l.LoginPort != 0 {
		opts = append(opts, fmt.Sprintf("--port=%d", l.LoginPort))
	}
	if l.LoginUnixSocket != "" {
		opts = append(opts, "--socket="+l.LoginUnixSocket)
	}
	return opts
}

// stdin returns what the client's command reads: the login password line
// ("" when none, else the password after one character), then sql.
func (l MySQLLogin) stdin(sql string) *strings.Reader {
	line := ""
	if l.LoginPassword != nil {
		line = "p" + *l.LoginPassword
	}
	return strings.NewReader(line + "\n" + sql)
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// mysqlInspect runs the client's probes (each probe's command may call m)
// and reads them; no client on the host, or a server it cannot log in to,
// is an error that says so.
func (l MySQLLogin) inspect(ctx context.Context, h host.Executor, what string, probeCmds ...string) (inspection, error) {
	cmd := l.client() + probes(append([]string{probe("version", "m -e 'SELECT VERSION()' 2>&1")}, probeCmds...)...)
	out, err := h.Run(ctx, cmd, host.RunOpts{Stdin: l.stdin("")})
	if err != nil {
		return inspection{}, fmt.Errorf("inspect %s: %w", what, err)
	}
	in := parseInspection(out.Stdout)
	in.raw = out
	switch {
	case in.kv["nomysql"] == "1":
		return in, fmt.Errorf("%s: the host has no mysql client (install mariadb-client or default-mysql-client)", what)
	case !in.ok("version"):
		return in, fmt.Errorf("%s: unable to connect to database, check login_user and login_password are correct or ~/.my.cnf has the credentials: %s", what, in.text("version"))
	}
	return in, nil
}

// exec runs sql (statements that may carry secrets: on stdin) with the
// client: the task fails with the client's error when it fails.
func (l MySQLLogin) exec(ctx context.Context, h host.Executor, what, sql string, res Result) (Result, error) {
	out, err := h.Run(ctx, l.client()+"m", host.RunOpts{Stdin: l.stdin(sql)})
	if err != nil {
		return res, fmt.Errorf("apply %s: %w", what, err)
	}
	if strings.Contains(out.Stdout, "nomysql=1") {
		return failRes(res, "%s: the host has no mysql client", what), nil
	}
	return applied(res, what, out), nil
}

// mariadb reports whether the server's version (SELECT VERSION()) is MariaDB's.
func mariadb(version string) bool { return strings.Contains(strings.ToLower(version), "mariadb") }

// sqlString quotes s as a MySQL string literal.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`, "\n", `\n`, "\r", `\r`).Replace(s) + "'"
}

// sqlIdent quotes s as a MySQL identifier.
func sqlIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
