package module

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"

	"lvslab/internal/host"
)

// Unarchive unpacks a tar (plain, gzip, bzip2 or xz compressed) or zip
// archive into an existing directory of the host, with tar or unzip there,
// as Ansible's unarchive: src is a file on the controller (relative to the
// playbook's directory or files/ beside it), uploaded to a temporary file
// on the host for the task, or with remote_src a file already on the host.
// The kind of archive is read from its first bytes, not its name.
//
// Idempotence, as Ansible: with creates, a path that exists skips the task
// ("skipped, since PATH exists"); otherwise the archive is compared with
// dest before unpacking: a tar by tar --diff read as Ansible's
// TgzArchive reads it (a missing member, its mtime, and its owner, group
// and mode unless the task sets them; extra_opts such as
// --strip-components apply), a zip by unpacking it into a temporary
// directory and comparing each file's content with cmp (Ansible compares
// the listing's sizes, modes and times instead). Only an archive that
// differs is unpacked (changed). Check mode says whether a zip would be
// unpacked; for a tar it skips the task with Ansible 2.14's message (its
// tar test is not used in check mode).
//
// Arguments: src, dest (both required), remote_src (false), creates,
// extra_opts (a list of options given to tar or unzip), exclude (members
// left out), list_files (false; true returns files, the archive's
// members), and mode, owner, group (applied to the top-level members).
// Returned as Ansible: dest, src, handler (TgzArchive, TarArchive,
// TarBzipArchive, TarXzArchive, ZipArchive), extract_results (cmd, rc, out,
// err) when unpacked, files with list_files, and dest's state, mode, uid,
// gid, owner, group and size.
type Unarchive struct {
	Src       string    `yaml:"src"`
	Dest      string    `yaml:"dest"`
	RemoteSrc bool      `yaml:"remote_src"`
	Creates   string    `yaml:"creates"`
	ExtraOpts StrList   `yaml:"extra_opts"`
	Exclude   StrList   `yaml:"exclude"`
	ListFiles bool      `yaml:"list_files"`
	Mode      OctalMode `yaml:"mode"`
	Owner     string    `yaml:"owner"`
	Group     string    `yaml:"group"`
}

// unarchiveWant is what an unarchive task wants (its arguments need no defaults).
type unarchiveWant struct{ Unarchive }

// want checks the arguments.
func (m *Unarchive) want() (unarchiveWant, error) {
	var p problems
	if m.Src == "" {
		p.add("src is required")
	}
	if m.Dest == "" {
		p.add("dest is required")
	}
	if strings.Contains(m.Src, "://") {
		p.add("src as a URL is not supported: get_url it first")
	}
	return unarchiveWant{*m}, p.err()
}

// Validate reports every problem of the arguments.
func (m *Unarchive) Validate() error { _, err := m.want(); return err }

// Lint checks that a controller src exists.
func (m *Unarchive) Lint(baseDir string, _ func(name, text string) error) error {
	if m.RemoteSrc || m.Src == "" {
		return nil
	}
	_, err := findLocal(baseDir, m.Src, "files")
	return err
}

// unarchiveHandlers are the kinds of archive by their first bytes (as od
// prints them), with Ansible's handler name and tar's option.
var unarchiveHandlers = []struct{ magic, handler, opt string }{
	{"1f 8b", "TgzArchive", "-z"},
	{"42 5a 68", "TarBzipArchive", "-j"},
	{"fd 37 7a 58 5a 00", "TarXzArchive", "-J"},
	{"50 4b 03 04", "ZipArchive", ""},
}

// Apply uploads a controller src, inspects archive and dest with one
// command, and unpacks with one more when they differ.
func (m *Unarchive) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	src := w.Src
	if !w.RemoteSrc {
		local, err := findLocal(env.BaseDir, w.Src, "files")
		if err != nil {
			return Result{}, fmt.Errorf("unarchive: %w", err)
		}
		src = "/tmp/.lvslab-unarchive-" + tempName() + "-" + path.Base(local)
		f, err := os.Open(local)
		if err != nil {
			return Result{}, fmt.Errorf("unarchive: %w", err)
		}
		err = h.Upload(ctx, f, src, host.FileOpts{Mode: 0o600})
		f.Close()
		if err != nil {
			return Result{}, fmt.Errorf("unarchive: uploading %s: %w", local, err)
		}
		defer h.Run(context.WithoutCancel(ctx), "rm -f -- "+host.Quote(src), host.RunOpts{})
	}
	in, err := inspect(ctx, h, "unarchive "+w.Dest, w.inspectScript(src))
	if err == nil {
		err = in.failure("unarchive " + w.Dest)
	}
	if err != nil {
		return Result{}, err
	}
	res := Result{Data: map[string]any{"dest": w.Dest, "src": src}}
	switch {
	case in.kv["creates"] == "1":
		res.Skipped, res.Msg = true, "skipped, since "+w.Creates+" exists"
		return res, nil
	case in.kv["src"] == "missing":
		return failRes(res, "Source '%s' does not exist", src), nil
	case in.kv["src"] == "empty":
		return failRes(res, "Invalid archive '%s', the file is 0 bytes", src), nil
	case in.kv["dest"] != "dir":
		return failRes(res, "dest '%s' must be an existing dir", w.Dest), nil
	case in.kv["tool"] == "0":
		return failRes(res, "%s is not installed on the host: unarchive needs it", map[bool]string{true: "unzip", false: "tar"}[in.kv["kind"] == "ZipArchive"]), nil
	}
	res.Data["handler"] = in.kv["kind"]
	if w.ListFiles {
		res.Data["files"] = outLines(strings.TrimRight(in.out["list"], "\n"))
	}
	w.destInfo(res.Data, in.kv["st"])
	tarKind := in.kv["kind"] != "ZipArchive"
	switch {
	case env.Check && tarKind:
		// Ansible 2.14's words: its test of a tar archive is not trusted in check mode.
		return Result{Skipped: true, Msg: "remote module (ansible.legacy.unarchive) does not support check mode when using gtar", Data: map[string]any{}}, nil
	case tarKind && w.tarSame(in.out["diff"]), !tarKind && in.kv["same"] == "1":
		return res, nil
	}
	res.Changed = true
	if env.Check {
		return res, nil
	}
	argv := w.extract(src, in.kv["kind"], in.kv["opt"])
	cmd := quoteWords(argv)
	if a := w.attrsScript(); a != "" {
		cmd += " && " + a
	}
	out, err := h.Run(ctx, cmd, host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("unarchive %s: %w", w.Dest, err)
	}
	res.Data["extract_results"] = map[string]any{"cmd": argv, "rc": out.ExitCode, "out": out.Stdout, "err": out.Stderr}
	if out.ExitCode != 0 {
		return failRes(res, "failed to unpack %s to %s", src, w.Dest), nil
	}
	return res, nil
}

// inspectScript reports creates, the archive's kind and members, dest, and
// whether the archive is already unpacked there (same=1).
func (w unarchiveWant) inspectScript(src string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "a=%s; d=%s\n", host.Quote(src), host.Quote(w.Dest))
	if w.Creates != "" {
		fmt.Fprintf(&b, "if [ -e %s ]; then echo creates=1; exit 0; fi\n", host.Quote(w.Creates))
	}
	b.WriteString("if [ ! -f \"$a\" ]; then echo src=missing; exit 0; fi\nif [ ! -s \"$a\" ]; then echo src=empty; exit 0; fi\n")
	b.WriteString("if [ -d \"$d\" ]; then echo dest=dir; stat -c 'st=" + statFormat + "' -- \"$d\"; else exit 0; fi\n")
	b.WriteString("m=$(od -An -tx1 -N6 -- \"$a\" | sed 's/^ *//; s/ *$//')\nk=TarArchive; o=\n")
	for _, hd := range unarchiveHandlers {
		fmt.Fprintf(&b, "case \"$m\" in %s*) k=%s; o=%s;; esac\n", host.Quote(hd.magic), hd.handler, orDefault(hd.opt, "''"))
	}
	b.WriteString("echo \"kind=$k\"; echo \"opt=$o\"\n")
	ex := ""
	for _, e := range w.Exclude {
		ex += " --exclude=" + host.Quote(e)
	}
	if len(w.ExtraOpts) > 0 {
		ex += " " + quoteWords(w.ExtraOpts) // as Ansible, the diff runs with them too
	}
	b.WriteString("if [ $k = ZipArchive ]; then\n")
	b.WriteString("  command -v unzip >/dev/null 2>&1 || { echo tool=0; exit 0; }\n")
	b.WriteString("  " + probe("list", "unzip -Z1 -- \"$a\" | grep -v '/$'") + "\n")
	b.WriteString("  t=$(mktemp -d) || exit 1; trap 'rm -rf -- \"$t\"' EXIT\n")
	b.WriteString("  if unzip -qq -o -- \"$a\" -d \"$t\" >/dev/null 2>&1 && (cd \"$t\" && find . -type f) | { s=1; while IFS= read -r f; do cmp -s -- \"$t/$f\" \"$d/$f\" || { s=0; break; }; done; echo \"same=$s\"; }; then :; fi\n")
	b.WriteString("else\n")
	b.WriteString("  command -v tar >/dev/null 2>&1 || { echo tool=0; exit 0; }\n")
	b.WriteString("  " + probe("list", "tar -t $o -f \"$a\""+ex) + "\n")
	b.WriteString("  " + probe("diff", "LC_ALL=C tar --diff -C \"$d\" $o -f \"$a\""+ex+" 2>&1") + "\n")
	b.WriteString("fi\nexit 0\n")
	return b.String()
}

// tarDiffs are the lines of tar --diff that Ansible takes for a
// difference (not "Contents differ"), and the attribute each is about.
var tarDiffs = []struct{ suffix, attr string }{
	{": Uid differs", "owner"}, {": Gid differs", "group"}, {": Mode differs", "mode"},
	{": Mod time differs", ""}, {": Warning: Cannot stat: No such file or directory", ""},
}

// tarSame reads tar --diff's output as Ansible's TgzArchive.is_unarchived:
// differences in what the task sets anyway (owner, group, mode) and the
// empty names of --strip-components do not count.
func (w unarchiveWant) tarSame(out string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, ": : Warning: Cannot stat: No such file or directory") {
			continue
		}
		if strings.Contains(l, ": Invalid owner") || strings.Contains(l, ": Invalid group") {
			return false
		}
		for _, d := range tarDiffs {
			set := d.attr == "owner" && w.Owner != "" || d.attr == "group" && w.Group != "" || d.attr == "mode" && w.Mode.Set
			if strings.HasSuffix(l, d.suffix) && !set {
				return false
			}
		}
	}
	return true
}

// extract returns the command that unpacks the archive, as Ansible's.
func (w unarchiveWant) extract(src, kind, opt string) []string {
	if kind == "ZipArchive" {
		argv := append([]string{"unzip", "-o"}, w.ExtraOpts...)
		argv = append(argv, src)
		if len(w.Exclude) > 0 {
			argv = append(append(argv, "-x"), w.Exclude...)
		}
		return append(argv, "-d", w.Dest)
	}
	argv := []string{"tar", "--extract", "-C", w.Dest}
	if opt != "" {
		argv = append(argv, opt)
	}
	argv = append(argv, w.ExtraOpts...)
	for _, e := range w.Exclude {
		argv = append(argv, "--exclude="+e)
	}
	return append(argv, "-f", src)
}

// attrsScript gives the top-level members the wanted mode, owner and group.
func (w unarchiveWant) attrsScript() string {
	if !w.Mode.Set && w.Owner == "" && w.Group == "" {
		return ""
	}
	var c []string
	if w.Mode.Set {
		c = append(c, "chmod "+w.Mode.String())
	}
	if w.Owner != "" {
		c = append(c, "chown "+host.Quote(w.Owner))
	}
	if w.Group != "" {
		c = append(c, "chgrp "+host.Quote(w.Group))
	}
	return "cd " + host.Quote(w.Dest) + " && " + strings.Join(c, " -- * && ") + " -- *"
}

// destInfo adds dest's path information, as Ansible's exit_json does.
func (w unarchiveWant) destInfo(data map[string]any, line string) {
	st, err := statFields(line)
	if err != nil {
		return
	}
	data["state"], data["mode"], data["size"], data["uid"], data["gid"] = "directory", st["mode"], st["size"], st["uid"], st["gid"]
	data["owner"], data["group"] = st["pw_name"], st["gr_name"]
}
