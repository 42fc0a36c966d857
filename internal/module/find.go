package module

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"lvslab/internal/host"
)

// Find lists the files of directories on the host that match, as Ansible's
// find: files holds one dictionary per match (path and Ansible's statinfo
// fields: mode, isdir, isreg, islnk, uid, gid, pw_name, gr_name, size,
// inode, dev, nlink, atime, mtime, ctime, the rwx bits, isuid, isgid; with
// get_checksum, checksum), matched their number, examined the number of
// entries looked at, skipped_paths the paths that are no directory, and msg
// "All paths examined" (or Ansible's message when some were skipped).
//
// Arguments: paths (aliases path, name; a list or a comma-separated
// string; required), patterns (alias pattern; default * or, with use_regex,
// .*), excludes (alias exclude), use_regex (false: shell patterns as
// Python's fnmatch; true: Go RE2 regular expressions anchored at the start,
// as re.match), file_type (file, directory, link or any), recurse (false),
// depth, hidden (false: names starting with . are left out), follow
// (false; true descends into linked directories, and then reports what
// links point to), age (e.g. 2d, -1h: older, or with -, younger than;
// units s m h d w), age_stamp (mtime, atime, ctime), size (e.g. 10m, -1k:
// at least, or with -, at most; units b k m g t), contains (a regular
// expression matched at the start of a line, or searched in the whole file
// with read_whole_file; run by grep -P on the host), get_checksum (false;
// sha1). It is never changed and runs the same in check mode: one find
// command, and one more for contains or get_checksum.
type Find struct {
	Paths         StrList `yaml:"paths"`
	Path          StrList `yaml:"path"` // alias of paths
	Name          StrList `yaml:"name"` // alias of paths
	Patterns      StrList `yaml:"patterns"`
	Pattern       StrList `yaml:"pattern"` // alias of patterns
	Excludes      StrList `yaml:"excludes"`
	Exclude       StrList `yaml:"exclude"` // alias of excludes
	UseRegex      bool    `yaml:"use_regex"`
	FileType      string  `yaml:"file_type"`
	Recurse       bool    `yaml:"recurse"`
	Depth         int     `yaml:"depth"`
	Hidden        bool    `yaml:"hidden"`
	Follow        bool    `yaml:"follow"`
	Age           string  `yaml:"age"`
	AgeStamp      string  `yaml:"age_stamp"`
	Size          string  `yaml:"size"`
	Contains      string  `yaml:"contains"`
	ReadWholeFile bool    `yaml:"read_whole_file"`
	GetChecksum   bool    `yaml:"get_checksum"`
}

// findWant is what a find task asks: the arguments with aliases and
// defaults, the patterns compiled, age and size in seconds and bytes.
type findWant struct {
	Find
	paths              []string
	patterns, excludes []*regexp.Regexp
	age, size          *float64
}

var (
	findAgeRE  = regexp.MustCompile(`^(-?\d+)(s|m|h|d|w)?$`)
	findSizeRE = regexp.MustCompile(`^(-?\d+)(b|k|m|g|t)?$`)
)

// commaList returns a list argument as Ansible's list type reads it: one
// string is split at commas.
func commaList(l StrList) []string {
	if len(l) == 1 && strings.Contains(l[0], ",") {
		return strings.Split(l[0], ",")
	}
	return l
}

// want fills the defaults and checks the arguments.
func (m *Find) want() (findWant, error) {
	var p problems
	w := findWant{Find: *m}
	w.paths = commaList(orList(orList(m.Paths, m.Path), m.Name))
	if len(w.paths) == 0 {
		p.add("paths is required")
	}
	w.FileType = orDefault(m.FileType, "file")
	if !slices.Contains([]string{"file", "directory", "link", "any"}, w.FileType) {
		p.add("file_type %q: want file, directory, link or any", w.FileType)
	}
	w.AgeStamp = orDefault(m.AgeStamp, "mtime")
	if !slices.Contains([]string{"mtime", "atime", "ctime"}, w.AgeStamp) {
		p.add("age_stamp %q: want mtime, atime or ctime", w.AgeStamp)
	}
	pats := commaList(orList(m.Patterns, m.Pattern))
	if len(pats) == 0 {
		pats = []string{map[bool]string{false: "*", true: ".*"}[m.UseRegex]}
	}
	compile := func(list []string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, s := range list {
			src := "^(?:" + s + ")"
			if !m.UseRegex {
				src = fnmatchRE(s)
			}
			re, err := regexp.Compile(src)
			if err != nil {
				p.add("pattern %q: %w", s, err)
				continue
			}
			out = append(out, re)
		}
		return out
	}
	w.patterns, w.excludes = compile(pats), compile(commaList(orList(m.Excludes, m.Exclude)))
	units := func(name, s string, re *regexp.Regexp, per map[string]float64) *float64 {
		if s == "" {
			return nil
		}
		mt := re.FindStringSubmatch(strings.ToLower(s))
		if mt == nil {
			p.add("failed to process %s %q", name, s)
			return nil
		}
		n, _ := strconv.ParseFloat(mt[1], 64)
		v := n * orDefault(per[mt[2]], 1)
		return &v
	}
	w.age = units("age", m.Age, findAgeRE, map[string]float64{"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800})
	w.size = units("size", m.Size, findSizeRE, map[string]float64{"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40})
	if m.Contains != "" {
		if _, err := regexp.Compile(m.Contains); err != nil {
			p.add("contains: %w", err)
		}
	}
	if w.FileType != "file" {
		w.Contains = "" // as Ansible, contains is for files only
	}
	if m.Depth < 0 {
		p.add("depth must not be negative")
	}
	return w, p.err()
}

func orList(l, def StrList) StrList {
	if len(l) == 0 {
		return def
	}
	return l
}

// fnmatchRE translates a shell pattern as Python's fnmatch.translate.
func fnmatchRE(pat string) string {
	var b strings.Builder
	b.WriteString("^(?s:")
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < len(pat) && pat[j] == '!' {
				j++
			}
			if j < len(pat) && pat[j] == ']' {
				j++
			}
			for j < len(pat) && pat[j] != ']' {
				j++
			}
			if j >= len(pat) {
				b.WriteString(`\[`)
				continue
			}
			set := pat[i+1 : j]
			if strings.HasPrefix(set, "!") {
				set = "^" + set[1:]
			} else if strings.HasPrefix(set, "^") {
				set = `\` + set
			}
			b.WriteString("[" + strings.ReplaceAll(set, `\`, `\\`) + "]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)\z`)
	return b.String()
}

// Validate reports every problem of the arguments.
func (m *Find) Validate() error { _, err := m.want(); return err }

// findFormat is the find -printf format of one entry: its type, statFormat's
// fields as find prints them, and its path.
const findFormat = `f=%y %m %U %G %s %A@ %T@ %C@ %i %D %n %b %u %g\t%p\n`

// Apply lists the entries with one command (two with contains or get_checksum).
func (m *Find) Apply(ctx context.Context, h host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	in, err := inspect(ctx, h, "find", w.script())
	if err == nil {
		err = in.failure("find")
	}
	if err != nil {
		return Result{}, err
	}
	now, _ := strconv.ParseFloat(in.kv["now"], 64)
	files, examined, skipped := []map[string]any{}, 0, map[string]any{}
	for _, d := range in.values("skip") {
		skipped[d] = fmt.Sprintf("'%s' is not a directory", d)
	}
	for _, line := range in.values("f") {
		e, top, err := findEntry(line)
		if err != nil {
			return Result{}, fmt.Errorf("find: %w", err)
		}
		examined++
		if w.keep(e, top, now) {
			files = append(files, e)
		}
	}
	if w.Contains != "" || w.GetChecksum {
		if files, err = w.byContent(ctx, h, files); err != nil {
			return Result{}, err
		}
	}
	msg := "All paths examined"
	if len(skipped) > 0 {
		msg = "Not all paths examined, check warnings for details"
	}
	list := make([]any, len(files))
	for i, f := range files {
		delete(f, "_depth")
		list[i] = f
	}
	return Result{Msg: msg, Data: map[string]any{"files": list, "matched": len(files), "examined": examined, "skipped_paths": skipped}}, nil
}

// script returns the find command over every path.
func (w findWant) script() string {
	var b strings.Builder
	b.WriteString("echo \"now=$(date +%s.%N)\"\n")
	opts, l := "", ""
	switch {
	case !w.Recurse:
		opts = " -maxdepth 1"
	case w.Depth > 0:
		opts = fmt.Sprintf(" -maxdepth %d", w.Depth+1)
	}
	if w.Follow {
		l = "-L "
	}
	for _, p := range w.paths {
		q := host.Quote(p)
		fmt.Fprintf(&b, "if [ -d %s ]; then find %s%s -mindepth 1%s -printf '%s' 2>/dev/null; else printf 'skip=%%s\\n' %s; fi\n",
			q, l, q, opts, strings.ReplaceAll(findFormat, `\t`, `\t`+"d="+strconv.Itoa(strings.Count(strings.TrimRight(path.Clean(p), "/"), "/"))+`\t`), q)
	}
	b.WriteString("exit 0\n")
	return b.String()
}

// findEntry reads one line of findFormat into Ansible's statinfo fields
// (and _depth, below the searched path).
func findEntry(line string) (map[string]any, int, error) {
	fields, rest, _ := strings.Cut(line, "\t")
	d, p, _ := strings.Cut(rest, "\t")
	base, _ := strconv.Atoi(strings.TrimPrefix(d, "d="))
	f := strings.Fields(fields)
	if len(f) != 14 {
		return nil, 0, fmt.Errorf("unexpected find output %q", line)
	}
	perm, _ := strconv.ParseUint(f[1], 8, 32)
	typ := map[string]uint32{"f": 0o100000, "d": 0o040000, "l": 0o120000, "c": 0o020000, "b": 0o060000, "p": 0o010000, "s": 0o140000}[f[0]]
	// statFields takes stat's order: raw mode, uid, gid, size, times,
	// inode, dev, nlink, blocks, block size, rdev, user, group.
	st, err := statFields(strings.Join([]string{strconv.FormatUint(uint64(typ|uint32(perm)), 16), f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], "0", "0", f[12], f[13]}, " "))
	if err != nil {
		return nil, 0, err
	}
	for _, k := range []string{"exists", "blocks", "block_size", "device_type"} {
		delete(st, k)
	}
	for _, k := range []string{"pw_name", "gr_name"} {
		if n, ok := st[k].(string); !ok || isDigits(n) {
			st[k] = "" // no name: find prints the number
		}
	}
	st["path"] = path.Clean(p)
	depth := strings.Count(st["path"].(string), "/") - base
	st["_depth"] = depth
	return st, depth, nil
}

func isDigits(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// keep applies the type, depth, hidden, pattern, age and size filters.
func (w findWant) keep(e map[string]any, depth int, now float64) bool {
	name := path.Base(e["path"].(string))
	if w.Depth > 0 && depth > w.Depth || !w.Hidden && strings.HasPrefix(name, ".") {
		return false
	}
	switch w.FileType {
	case "file":
		if e["isreg"] != true {
			return false
		}
	case "directory":
		if e["isdir"] != true {
			return false
		}
	case "link":
		if e["islnk"] != true {
			return false
		}
	}
	if !slices.ContainsFunc(w.patterns, func(re *regexp.Regexp) bool { return re.MatchString(name) }) ||
		slices.ContainsFunc(w.excludes, func(re *regexp.Regexp) bool { return re.MatchString(name) }) {
		return false
	}
	if w.age != nil {
		old := now - e[w.AgeStamp].(float64)
		if *w.age >= 0 && old < *w.age || *w.age < 0 && old > -*w.age {
			return false
		}
	}
	if w.size != nil && (w.FileType == "file" || e["isreg"] == true) {
		size := float64(e["size"].(int64))
		if *w.size >= 0 && size < *w.size || *w.size < 0 && size > -*w.size {
			return false
		}
	}
	return true
}

// byContent keeps the regular files whose content matches contains, and
// adds their checksums with get_checksum, in one command.
func (w findWant) byContent(ctx context.Context, h host.Executor, files []map[string]any) ([]map[string]any, error) {
	var b strings.Builder
	grep := ""
	if w.Contains != "" {
		z := ""
		pat := "^(?:" + w.Contains + ")"
		if w.ReadWholeFile {
			z, pat = "z", w.Contains
		}
		grep = "grep -qP" + z + " -- " + host.Quote(pat) + " \"$f\" 2>/dev/null && "
	}
	for i, f := range files {
		if f["isreg"] != true {
			continue
		}
		fmt.Fprintf(&b, "f=%s; %secho \"hit=%d $(", host.Quote(f["path"].(string)), grep, i)
		if w.GetChecksum {
			b.WriteString("sha1sum < \"$f\"")
		}
		b.WriteString(")\"\n")
	}
	b.WriteString("exit 0\n")
	in, err := inspect(ctx, h, "find contains", b.String())
	if err == nil {
		err = in.failure("find contains")
	}
	if err != nil {
		return nil, err
	}
	var kept []map[string]any
	hits := map[int]string{}
	for _, v := range in.values("hit") {
		n, sum, _ := strings.Cut(v, " ")
		i, _ := strconv.Atoi(n)
		hits[i], _, _ = strings.Cut(sum, " ")
	}
	for i, f := range files {
		sum, hit := hits[i]
		switch {
		case f["isreg"] != true && w.Contains == "":
		case !hit:
			continue
		case w.GetChecksum:
			f["checksum"] = sum
		}
		kept = append(kept, f)
	}
	return kept, nil
}
