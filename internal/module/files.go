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
	// contentMark separates the probe's key=value lines from the file content.
	contentMark = "--lvslab-content--"
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

// parseProbe reads probeScript's output (possibly preceded by other
// key=value lines, returned in Extra).
func parseProbe(out string) (fileState, error) {
	kv, rest, hasContent := parseKV(out, contentMark)
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
	if st.Exists && hasContent {
		st.Content, st.HasContent = []byte(rest), true
		sum := sha256.Sum256(st.Content)
		st.Sum = hex.EncodeToString(sum[:])
	}
	return st, nil
}

// probeFile runs probeScript on h.
func probeFile(ctx context.Context, h host.Executor, p string, o probeOpts) (fileState, error) {
	res, err := h.Run(ctx, probeScript(p, o), host.RunOpts{})
	if err != nil {
		return fileState{}, fmt.Errorf("inspecting %s: %w", p, err)
	}
	if res.ExitCode != 0 {
		return fileState{}, fmt.Errorf("inspecting %s: exit %d: %s", p, res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	st, err := parseProbe(res.Stdout)
	if err != nil {
		return st, fmt.Errorf("inspecting %s: %w", p, err)
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

func (a FileAttrs) check() []string {
	if a.Validate != "" && !strings.Contains(a.Validate, "%s") {
		return []string{"validate must contain %s (the path of the new file)"}
	}
	return nil
}

// writeOpts tunes writeFile.
type writeOpts struct {
	FileAttrs
	Keep        bool   // leave an existing file's content alone (copy force: false)
	DefaultMode uint32 // mode of a new file when none is given
}

// writeFile makes st.Path hold content with the wanted attributes: nothing
// when it does already, an upload when the content differs (with backup and
// validate), a chmod/chown when only attributes differ. In check mode it
// only reports.
func writeFile(ctx context.Context, h host.Executor, env *Env, st fileState, o writeOpts, content payload) (Result, error) {
	dest := st.Path
	res := Result{Data: map[string]any{"dest": dest}}
	switch {
	case st.Other == "directory":
		return failRes(res, "%s is a directory", dest), nil
	case st.NoDir && env.Check:
		// An earlier task would have made the directory.
		res.Changed, res.Msg = true, fmt.Sprintf("would create %s (its directory does not exist yet)", dest)
		return res, nil
	case st.NoDir:
		return failRes(res, "destination directory %s does not exist", path.Dir(dest)), nil
	}
	res.Data["checksum"] = content.sum
	res.Data["size"] = int(content.size)
	if st.Exists && o.Keep {
		res.Msg = "file already exists"
		return res, nil
	}
	contentChanged := !st.Exists || st.Sum != content.sum
	mode, owner, group := o.DefaultMode, o.Owner, o.Group
	if mode == 0 {
		mode = 0644
	}
	if st.Exists {
		mode = st.Mode
		if owner == "" {
			owner = st.UID
		}
		if group == "" {
			group = st.GID
		}
	}
	if o.Mode.Set {
		mode = o.Mode.Bits
	}
	res.Data["mode"] = fmt.Sprintf("%04o", mode)
	if !contentChanged {
		return fixAttrs(ctx, h, env, st, o.FileAttrs, res)
	}
	res.Changed = true
	if env.Diff {
		res.Diff = []FileDiff{{Path: dest, Before: diffText(st), After: content.diffText()}}
	}
	if env.Check {
		return res, nil
	}
	fo := host.FileOpts{Mode: OctalMode{Bits: mode, Set: true}.FileMode(), Owner: owner, Group: group}
	if o.Validate == "" {
		if o.Backup && st.Exists {
			out, err := h.Run(ctx, backupCmd(dest), host.RunOpts{})
			if err != nil || out.ExitCode != 0 {
				return res, cmdErr("backing up "+dest, out, err)
			}
			res.Data["backup_file"] = strings.TrimPrefix(trimNL(out.Stdout), "backup_file=")
		}
		if err := upload(ctx, h, content, dest, fo); err != nil {
			return res, fmt.Errorf("writing %s: %w", dest, err)
		}
		return res, nil
	}
	tmp := path.Join(path.Dir(dest), ".lvslab-"+tempName()+"-"+path.Base(dest))
	if err := upload(ctx, h, content, tmp, fo); err != nil {
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

// fixAttrs sets mode, owner and group of an existing file whose content is
// right.
func fixAttrs(ctx context.Context, h host.Executor, env *Env, st fileState, a FileAttrs, res Result) (Result, error) {
	cmd := attrCmd(st.Path, a.Mode, a.Owner, a.Group, st.Mode, [2]string{st.UID, st.Owner}, [2]string{st.GID, st.Group}, false)
	if cmd == "" {
		return res, nil
	}
	res.Changed = true
	if env.Check {
		return res, nil
	}
	out, err := h.Run(ctx, cmd, host.RunOpts{})
	if err != nil || out.ExitCode != 0 {
		return res, cmdErr("setting attributes of "+st.Path, out, err)
	}
	return res, nil
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

// failed marks res failed with a message.
func failRes(res Result, format string, args ...any) Result {
	res.Failed = true
	res.Msg = fmt.Sprintf(format, args...)
	return res
}

// cmdErr describes a helper command that failed.
func cmdErr(what string, out host.Result, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := strings.TrimSpace(out.Stderr)
	if msg == "" {
		msg = strings.TrimSpace(out.Stdout)
	}
	return fmt.Errorf("%s: exit %d: %s", what, out.ExitCode, msg)
}
