package module

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// File makes a path a directory, a symbolic link, an existing file, a
// touched file, or absent, with the given mode, owner and group. One shell
// snippet inspects and fixes everything, so it costs one round trip whether
// or not anything changes; in check mode the same snippet only inspects.
//
// state defaults to link when src is given, to directory with recurse, else
// file (which requires the file to exist). touch is always changed, as in
// Ansible. recurse applies mode, owner and group to everything below a
// directory (symbolic links excepted), files included. link with force
// replaces an existing file (never a directory) by the link.
type File struct {
	Path    string    `yaml:"path"`
	Dest    string    `yaml:"dest"` // alias of path
	Name    string    `yaml:"name"` // alias of path
	State   string    `yaml:"state"`
	Src     string    `yaml:"src"`
	Mode    OctalMode `yaml:"mode"`
	Owner   string    `yaml:"owner"`
	Group   string    `yaml:"group"`
	Recurse bool      `yaml:"recurse"`
	Force   bool      `yaml:"force"`
}

// fileWant is what a file task wants: its arguments with the aliases and
// defaults filled in.
type fileWant struct{ File }

// want fills the defaults and checks the combination of options.
func (f *File) want() (fileWant, error) {
	var p problems
	w := fileWant{*f}
	w.Path = orDefault(orDefault(f.Path, f.Dest), f.Name)
	if w.State == "" {
		switch {
		case f.Src != "":
			w.State = "link"
		case f.Recurse:
			w.State = "directory"
		default:
			w.State = "file"
		}
	}
	switch trimmed := strings.TrimRight(w.Path, "/"); {
	case w.Path == "":
		p.add("path is required")
	case trimmed == "" && w.State == "absent":
		p.add("refusing to remove /")
	}
	if !slices.Contains([]string{"file", "directory", "absent", "touch", "link"}, w.State) {
		p.add("state %q: want file, directory, absent, touch or link", w.State)
	}
	if w.State == "link" && f.Src == "" {
		p.add("state link needs src")
	}
	if f.Src != "" && w.State != "link" {
		p.add("src is only for state link")
	}
	if f.Recurse && w.State != "directory" {
		p.add("recurse is only for state directory")
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (f *File) Validate() error { _, err := f.want(); return err }

// Apply converges the path. Its inspection and its apply are one shell
// snippet (script): it tests each attribute and fixes it on the spot, or in
// check mode only says what it would fix; the plan is that snippet.
func (f *File) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := f.want()
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"path": w.Path, "state": w.State}}
	in, err := inspect(ctx, h, "file "+w.Path, w.script(env.Check))
	if err != nil {
		return res, err
	}
	var before, after, msgs []string
	for _, v := range in.values("changed") {
		p := strings.SplitN(v, "\t", 3)
		for len(p) < 3 {
			p = append(p, "")
		}
		before = append(before, p[0]+": "+p[1]+"\n")
		after = append(after, p[0]+": "+p[2]+"\n")
		msgs = append(msgs, fmt.Sprintf("%s %s -> %s", p[0], orNone(p[1]), p[2]))
	}
	if problem := in.kv["error"]; problem != "" {
		return failRes(res, "%s", problem), nil
	}
	if err := in.failure("file " + w.Path); err != nil {
		return res, err
	}
	if len(msgs) > 0 {
		res.Changed, res.Msg = true, strings.Join(msgs, ", ")
		if env.Diff {
			res.Diff = []FileDiff{{Path: w.Path, Before: strings.Join(before, ""), After: strings.Join(after, "")}}
		}
	}
	return res, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// script returns the snippet that inspects and (unless check) fixes the path.
// It prints "changed=WHAT<TAB>OLD<TAB>NEW" per change and "error=MSG" (exit
// 3) when it cannot go on.
func (f fileWant) script(check bool) string {
	act := func(cmd string) string {
		if check {
			return ":"
		}
		return cmd + " || exit 1"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "p=%s\n", host.Quote(f.Path))
	switch f.State {
	case "absent":
		fmt.Fprintf(&b, "if [ -e \"$p\" ] || [ -L \"$p\" ]; then %s; %s; fi\n", fileChange("state", "present", "absent"), act(`rm -rf -- "$p"`))
		return b.String()
	case "directory":
		b.WriteString("if [ ! -d \"$p\" ]; then\n")
		b.WriteString("  if [ -e \"$p\" ] || [ -L \"$p\" ]; then echo \"error=$p exists and is not a directory\"; exit 3; fi\n")
		fmt.Fprintf(&b, "  %s; %s\nfi\n", fileChange("state", "absent", "directory"), act(`mkdir -p -- "$p"`))
	case "file":
		b.WriteString("if [ ! -e \"$p\" ]; then echo \"error=file $p does not exist\"; exit 3; fi\n")
		b.WriteString("if [ ! -f \"$p\" ]; then echo \"error=$p is not a regular file but a $(stat -c %F -- \"$p\")\"; exit 3; fi\n")
	case "touch":
		b.WriteString("if [ -e \"$p\" ]; then old=present; else old=absent; fi\n")
		fmt.Fprintf(&b, "%s; %s\n", fileChange("state", "$old", "touched"), act(`touch -- "$p"`))
	case "link":
		src := host.Quote(f.Src)
		fmt.Fprintf(&b, "if [ ! -L \"$p\" ] || [ \"$(readlink -- \"$p\")\" != %s ]; then\n", src)
		b.WriteString("  if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then echo \"error=$p is a directory, not replacing it by a link\"; exit 3; fi\n")
		if !f.Force {
			b.WriteString("  if [ -e \"$p\" ] && [ ! -L \"$p\" ]; then echo \"error=$p exists and is not a link (force: true replaces it)\"; exit 3; fi\n")
		}
		b.WriteString("  if [ -L \"$p\" ]; then old=\"link to $(readlink -- \"$p\")\"; elif [ -e \"$p\" ]; then old=file; else old=absent; fi\n")
		fmt.Fprintf(&b, "  %s; %s\nfi\n", fileChange("state", "$old", "link to "+shellText(f.Src)), act(`ln -sfn -- `+src+` "$p"`))
	}
	if f.Recurse {
		f.recurseAttrs(&b, act)
		return b.String()
	}
	if !f.Mode.Set && f.Owner == "" && f.Group == "" {
		return b.String()
	}
	test, stat, h := "-e", "stat -L -c '%a %u %U %g %G'", ""
	if f.State == "link" {
		test, stat, h = "-L", "stat -c '0 %u %U %g %G'", "-h "
	}
	fmt.Fprintf(&b, "if [ %s \"$p\" ]; then\n  set -- $(%s -- \"$p\")\n", test, stat)
	if f.Mode.Set && f.State != "link" {
		fmt.Fprintf(&b, "  if [ \"$1\" != %s ]; then %s; %s; fi\n", f.Mode.stat(), fileChange("mode", "$1", f.Mode.String()), act("chmod "+f.Mode.String()+` -- "$p"`))
	}
	if f.Owner != "" {
		fmt.Fprintf(&b, "  if [ \"$%d\" != %s ]; then %s; %s; fi\n", idField(f.Owner, 2), host.Quote(f.Owner), fileChange("owner", "$3", shellText(f.Owner)), act("chown "+h+host.Quote(f.Owner)+` -- "$p"`))
	}
	if f.Group != "" {
		fmt.Fprintf(&b, "  if [ \"$%d\" != %s ]; then %s; %s; fi\n", idField(f.Group, 4), host.Quote(f.Group), fileChange("group", "$5", shellText(f.Group)), act("chgrp "+h+host.Quote(f.Group)+` -- "$p"`))
	}
	b.WriteString("fi\n")
	return b.String()
}

// recurseAttrs checks everything below the directory with one find per
// attribute and fixes it with chmod/chown/chgrp -R.
func (f fileWant) recurseAttrs(b *strings.Builder, act func(string) string) {
	b.WriteString("if [ -d \"$p\" ]; then\n")
	type attr struct{ name, test, cmd, want string }
	var attrs []attr
	if f.Mode.Set {
		attrs = append(attrs, attr{"mode", "! -perm " + f.Mode.String(), "chmod -R " + f.Mode.String(), f.Mode.String()})
	}
	if f.Owner != "" {
		attrs = append(attrs, attr{"owner", "! -user " + host.Quote(f.Owner), "chown -RH " + host.Quote(f.Owner), shellText(f.Owner)})
	}
	if f.Group != "" {
		attrs = append(attrs, attr{"group", "! -group " + host.Quote(f.Group), "chgrp -RH " + host.Quote(f.Group), shellText(f.Group)})
	}
	for _, a := range attrs {
		fmt.Fprintf(b, "  if [ -n \"$(find -H \"$p\" ! -type l %s -print -quit)\" ]; then %s; %s; fi\n", a.test, fileChange(a.name+" (recursive)", "differs", a.want), act(a.cmd+` -- "$p"`))
	}
	b.WriteString("fi\n")
}

// fileChange prints one change line; old and new are shell words inside double
// quotes (so $1 and $old expand).
func fileChange(what, old, new string) string {
	return fmt.Sprintf(`printf 'changed=%%s\t%%s\t%%s\n' %s "%s" "%s"`, host.Quote(what), old, new)
}

// shellText escapes s for use inside double quotes.
func shellText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return r.Replace(s)
}

// idField picks the stat field to compare: the number for numeric ids, the
// name otherwise (fields: 1 mode, 2 uid, 3 user, 4 gid, 5 group).
func idField(want string, numeric int) int {
	if _, err := strconv.Atoi(want); err == nil {
		return numeric
	}
	return numeric + 1
}
