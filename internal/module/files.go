package module

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// This file is the file writer shared by copy, template, lineinfile and
// sysctl: one probe command that reports what is at the destination (and its
// content when needed), then, only when something differs, one upload
// (atomic in the executor) or one chmod/chown.

const (
	// diffLimit is the largest file whose content is fetched for --diff.
	diffLimit = 1 << 20
	// validatedMark is printed once a validate command has passed.
	validatedMark = "--lvslab-validated--"
)

// tempName returns a random suffix for temporary files; tests replace it.
var tempName = func() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// fileState is what probeFile found at a path.
type fileState struct {
	Path       string // the path probed: dest, or dest/base when dest is a directory
	Exists     bool   // a regular file (not a symbolic link) is there
	Other      string // the type of something else that is there ("directory", "symbolic link", ...)
	NoDir      bool   // the parent directory does not exist
	Mode       uint32 // permission bits, as stat -c %a
	UID, Owner string
	GID, Group string
	Size       int64
	Sum        string // hex sha256 of the content
	Content    []byte
	HasContent bool
	Extra      map[string]string // key=value lines that other scripts printed before the probe
}

// probeOpts tunes probeScript.
type probeOpts struct {
	// Base: when the path is a directory, path/Base is probed instead (copy
	// into a directory).
	Base string
	// Content prints the file's content after contentMark when it is at most
	// Limit bytes (Limit < 0: always).
	Content bool
	Limit   int64
	// Follow probes the target of a symbolic link instead of the link, so
	// that an edit goes through the link (lineinfile, sysctl).
	Follow bool
}

// probeScript returns a shell snippet that reports on path p.
func probeScript(p string, o probeOpts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s\n", host.Quote(p))
	if o.Base != "" {
		fmt.Fprintf(&b, "if [ -d \"$d\" ] && [ ! -L \"$d\" ]; then d=\"${d%%/}/\"%s; fi\n", host.Quote(o.Base))
	}
	if o.Follow {
		b.WriteString("if [ -L \"$d\" ]; then d=$(readlink -f -- \"$d\") || exit 1; fi\n")
	}
	b.WriteString("echo \"path=$d\"\n")
	// The parent directory and the checksum without $(...), dirname or cut:
	// every process the probe starts costs about a millisecond of the
	// host's CPU, and a converged copy or template is nothing but this probe.
	b.WriteString("q=${d%/*}; [ \"$q\" = \"$d\" ] && q=.; [ -d \"${q:-/}\" ] || echo nodir=1\n")
	b.WriteString("if [ -f \"$d\" ] && [ ! -L \"$d\" ]; then\n")
	b.WriteString("  stat -c 'stat=%a %u %U %g %G %s' -- \"$d\"\n")
	switch {
	case o.Content && o.Limit < 0:
		fmt.Fprintf(&b, "  echo %s; cat -- \"$d\"\n", contentMark)
	case o.Content:
		b.WriteString("  printf sha=; sha256sum < \"$d\" || echo\n")
		fmt.Fprintf(&b, "  if [ \"$(stat -c %%s -- \"$d\")\" -le %d ]; then echo %s; cat -- \"$d\"; fi\n", o.Limit, contentMark)
	default:
		b.WriteString("  printf sha=; sha256sum < \"$d\" || echo\n")
	}
	b.WriteString("elif [ -e \"$d\" ] || [ -L \"$d\" ]; then\n")
	b.WriteString("  echo \"other=$(stat -c %F -- \"$d\")\"\n")
	b.WriteString("fi\n")
	return b.String()
}

// fileStateOf reads what probeScript printed (possibly after other
// key=value lines, returned in Extra).
func fileStateOf(in inspection) (fileState, error) {
	kv := in.kv
	sum, _, _ := strings.Cut(kv["sha"], " ") // sha256sum prints "HEX  -"
	st := fileState{Path: kv["path"], Other: kv["other"], NoDir: kv["nodir"] == "1", Sum: sum, Extra: kv}
	if s, ok := kv["stat"]; ok {
		f := strings.Fields(s)
		if len(f) != 6 {
			return st, fmt.Errorf("unexpected stat output %q", s)
		}
		mode, err := strconv.ParseUint(f[0], 8, 32)
		if err != nil {
			return st, fmt.Errorf("unexpected mode %q", f[0])
		}
		st.Exists, st.Mode = true, uint32(mode)
		st.UID, st.Owner, st.GID, st.Group = f[1], f[2], f[3], f[4]
		st.Size, _ = strconv.ParseInt(f[5], 10, 64)
	}
	if st.Exists && in.hasContent {
		st.Content, st.HasContent = []byte(in.content), true
		sum := sha256.Sum256(st.Content)
		st.Sum = hex.EncodeToString(sum[:])
	}
	return st, nil
}

// probeFile runs script (probeScript, possibly after other key=value
// lines) on h as the inspect command of what, and reads what it found.
func probeFile(ctx context.Context, h host.Executor, what, script string) (fileState, error) {
	in, err := inspect(ctx, h, what, script)
	if err == nil {
		err = in.failure(what)
	}
	if err != nil {
		return fileState{}, err
	}
	st, err := fileStateOf(in)
	if err != nil {
		return st, fmt.Errorf("inspect %s: %w", what, err)
	}
	return st, nil
}

// FileAttrs are the options every file-writing module (copy, template,
// lineinfile) shares: the new file's mode, owner and group (an existing
// file's are kept when not given), a timestamped backup of the old file
// (dest.YYYYMMDDhhmmss~) and a validate command run on the new file (%s is
// its path) before it replaces dest.
type FileAttrs struct {
	Mode     OctalMode `yaml:"mode"`
	Owner    string    `yaml:"owner"`
	Group    string    `yaml:"group"`
	Backup   bool      `yaml:"backup"`
	Validate string    `yaml:"validate"`
}

// check records what is wrong with the attributes, and the destination
// (argument name) when it is missing.
func (a FileAttrs) check(name, dest string, p *problems) {
	if dest == "" {
		p.add("%s is required", name)
	}
	if a.Validate != "" && !strings.Contains(a.Validate, "%s") {
		p.add("validate must contain %%s (the path of the new file)")
	}
}

// writeOpts tunes writeFile.
type writeOpts struct {
	FileAttrs
	Keep        bool   // leave an existing file's content alone (copy force: false)
	DefaultMode uint32 // mode of a new file when none is given
}

// writePlan is what writeFile does to a file: res is what the task
// reports; then nothing (done), a chmod/chown (attrs), or an upload of the
// new content with attributes fo.
type writePlan struct {
	res   Result
	done  bool
	attrs string
	fo    host.FileOpts
}

// planWrite compares st, what the probe found at the destination, with
// content and the wanted attributes.
func planWrite(env *Env, st fileState, o writeOpts, content payload) writePlan {
	dest := st.Path
	res := Result{Data: map[string]any{"dest": dest}}
	switch {
	case st.Other == "directory":
		return writePlan{res: failRes(res, "%s is a directory", dest), done: true}
	case st.NoDir && env.Check:
		// An earlier task would have made the directory.
		res.Changed, res.Msg = true, fmt.Sprintf("would create %s (its directory does not exist yet)", dest)
		return writePlan{res: res, done: true}
	case st.NoDir:
		return writePlan{res: failRes(res, "destination directory %s does not exist", path.Dir(dest)), done: true}
	}
	res.Data["checksum"] = content.sum
	res.Data["size"] = int(content.size)
	if st.Exists && o.Keep {
		res.Msg = "file already exists"
		return writePlan{res: res, done: true}
	}
	mode, owner, group := orDefault(o.DefaultMode, 0644), o.Owner, o.Group
	if st.Exists {
		mode, owner, group = st.Mode, orDefault(owner, st.UID), orDefault(group, st.GID)
	}
	if o.Mode.Set {
		mode = o.Mode.Bits
	}
	res.Data["mode"] = fmt.Sprintf("%04o", mode)
	if st.Exists && st.Sum == content.sum {
		cmd := attrCmd(st.Path, o.Mode, o.Owner, o.Group, st.Mode, [2]string{st.UID, st.Owner}, [2]string{st.GID, st.Group}, false)
		res.Changed = cmd != ""
		return writePlan{res: res, done: cmd == "" || env.Check, attrs: cmd}
	}
	res.Changed = true
	if env.Diff {
		res.Diff = []FileDiff{{Path: dest, Before: diffText(st), After: content.diffText()}}
	}
	fo := host.FileOpts{Mode: OctalMode{Bits: mode, Set: true}.FileMode(), Owner: owner, Group: group}
	return writePlan{res: res, done: env.Check, fo: fo}
}

// writeFile makes st.Path hold content with the wanted attributes: nothing
// when it does already, an upload when the content differs (with backup and
// validate), a chmod/chown when only attributes differ. In check mode it
// only reports.
func writeFile(ctx context.Context, h host.Executor, env *Env, st fileState, o writeOpts, content payload) (Result, error) {
	p := planWrite(env, st, o, content)
	res, dest := p.res, st.Path
	switch {
	case p.done:
		return res, nil
	case p.attrs != "":
		out, err := h.Run(ctx, p.attrs, host.RunOpts{})
		if err != nil || out.ExitCode != 0 {
			return res, cmdErr("setting attributes of "+dest, out, err)
		}
		return res, nil
	case o.Validate != "":
		return uploadValidated(ctx, h, st, o, content, p)
	}
	if o.Backup && st.Exists {
		out, err := h.Run(ctx, backupCmd(dest), host.RunOpts{})
		if err != nil || out.ExitCode != 0 {
			return res, cmdErr("backing up "+dest, out, err)
		}
		res.Data["backup_file"] = strings.TrimPrefix(trimNL(out.Stdout), "backup_file=")
	}
	if err := upload(ctx, h, content, dest, p.fo); err != nil {
		return res, fmt.Errorf("writing %s: %w", dest, err)
	}
	return res, nil
}

// uploadValidated uploads content next to the destination, runs the
// validate command on it and, when it passes, renames it over the
// destination (after a backup, when asked).
func uploadValidated(ctx context.Context, h host.Executor, st fileState, o writeOpts, content payload, p writePlan) (Result, error) {
	res, dest := p.res, st.Path
	tmp := path.Join(path.Dir(dest), ".lvslab-"+tempName()+"-"+path.Base(dest))
	if err := upload(ctx, h, content, tmp, p.fo); err != nil {
		return res, fmt.Errorf("writing %s: %w", tmp, err)
	}
	out, err := h.Run(ctx, validateCmd(o.Validate, tmp, dest, o.Backup && st.Exists), host.RunOpts{})
	if err != nil {
		return res, fmt.Errorf("validating %s: %w", dest, err)
	}
	stdout, tail, validated := strings.Cut(out.Stdout, validatedMark+"\n")
	if !validated {
		res.Data["rc"], res.Data["stdout"], res.Data["stderr"] = out.ExitCode, trimNL(out.Stdout), trimNL(out.Stderr)
		detail := strings.TrimSpace(out.Stderr + "\n" + out.Stdout)
		return failRes(res, "failed to validate %s with %q (exit %d): %s", dest, o.Validate, out.ExitCode, detail), nil
	}
	if out.ExitCode != 0 {
		return res, cmdErr("moving the validated file to "+dest, out, nil)
	}
	res.Data["validate_output"] = trimNL(stdout)
	if b := strings.TrimPrefix(trimNL(tail), "backup_file="); b != "" {
		res.Data["backup_file"] = b
	}
	return res, nil
}

// upload sends content to dst.
func upload(ctx context.Context, h host.Executor, content payload, dst string, fo host.FileOpts) error {
	r, done, err := content.open()
	if err != nil {
		return err
	}
	defer done()
	return h.Upload(ctx, r, dst, fo)
}

// attrCmd returns the chmod/chown/chgrp command that gives p the wanted
// attributes, or "" when it has them. owner and group are [id, name] as stat
// reports them; a wanted owner may be a name or a number.
func attrCmd(p string, mode OctalMode, wantOwner, wantGroup string, haveMode uint32, owner, group [2]string, link bool) string {
	var cmds []string
	q := host.Quote(p)
	if mode.Set && mode.Bits != haveMode && !link {
		cmds = append(cmds, "chmod "+mode.String()+" -- "+q)
	}
	h := ""
	if link {
		h = "-h "
	}
	if wantOwner != "" && !sameID(wantOwner, owner) {
		cmds = append(cmds, "chown "+h+host.Quote(wantOwner)+" -- "+q)
	}
	if wantGroup != "" && !sameID(wantGroup, group) {
		cmds = append(cmds, "chgrp "+h+host.Quote(wantGroup)+" -- "+q)
	}
	return strings.Join(cmds, " && ")
}

func sameID(want string, have [2]string) bool {
	if _, err := strconv.Atoi(want); err == nil {
		return want == have[0]
	}
	return want == have[1]
}

// backupCmd copies dest to dest.YYYYMMDDhhmmss~ keeping its attributes,
// or to dest.YYYYMMDDhhmmss.N~ when a backup of that second exists: a
// backup never replaces another.
func backupCmd(dest string) string {
	q := host.Quote(dest)
	return fmt.Sprintf("{ s=%s.\"$(date +%%Y%%m%%d%%H%%M%%S)\"; b=\"$s~\"; i=1; "+
		"while [ -e \"$b\" ] || [ -L \"$b\" ]; do b=\"$s.$i~\"; i=$((i+1)); done; } && "+
		"cp -p -- %s \"$b\" && echo \"backup_file=$b\"", q, q)
}

// validateCmd runs validate on tmp; when it passes, prints validatedMark,
// backs dest up if asked and renames tmp over dest; when it fails, removes tmp
// and exits with validate's code. tmp is removed however the command ends
// short of the rename: a failure, a signal, or the connection dropping (the
// mark then cannot be written: SIGPIPE), so that dest is replaced only by a
// file whose validation was reported.
func validateCmd(validate, tmp, dest string, backup bool) string {
	qt, qd := host.Quote(tmp), host.Quote(dest)
	var b strings.Builder
	fmt.Fprintf(&b, "trap 'rm -f -- %s' EXIT; trap 'rm -f -- %s; exit 129' HUP INT TERM PIPE\n", qt, qt)
	fmt.Fprintf(&b, "( %s ); rc=$?\n", strings.ReplaceAll(validate, "%s", qt))
	b.WriteString("if [ $rc -ne 0 ]; then exit $rc; fi\n")
	fmt.Fprintf(&b, "echo %s || exit 1\n", validatedMark)
	if backup {
		b.WriteString(backupCmd(dest) + " || exit 1\n")
	}
	fmt.Fprintf(&b, "mv -f -- %s %s || exit 1\n", qt, qd)
	return b.String()
}

func diffText(st fileState) string {
	switch {
	case !st.Exists:
		return ""
	case !st.HasContent:
		return fmt.Sprintf("(%d bytes, not shown)\n", st.Size)
	}
	return diffBytes(st.Content)
}

func diffBytes(b []byte) string {
	if len(b) > diffLimit {
		return fmt.Sprintf("(%d bytes, not shown)\n", len(b))
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return fmt.Sprintf("(binary, %d bytes)\n", len(b))
	}
	return string(b)
}
