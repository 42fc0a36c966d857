package module

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// Stat reports on a path as Ansible's stat does, changing nothing: the
// registered stat holds exists and, for a path that exists, Ansible's
// fields with their names and types (path, mode "0644", isdir, isreg,
// islnk, ischr, isblk, isfifo, issock, uid, gid, pw_name, gr_name, size,
// inode, dev, nlink, atime, mtime, ctime (floats, in seconds), blocks,
// block_size, device_type, the nine rwx bits, isuid, isgid, readable,
// writeable, executable (for the connecting user), lnk_source and
// lnk_target of a link, checksum of a readable regular file, mimetype and
// charset (file --mime-type, "unknown" without file), version, attributes
// and attr_flags (lsattr)).
//
// Arguments: path (aliases dest, name; required), follow (false: a link is
// reported as a link; true: its target), get_checksum (true),
// checksum_algorithm (sha1; md5, sha224, sha256, sha384, sha512; aliases
// checksum, checksum_algo), get_mime (true), get_attributes (true), get_md5
// (false; md5 of a regular file). It is never changed, runs the same in
// check mode, and costs one command.
type Stat struct {
	Path          string `yaml:"path"`
	Dest          string `yaml:"dest"` // alias of path
	Name          string `yaml:"name"` // alias of path
	Follow        bool   `yaml:"follow"`
	GetChecksum   *bool  `yaml:"get_checksum"`
	Algorithm     string `yaml:"checksum_algorithm"`
	Checksum      string `yaml:"checksum"`      // alias of checksum_algorithm
	ChecksumAlgo  string `yaml:"checksum_algo"` // alias of checksum_algorithm
	GetMime       *bool  `yaml:"get_mime"`
	GetAttributes *bool  `yaml:"get_attributes"`
	GetMD5        bool   `yaml:"get_md5"`
}

// statWant is what a stat task asks: its arguments with the aliases and
// defaults filled in.
type statWant struct {
	Stat
	sum, mime, attrs bool
}

var statAlgorithms = []string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}

// want fills the aliases and defaults and checks the arguments.
func (m *Stat) want() (statWant, error) {
	var p problems
	w := statWant{Stat: *m, sum: boolArg(m.GetChecksum, true), mime: boolArg(m.GetMime, true), attrs: boolArg(m.GetAttributes, true)}
	w.Path = orDefault(orDefault(m.Path, m.Dest), m.Name)
	if w.Path == "" {
		p.add("path is required")
	}
	w.Algorithm = orDefault(orDefault(orDefault(m.Algorithm, m.Checksum), m.ChecksumAlgo), "sha1")
	if !slices.Contains(statAlgorithms, w.Algorithm) {
		p.add("checksum_algorithm %q: want one of %s", w.Algorithm, strings.Join(statAlgorithms, ", "))
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Stat) Validate() error { _, err := m.want(); return err }

// Apply inspects the path with one command.
func (m *Stat) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "stat "+w.Path, w.script())
	if err == nil {
		err = in.failure("stat " + w.Path)
	}
	if err != nil {
		return Result{}, err
	}
	st, err := w.result(in)
	if err != nil {
		return Result{}, fmt.Errorf("stat %s: %w", w.Path, err)
	}
	if msg, ok := in.kv["error"]; ok {
		return Result{Failed: true, Msg: msg, Data: map[string]any{}}, nil
	}
	return Result{Data: map[string]any{"stat": st}}, nil
}

// statFormat is the stat -c format that statFields reads.
const statFormat = "%f %u %g %s %.9X %.9Y %.9Z %i %d %h %b %o %r %U %G"

// script returns the inspect command: stat's fields, the access tests, the
// link, the checksum, the MIME type and the attributes, as key=value lines.
func (w statWant) script() string {
	var b strings.Builder
	fmt.Fprintf(&b, "p=%s\n", host.Quote(w.Path))
	l, test := "", "[ -e \"$p\" ] || [ -L \"$p\" ]"
	if w.Follow {
		l, test = "-L ", "[ -e \"$p\" ]"
	}
	fmt.Fprintf(&b, "if ! { %s; }; then echo exists=0; exit 0; fi\n", test)
	fmt.Fprintf(&b, "s=$(stat %s-c '%s' -- \"$p\" 2>&1) || { echo \"error=$s\"; exit 0; }\necho \"st=$s\"\n", l, statFormat)
	b.WriteString("[ -r \"$p\" ] && echo r=1; [ -w \"$p\" ] && echo w=1; [ -x \"$p\" ] && echo x=1\n")
	b.WriteString("if [ -L \"$p\" ]; then echo \"src=$(realpath -m -- \"$p\")\"; echo \"target=$(readlink -- \"$p\")\"; fi\n")
	if w.sum || w.GetMD5 {
		b.WriteString("if [ -f \"$p\" ] && [ -r \"$p\" ]; then\n")
		if w.sum {
			fmt.Fprintf(&b, "  printf 'sum='; %ssum < \"$p\"\n", w.Algorithm)
		}
		if w.GetMD5 {
			b.WriteString("  printf 'md5='; md5sum < \"$p\"\n")
		}
		b.WriteString("fi\n")
	}
	if w.mime {
		b.WriteString("command -v file >/dev/null 2>&1 && printf 'mime=%s\\n' \"$(file --mime-type --mime-encoding -- \"$p\" 2>/dev/null)\"\n")
	}
	if w.attrs {
		b.WriteString("command -v lsattr >/dev/null 2>&1 && printf 'lsattr=%s\\n' \"$(lsattr -vd -- \"$p\" 2>/dev/null)\"\n")
	}
	b.WriteString("exit 0\n")
	return b.String()
}

// result builds Ansible's stat dictionary from the inspection.
func (w statWant) result(in inspection) (map[string]any, error) {
	if in.kv["exists"] == "0" {
		return map[string]any{"exists": false}, nil
	}
	if _, failed := in.kv["error"]; failed {
		return nil, nil
	}
	st, err := statFields(in.kv["st"])
	if err != nil {
		return nil, err
	}
	st["path"] = w.Path
	st["readable"], st["writeable"], st["executable"] = in.kv["r"] == "1", in.kv["w"] == "1", in.kv["x"] == "1"
	if st["islnk"] == true {
		st["lnk_source"], st["lnk_target"] = in.kv["src"], in.kv["target"]
	}
	if st["isreg"] == true && st["readable"] == true {
		if w.sum {
			st["checksum"], _, _ = strings.Cut(in.kv["sum"], " ")
		}
		if w.GetMD5 {
			st["md5"], _, _ = strings.Cut(in.kv["md5"], " ")
		}
	}
	if w.mime {
		st["mimetype"], st["charset"] = "unknown", "unknown"
		if m := in.kv["mime"]; strings.Contains(m, ":") {
			m = m[strings.LastIndex(m, ":")+1:]
			if typ, cs, ok := strings.Cut(m, ";"); ok {
				st["mimetype"] = strings.TrimSpace(typ)
				if _, v, ok := strings.Cut(cs, "="); ok {
					st["charset"] = strings.TrimSpace(v)
				}
			}
		}
	}
	if w.attrs {
		st["version"], st["attributes"], st["attr_flags"] = nil, []any{}, ""
		if f := strings.Fields(in.kv["lsattr"]); len(f) >= 2 {
			flags := strings.ReplaceAll(f[1], "-", "")
			st["version"], st["attr_flags"], st["attributes"] = f[0], flags, fileAttributes(flags)
		}
	}
	return st, nil
}

// statFields reads one line of statFormat into Ansible's fields of
// format_output, with pw_name and gr_name when the host knows the names.
func statFields(line string) (map[string]any, error) {
	f := strings.Fields(line)
	if len(f) != 15 {
		return nil, fmt.Errorf("unexpected stat output %q", line)
	}
	raw, err := strconv.ParseUint(f[0], 16, 32)
	if err != nil {
		return nil, fmt.Errorf("unexpected stat mode %q", f[0])
	}
	mode := uint32(raw)
	num := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	sec := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	st := statMode(mode)
	for k, v := range map[string]any{
		"uid": num(f[1]), "gid": num(f[2]), "size": num(f[3]),
		"atime": sec(f[4]), "mtime": sec(f[5]), "ctime": sec(f[6]),
		"inode": num(f[7]), "dev": num(f[8]), "nlink": num(f[9]),
		"blocks": num(f[10]), "block_size": num(f[11]), "device_type": num(f[12]),
	} {
		st[k] = v
	}
	if f[13] != "UNKNOWN" {
		st["pw_name"] = f[13]
	}
	if f[14] != "UNKNOWN" {
		st["gr_name"] = f[14]
	}
	return st, nil
}

// statMode returns the fields that Ansible derives from st_mode.
func statMode(mode uint32) map[string]any {
	typ := mode & 0o170000
	bit := func(b uint32) bool { return mode&b != 0 }
	return map[string]any{
		"exists": true, "mode": fmt.Sprintf("%04o", mode&0o7777),
		"isdir": typ == 0o040000, "ischr": typ == 0o020000, "isblk": typ == 0o060000, "isreg": typ == 0o100000,
		"isfifo": typ == 0o010000, "islnk": typ == 0o120000, "issock": typ == 0o140000,
		"rusr": bit(0o400), "wusr": bit(0o200), "xusr": bit(0o100),
		"rgrp": bit(0o40), "wgrp": bit(0o20), "xgrp": bit(0o10),
		"roth": bit(0o4), "woth": bit(0o2), "xoth": bit(0o1),
		"isuid": bit(0o4000), "isgid": bit(0o2000),
	}
}

// fileAttrNames are lsattr's flags by Ansible's names (FILE_ATTRIBUTES).
var fileAttrNames = map[rune]string{
	'A': "noatime", 'a': "append", 'c': "compressed", 'C': "nocow", 'd': "nodump", 'D': "dirsync",
	'e': "extents", 'E': "encrypted", 'h': "blocksize", 'i': "immutable", 'I': "indexed",
	'j': "journalled", 'N': "inline", 's': "zero", 'S': "synchronous", 't': "notail",
	'T': "blockroot", 'u': "undelete", 'X': "compressedraw", 'Z': "compresseddirty",
}

func fileAttributes(flags string) []any {
	out := []any{}
	for _, r := range flags {
		if n, ok := fileAttrNames[r]; ok {
			out = append(out, n)
		}
	}
	return out
}
