package jinja

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// textFilters are Ansible's filters on strings: regular expressions,
// quoting, comments, paths, encodings and hashes.
func textFilters() map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		"regex_replace": wrap("regex_replace", filter{[]string{"pattern?", "replacement?", "ignorecase?", "multiline?", "count?"}, regexReplace}),
		"regex_search":  wrap("regex_search", filter{[]string{"regex", "*", "**"}, regexSearch}),
		"regex_findall": wrap("regex_findall", filter{[]string{"regex", "multiline?", "ignorecase?"}, regexFindall}),
		"regex_escape":  wrap("regex_escape", filter{[]string{"re_type?"}, regexEscape}),
		"quote":         wrap("quote", filter{nil, func(in any, _ args) (any, error) { return shellQuote(textOf(in)), nil }}),
		"comment":       wrap("comment", filter{[]string{"style?", "**"}, comment}),
		"basename":      wrap("basename", filter{nil, func(in any, _ args) (any, error) { return pyBasename(textOf(in)), nil }}),
		"dirname":       wrap("dirname", filter{nil, func(in any, _ args) (any, error) { return pyDirname(textOf(in)), nil }}),
		"splitext":      wrap("splitext", filter{nil, func(in any, _ args) (any, error) { return splitext(textOf(in)), nil }}),
		"split":         wrap("split", filter{[]string{"seperator?", "maxsplit?"}, pySplit}),
		"expanduser":    wrap("expanduser", filter{nil, func(in any, _ args) (any, error) { return expandUser(textOf(in)), nil }}),
		"realpath":      wrap("realpath", filter{nil, func(in any, _ args) (any, error) { return realpath(textOf(in)), nil }}),
		"b64encode": wrap("b64encode", filter{[]string{"encoding?", "errors?"}, func(in any, _ args) (any, error) {
			return base64.StdEncoding.EncodeToString([]byte(textOf(in))), nil
		}}),
		"b64decode": wrap("b64decode", filter{[]string{"encoding?", "errors?"}, func(in any, _ args) (any, error) {
			s := strings.TrimRight(textOf(in), "=")
			b, err := base64.RawStdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("invalid base64-encoded string: %v", err)
			}
			return strings.ToValidUTF8(string(b), "\uFFFD"), nil
		}}),
		"hash":     wrap("hash", filter{[]string{"hashtype?"}, hashFilter}),
		"checksum": wrap("checksum", filter{nil, func(in any, _ args) (any, error) { return digest("sha1", textOf(in)) }}),
		"md5":      wrap("md5", filter{nil, func(in any, _ args) (any, error) { return digest("md5", textOf(in)) }}),
		"sha1":     wrap("sha1", filter{nil, func(in any, _ args) (any, error) { return digest("sha1", textOf(in)) }}),
	}
}

// textOf is Ansible's to_text with nonstring='simplerepr'.
func textOf(x any) string { return str(x) }

// pyRegexp compiles a Python regular expression for RE2 (which has no
// backreferences nor lookaround; those fail to compile).
func pyRegexp(pattern string, ignorecase, multiline bool) (*regexp.Regexp, error) {
	flags := ""
	if ignorecase {
		flags += "i"
	}
	if multiline {
		flags += "m"
	}
	p := strings.ReplaceAll(pattern, `\Z`, `\z`)
	if flags != "" {
		p = "(?" + flags + ")" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression %s: %v", pyQuote(pattern), err)
	}
	return re, nil
}

// groupRefRE finds Python's replacement references: \1, \g<1>, \g<name>.
var groupRefRE = regexp.MustCompile(`\\(?:(\d{1,2})|g<([^>]+)>|(.))`)

// pyTemplate expands a Python re.sub replacement for one match.
func pyTemplate(re *regexp.Regexp, repl, src string, m []int) (string, error) {
	var b strings.Builder
	var err error
	last := 0
	for _, r := range groupRefRE.FindAllStringSubmatchIndex(repl, -1) {
		b.WriteString(repl[last:r[0]])
		last = r[1]
		var g string
		switch {
		case r[2] >= 0:
			g = repl[r[2]:r[3]]
		case r[4] >= 0:
			g = repl[r[4]:r[5]]
		default:
			esc := repl[r[6]:r[7]]
			if e, ok := map[string]string{"n": "\n", "t": "\t", "r": "\r", `\`: `\`, "a": "\a", "f": "\f", "v": "\v"}[esc]; ok {
				b.WriteString(e)
			} else {
				b.WriteString(`\` + esc)
			}
			continue
		}
		idx, convErr := strconv.Atoi(g)
		if convErr != nil {
			idx = re.SubexpIndex(g)
		}
		if idx < 0 || idx > re.NumSubexp() {
			err = fmt.Errorf("invalid group reference %s", g)
			continue
		}
		if m[2*idx] >= 0 {
			b.WriteString(src[m[2*idx]:m[2*idx+1]])
		}
	}
	b.WriteString(repl[last:])
	return b.String(), err
}

func regexReplace(in any, a args) (any, error) {
	re, err := pyRegexp(a.str("pattern", ""), a.bool("ignorecase", false), a.bool("multiline", false))
	if err != nil {
		return nil, err
	}
	count, err := a.int("count", 0)
	if err != nil {
		return nil, err
	}
	src, repl := textOf(in), a.str("replacement", "")
	var b strings.Builder
	last := 0
	for n, m := range re.FindAllStringSubmatchIndex(src, -1) {
		if count > 0 && n >= count {
			break
		}
		s, err := pyTemplate(re, repl, src, m)
		if err != nil {
			return nil, err
		}
		b.WriteString(src[last:m[0]] + s)
		last = m[1]
	}
	b.WriteString(src[last:])
	return b.String(), nil
}

func regexSearch(in any, a args) (any, error) {
	for k := range a.vals {
		if k != "regex" && k != "ignorecase" && k != "multiline" {
			return nil, fmt.Errorf("unexpected keyword argument '%s'", k)
		}
	}
	re, err := pyRegexp(a.str("regex", ""), a.bool("ignorecase", false), a.bool("multiline", false))
	if err != nil {
		return nil, err
	}
	src := textOf(in)
	m := re.FindStringSubmatchIndex(src)
	if m == nil {
		return nil, nil
	}
	if len(a.rest) == 0 {
		return src[m[0]:m[1]], nil
	}
	res := []any{}
	for _, g := range a.rest {
		s, ok := g.(string)
		if !ok || !strings.HasPrefix(s, `\`) {
			return nil, fmt.Errorf("Unknown argument")
		}
		v, err := pyTemplate(re, s, src, m)
		if err != nil {
			return nil, err
		}
		res = append(res, v)
	}
	return res, nil
}

func regexFindall(in any, a args) (any, error) {
	re, err := pyRegexp(a.str("regex", ""), a.bool("ignorecase", false), a.bool("multiline", false))
	if err != nil {
		return nil, err
	}
	res := []any{}
	for _, m := range re.FindAllStringSubmatch(textOf(in), -1) {
		switch len(m) {
		case 1:
			res = append(res, m[0])
		case 2:
			res = append(res, m[1])
		default:
			row := []any{}
			for _, g := range m[1:] {
				row = append(row, g)
			}
			res = append(res, row)
		}
	}
	return res, nil
}

func regexEscape(in any, a args) (any, error) {
	s := textOf(in)
	var special string
	switch t := a.str("re_type", "python"); t {
	case "python":
		special = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f"
	case "posix_basic":
		special = "].[^$*\\"
	case "posix_extended":
		return nil, fmt.Errorf("Regex type (%s) not yet implemented", t)
	default:
		return nil, fmt.Errorf("Invalid regex type (%s)", t)
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(special, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// unsafeShellRE is shlex's test for a string that needs quoting.
var unsafeShellRE = regexp.MustCompile(`[^\w@%+=:,./-]`)

// shellQuote is Python's shlex.quote (Ansible's quote filter; None is ”).
func shellQuote(s string) string {
	if s == "None" {
		s = ""
	}
	if s == "" {
		return "''"
	}
	if !unsafeShellRE.MatchString(s) && isASCII(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// commentStyles are Ansible's predefined comment styles.
var commentStyles = map[string]map[string]string{
	"plain":  {"decoration": "# "},
	"erlang": {"decoration": "% "},
	"c":      {"decoration": "// "},
	"cblock": {"beginning": "/*", "decoration": " * ", "end": " */"},
	"xml":    {"beginning": "<!--", "decoration": " - ", "end": "-->"},
}

// comment is Ansible's comment filter.
func comment(in any, a args) (any, error) {
	style, ok := commentStyles[a.str("style", "plain")]
	if !ok {
		return nil, fmt.Errorf("unknown comment style %s", pyQuote(a.str("style", "")))
	}
	pre := style["decoration"]
	if a.has("decoration") {
		pre = a.str("decoration", "")
	}
	p := map[string]any{"newline": "\n", "beginning": "", "prefix": strings.TrimRight(pre, " \t\n"), "prefix_count": 1,
		"decoration": "", "postfix": strings.TrimRight(pre, " \t\n"), "postfix_count": 1, "end": ""}
	for k, v := range style {
		p[k] = v
	}
	for k, v := range a.vals {
		if k != "style" {
			p[k] = v
		}
	}
	s := func(k string) string { return str(p[k]) }
	n := func(k string) int { c, _ := args{vals: p}.int(k, 1); return c }
	nl, deco := s("newline"), s("decoration")
	var b strings.Builder
	if s("beginning") != "" {
		b.WriteString(s("beginning") + nl)
	}
	if s("prefix") != "" {
		if s("prefix") != nl {
			b.WriteString(strings.Repeat(s("prefix")+nl, n("prefix_count")))
		} else {
			b.WriteString(strings.Repeat(nl, n("prefix_count")))
		}
	}
	text := deco + strings.ReplaceAll(textOf(in), nl, nl+deco)
	b.WriteString(strings.ReplaceAll(text, deco+nl, strings.TrimRight(deco, " \t\n")+nl))
	for i := 0; i < n("postfix_count"); i++ {
		b.WriteString(nl + s("postfix"))
	}
	if s("end") != "" {
		b.WriteString(nl + s("end"))
	}
	return b.String(), nil
}

// pyBasename is Python's os.path.basename.
func pyBasename(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// pyDirname is Python's os.path.dirname.
func pyDirname(p string) string {
	head := p[:strings.LastIndex(p, "/")+1]
	if t := strings.TrimRight(head, "/"); t != "" {
		return t
	}
	return head
}

// splitext is Python's os.path.splitext.
func splitext(p string) []any {
	base := pyBasename(p)
	dot := strings.LastIndex(base, ".")
	if dot <= 0 || strings.Trim(base[:dot], ".") == "" {
		return []any{p, ""}
	}
	cut := len(p) - len(base) + dot
	return []any{p[:cut], p[cut:]}
}

// expandUser is Python's os.path.expanduser for the current user's "~".
func expandUser(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return strings.TrimRight(home, "/") + p[1:]
}

// realpath is Python's os.path.realpath: symlinks resolved as far as the
// path exists.
func realpath(p string) string {
	if !path.IsAbs(p) {
		wd, _ := os.Getwd()
		p = filepath.Join(wd, p)
	}
	p = filepath.Clean(p)
	rest := ""
	for cur := p; ; cur = filepath.Dir(cur) {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		if cur == "/" {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}

// hashes are hash's algorithms.
var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New,
}

func digest(alg, s string) (string, error) {
	h, ok := hashes[alg]
	if !ok {
		return "", fmt.Errorf("unsupported hash type %s", alg)
	}
	w := h()
	w.Write([]byte(s))
	return hex.EncodeToString(w.Sum(nil)), nil
}

func hashFilter(in any, a args) (any, error) {
	return digest(a.str("hashtype", "sha1"), textOf(in))
}

// pySplit is Ansible's split filter, Python's str.split: on runs of
// whitespace without a separator (or with None), at most maxsplit times.
func pySplit(in any, a args) (any, error) {
	s := textOf(in)
	n, err := a.int("maxsplit", -1)
	if err != nil {
		return nil, err
	}
	var parts []string
	if sep := a.get("seperator", nil); sep == nil {
		parts = strings.Fields(s)
		if n >= 0 && len(parts) > n {
			rest := strings.TrimLeft(s, " \t\n\r\v\f")
			for i := 0; i < n; i++ {
				rest = strings.TrimLeft(rest[len(parts[i]):], " \t\n\r\v\f")
			}
			parts = append(parts[:n:n], rest)
		}
	} else if sep := textOf(sep); sep == "" {
		return nil, fmt.Errorf("empty separator")
	} else {
		parts = strings.SplitN(s, sep, n+1)
		if n < 0 {
			parts = strings.Split(s, sep)
		}
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}
