package module

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"lvslab/internal/host"
)

// MySQLDump are mysql_db's arguments of the states dump and import, as
// community.mysql 3.7's: target (the file on the host; by its extension
// .gz, .bz2 or .xz it is compressed with gzip, bzip2 or xz), and force
// (-f/--force: go on after an SQL error), single_transaction, quick (true),
// ignore_tables (db.table), hex_blob, skip_lock_tables, master_data (0, 1
// or 2) and dump_extra_args (shell text after mysqldump's options, as
// Ansible's) for dump; pipefail and use_shell are accepted (a failed
// compressor or mysqldump always fails the task here), and chdir is the
// directory a relative target is read from.
//
// Both always change (changed true, as Ansible's: an import is not
// idempotent: roles guard it with `when`), registering db, db_list, msg
// (what the client printed) and executed_commands (the command, without
// the password, which goes on stdin as for every mysql module). import
// reads one database (name; "all" imports a dump of every database):
// a database that is missing is created first, with encoding and
// collation, unless the target is missing (then nothing is done and the
// task fails, where Ansible has created the database already). dump fails
// when a database is missing, and writes beside target, replacing it only
// once mysqldump and the compressor have succeeded: a failed dump leaves
// the old file. Check mode changes nothing and reports changed.
type MySQLDump struct {
	Target            string   `yaml:"target"`
	Force             bool     `yaml:"force"`
	SingleTransaction bool     `yaml:"single_transaction"`
	Quick             *bool    `yaml:"quick"`
	IgnoreTables      []string `yaml:"ignore_tables"`
	HexBlob           bool     `yaml:"hex_blob"`
	SkipLockTables    bool     `yaml:"skip_lock_tables"`
	MasterData        int      `yaml:"master_data"`
	DumpExtraArgs     string   `yaml:"dump_extra_args"`
	Pipefail          bool     `yaml:"pipefail"`
	UseShell          bool     `yaml:"use_shell"`
	Chdir             string   `yaml:"chdir"`
}

// check reports the problems of state's arguments (dump or import).
func (d MySQLDump) check(state string, names []string, p *problems) {
	if d.Target == "" {
		p.add("with state=%s target is required", state)
	}
	if state == "import" && len(names) > 1 {
		p.add("Multiple databases are not supported with state=import")
	}
	if d.MasterData < 0 || d.MasterData > 2 {
		p.add("master_data must be 0, 1 or 2, not %d", d.MasterData)
	}
	for _, t := range d.IgnoreTables {
		if t == "" {
			p.add("Name of ignored table cannot be empty")
		}
	}
}

// compressor is the program that (de)compresses target, by its extension
// ("" for none).
func (d MySQLDump) compressor() string {
	return map[string]string{".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}[path.Ext(d.Target)]
}

// dumpOrImport runs state dump or import: one inspect (the databases that
// exist, the target, the programs), then one command.
func (w mysqlDBWant) dumpOrImport(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	all := slices.Equal(w.names, []string{"all"})
	cd, exists := "", "[ -e "+host.Quote(w.Target)+" ]"
	if w.Chdir != "" {
		cd = "cd " + host.Quote(w.Chdir) + " || exit\n"
		exists = "(cd " + host.Quote(w.Chdir) + " && " + exists + ")"
	}
	checks := []string{probe("target", exists)}
	if !all {
		checks = append(checks, w.existing())
	}
	if c := w.compressor(); c != "" {
		checks = append(checks, probe("compressor", "command -v "+c))
	}
	if w.State == "dump" {
		checks = append(checks, probe("mysqldump", "command -v mysqldump || command -v mariadb-dump"))
	}
	in, err := w.inspect(ctx, h, "mysql_db", checks...)
	if err != nil {
		return Result{}, err
	}
	res := w.result()
	var missing []string
	if !all {
		if !in.ok("dbs") {
			return failRes(res, "mysql_db: %s", in.text("dbs")), nil
		}
		there := outLines(in.text("dbs"))
		for _, n := range w.names {
			if !slices.Contains(there, n) {
				missing = append(missing, n)
			}
		}
	}
	switch {
	case w.State == "dump" && len(missing) > 0:
		return failRes(res, "Cannot dump database(s) %s - not found", "'"+strings.Join(missing, ", ")+"'"), nil
	case env.Check:
		res.Changed = true
		return res, nil
	case w.State == "import" && !in.ok("target"):
		return failRes(res, "target %s does not exist on the host", w.Target), nil
	case w.compressor() != "" && !in.ok("compressor"):
		return failRes(res, "Failed to find required executable %q in paths: the host has no %s", w.compressor(), w.compressor()), nil
	case w.State == "dump" && !in.ok("mysqldump"):
		return failRes(res, "Failed to find required executable \"mysqldump\" in paths: install mariadb-client or default-mysql-client"), nil
	}
	var script, shown string
	if w.State == "import" {
		script, shown = w.importScript(all, missing)
	} else {
		script, shown = w.dumpScript(all)
	}
	res.Changed = true
	res.Data["executed_commands"] = []string{shown}
	out, err := h.Run(ctx, w.client()+cd+script, host.RunOpts{Stdin: w.stdin("")})
	if err != nil {
		return Result{}, fmt.Errorf("mysql_db %s %s: %w", w.State, w.Target, err)
	}
	if out.ExitCode != 0 {
		return failRes(res, "%s", strings.TrimSpace(out.Stderr)), nil
	}
	res.Data["msg"] = out.Stdout
	return res, nil
}

// importScript returns the shell text of an import (after client() and any
// cd): the missing database created, then the target, decompressed, read
// by the client; and the command as executed_commands shows it.
func (w mysqlDBWant) importScript(all bool, missing []string) (string, string) {
	var b strings.Builder
	if len(missing) > 0 {
		create := w
		create.State = "present"
		fmt.Fprintf(&b, "m -e %s || exit\n", host.Quote(strings.Join(create.plan(nil), ";")))
	}
	var opts []string
	if w.Force {
		opts = append(opts, "-f")
	}
	if w.Encoding != "" {
		opts = append(opts, "--default-character-set="+w.Encoding)
	}
	if !all {
		opts = append(opts, "--one-database", w.names[0])
	}
	client := "m " + quoteWords(opts)
	shown := "mysql " + strings.Join(opts, " ")
	t := host.Quote(w.Target)
	c := w.compressor()
	if c == "" {
		b.WriteString(client + " < " + t + "\n")
		return b.String(), shown + " < " + w.Target
	}
	// Both statuses count: the decompressor's first, as Ansible's.
	b.WriteString("r=$(mktemp) || exit\n")
	fmt.Fprintf(&b, "{ %s -dc -- %s; echo $? > \"$r\"; } | %s; rc=$?; r1=$(cat \"$r\"); rm -f -- \"$r\"\n", c, t, client)
	b.WriteString("[ \"$r1\" = 0 ] || exit \"$r1\"; exit \"$rc\"\n")
	return b.String(), c + " -dc " + w.Target + " | " + shown
}

// dumpScript returns the shell text of a dump: mysqldump (compressed) into
// a temporary file beside target, which replaces target once both
// succeeded; and the command as executed_commands shows it.
func (w mysqlDBWant) dumpScript(all bool) (string, string) {
	opts := w.options()
	switch {
	case all:
		opts = append(opts, "--all-databases")
	case len(w.names) > 1:
		opts = append(append(opts, "--databases"), w.names...)
	default:
		opts = append(opts, w.names[0])
	}
	if w.SkipLockTables {
		opts = append(opts, "--skip-lock-tables")
	}
	if w.Encoding != "" {
		opts = append(opts, "--default-character-set="+w.Encoding)
	}
	if w.Force {
		opts = append(opts, "--force")
	}
	if w.SingleTransaction {
		opts = append(opts, "--single-transaction=true")
	}
	if boolArg(w.Quick, true) {
		opts = append(opts, "--quick")
	}
	for _, t := range w.IgnoreTables {
		opts = append(opts, "--ignore-table="+t)
	}
	if w.HexBlob {
		opts = append(opts, "--hex-blob")
	}
	if w.MasterData != 0 {
		opts = append(opts, fmt.Sprintf("--master-data=%d", w.MasterData))
	}
	extra := ""
	if w.DumpExtraArgs != "" {
		extra = " " + w.DumpExtraArgs // shell text, as Ansible's
	}
	dump := "\"$d\" " + quoteWords(opts) + extra
	shown := "mysqldump " + strings.Join(opts, " ") + extra
	t := host.Quote(w.Target)
	var b strings.Builder
	b.WriteString("d=$(command -v mysqldump || command -v mariadb-dump) || exit\n")
	b.WriteString("n=" + host.Quote(w.Target+".lvslab-tmp") + "; trap 'rm -f -- \"$n\" \"$n.rc\"' EXIT\n")
	if c := w.compressor(); c != "" {
		fmt.Fprintf(&b, "{ %s; echo $? > \"$n.rc\"; } | %s > \"$n\"; rc=$?; r1=$(cat \"$n.rc\")\n", dump, c)
		b.WriteString("[ \"$r1\" = 0 ] || exit \"$r1\"; [ \"$rc\" = 0 ] || exit \"$rc\"\n")
		shown += " | " + c + " > " + w.Target
	} else {
		b.WriteString(dump + " > \"$n\" || exit\n")
		shown += " > " + w.Target
	}
	b.WriteString("mv -f -- \"$n\" " + t + "\n")
	return b.String(), shown
}
