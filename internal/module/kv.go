package module

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"lvslab/internal/pos"
)

// Free-form arguments, as Ansible 2.14 reads them
// (ansible.parsing.splitter.split_args and parse_kv): `name=nginx
// state=started`, `src=a dest="/b c"`, and for command and shell the
// command with its options (`chdir=/tmp ls -l`). testdata/kv holds the
// cases, with what Ansible's own functions return for them
// (testdata/kv/gen.py, run by hand, writes them).

// rawOptions are the keys parse_kv takes out of a command's free form,
// wherever they are in it; every other word is the command.
var rawOptions = []string{"creates", "removes", "chdir", "executable", "warn", "stdin", "stdin_add_newline", "strip_empty_ends"}

// TakesRawParams reports whether module name takes a free-form command
// (Ansible's RAW_PARAM_MODULES that lvslab has: command, shell, script).
func TakesRawParams(name string) bool {
	return name == "command" || name == "shell" || name == "script"
}

// KV is one key=value of a free-form argument string, with where its
// word starts in the string (a byte offset).
type KV struct {
	Key, Value string
	Offset     int
}

// FreeForm is a free-form argument string taken apart: its key=value
// pairs in order (a key given twice keeps its first place and its last
// value, as a Python dict) and the rest, the words that are no key=value
// (with checkRaw: every word but the command options), joined again.
type FreeForm struct {
	Pairs     []KV
	Raw       string
	RawOffset int // where the first raw word starts
}

// errSplit is split_args' complaint about unbalanced quotes or blocks.
var errSplit = errors.New("unbalanced quotes or jinja2 block in the arguments (quote the whole value)")

// word is one argument of SplitArgs with its byte offset.
type word struct {
	s   string
	off int
}

// SplitArgs splits a free-form argument string as Ansible's split_args:
// at spaces and newlines, except inside quotes and {{ }}, {% %} and {# #}
// blocks; the quotes stay in the words, and the white space inside a word
// is kept as written.
func SplitArgs(args string) ([]string, error) {
	ws, err := splitArgs(args)
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.s
	}
	return out, err
}

func splitArgs(args string) ([]word, error) {
	var params []word
	items := strings.Split(args, "\n")
	var quote rune
	inside := false
	printDepth, blockDepth, commentDepth := 0, 0, 0
	lineOff := 0
	for itemIdx, item := range items {
		tokens := strings.Split(item, " ")
		continuation := false
		off := lineOff
		for idx, token := range tokens {
			tokOff := off
			off += len(token) + 1
			if token == "" && idx != 0 {
				if len(params) == 0 {
					return nil, errors.New("unable to parse the argument string")
				}
				params[len(params)-1].s += " "
				continue
			}
			if token == `\` && !inside {
				continuation = true
				continue
			}
			wasInside := inside
			quote = quoteState(token, quote)
			inside = quote != 0
			appended := false
			inBlock := printDepth > 0 || blockDepth > 0 || commentDepth > 0
			switch {
			case inside && !wasInside && !inBlock:
				params = append(params, word{token, tokOff})
				appended = true
			case inBlock || inside || wasInside:
				if len(params) == 0 {
					return nil, errors.New("unable to parse the argument string")
				}
				last := &params[len(params)-1]
				switch {
				case idx == 0 && wasInside:
					last.s += token
				case len(tokens) > 1:
					if idx > 0 {
						last.s += " "
					}
					last.s += token
				default:
					last.s += "\n" + token
				}
				appended = true
			}
			for _, d := range []struct {
				depth       *int
				open, close string
			}{{&printDepth, "{{", "}}"}, {&blockDepth, "{%", "%}"}, {&commentDepth, "{#", "#}"}} {
				prev := *d.depth
				*d.depth = jinjaDepth(token, prev, d.open, d.close)
				if *d.depth != prev && !appended {
					params = append(params, word{token, tokOff})
					appended = true
				}
			}
			if printDepth == 0 && blockDepth == 0 && commentDepth == 0 && !inside && !appended && token != "" {
				params = append(params, word{token, tokOff})
			}
		}
		if len(items) > 1 && itemIdx != len(items)-1 && !continuation {
			if len(params) == 0 {
				return nil, errors.New("unable to parse the argument string")
			}
			params[len(params)-1].s += "\n"
		}
		lineOff += len(item) + 1
	}
	if printDepth > 0 || blockDepth > 0 || commentDepth > 0 || inside {
		return nil, errSplit
	}
	return params, nil
}

// quoteState is _get_quote_state: the quote open after token, given the
// one open before it; a quote after a backslash is no quote.
func quoteState(token string, quote rune) rune {
	var prev rune
	for _, c := range token {
		if (c == '"' || c == '\'') && prev != '\\' {
			switch {
			case quote == 0:
				quote = c
			case c == quote:
				quote = 0
			}
		}
		prev = c
	}
	return quote
}

// jinjaDepth is _count_jinja2_blocks.
func jinjaDepth(token string, depth int, open, close string) int {
	if o, c := strings.Count(token, open), strings.Count(token, close); o != c {
		depth = max(depth+o-c, 0)
	}
	return depth
}

// ParseKV takes a free-form argument string apart as Ansible's parse_kv:
// key=value words (the first = not after a backslash; escapes like \n and
// \" decoded; the value's matching outer quotes removed) and the rest.
// With checkRaw (command and shell) only the command options are taken as
// key=value, wherever they are; the other words, as written, are the
// command.
func ParseKV(s string, checkRaw bool) (FreeForm, error) {
	ws, err := splitArgs(s)
	if err != nil {
		return FreeForm{}, err
	}
	var ff FreeForm
	var raw []word
	index := map[string]int{}
	for _, w := range ws {
		x := decodeEscapes(w.s)
		if !strings.Contains(x, "=") {
			raw = append(raw, w)
			continue
		}
		at := kvSplit(x)
		if at < 0 {
			raw = append(raw, word{strings.ReplaceAll(x, `\=`, "="), w.off})
			continue
		}
		k, v := x[:at], x[at+1:]
		if checkRaw && !contains(rawOptions, k) {
			raw = append(raw, w)
			continue
		}
		k, v = strings.TrimSpace(k), unquote(strings.TrimSpace(v))
		if i, ok := index[k]; ok {
			ff.Pairs[i].Value = v
			continue
		}
		index[k] = len(ff.Pairs)
		ff.Pairs = append(ff.Pairs, KV{Key: k, Value: v, Offset: w.off})
	}
	if len(raw) > 0 {
		ff.RawOffset = raw[0].off
		var b strings.Builder
		for _, w := range raw {
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
				b.WriteByte(' ')
			}
			b.WriteString(w.s)
		}
		ff.Raw = b.String()
	}
	return ff, nil
}

// kvSplit returns the index of the = that ends x's key: the first one
// after the first character that no backslash escapes, or -1.
func kvSplit(x string) int {
	for i := 1; i < len(x); i++ {
		if x[i] == '=' && x[i-1] != '\\' {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unquote is Ansible's unquote: the outer quotes of a value quoted at both
// ends with the same quote (the last one not after a backslash) removed.
func unquote(s string) string {
	if len(s) > 1 && s[0] == s[len(s)-1] && (s[0] == '"' || s[0] == '\'') && s[len(s)-2] != '\\' {
		return s[1 : len(s)-1]
	}
	return s
}

var escapeRE = regexp.MustCompile(`\\U[0-9a-fA-F]{8}|\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\[\\'"abfnrtv]`)

// decodeEscapes decodes the escapes Ansible's _decode_escapes does (but
// \N{NAME}, which is left as it is).
func decodeEscapes(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return escapeRE.ReplaceAllStringFunc(s, func(e string) string {
		switch e[1] {
		case 'U', 'u', 'x':
			n, err := strconv.ParseUint(e[2:], 16, 32)
			if err != nil || !utf8.ValidRune(rune(n)) {
				return e
			}
			return string(rune(n))
		}
		return map[byte]string{'\\': `\`, '\'': "'", '"': `"`, 'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v"}[e[1]]
	})
}

// KVNode turns a free-form argument scalar n into the mapping it means,
// for module (its raw words go to cmd when TakesRawParams(module), else
// they are an error). Keys and values are string scalars placed where
// their word is: on n's line and, in a one-line scalar, at their column.
// Errors are *pos.Error without a file, at n (or at the word).
func KVNode(module string, n *yaml.Node) (*yaml.Node, error) {
	ff, err := ParseKV(n.Value, TakesRawParams(module))
	if err != nil {
		return nil, pos.Errorf(pos.At("", n), "free-form arguments %q: %w", n.Value, err)
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	str := func(s string, off int) *yaml.Node {
		line, col := wordPos(n, off)
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: line, Column: col}
	}
	for _, kv := range ff.Pairs {
		m.Content = append(m.Content, str(kv.Key, kv.Offset), str(kv.Value, kv.Offset+len(kv.Key)+1))
	}
	if ff.Raw != "" {
		if !TakesRawParams(module) {
			line, col := wordPos(n, ff.RawOffset)
			return nil, pos.Errorf(pos.Pos{Line: line, Col: col}, "%q is no key=value argument (only command and shell take a free-form command)", ff.Raw)
		}
		// The command is the free form: its errors are placed at it.
		m.Content = append(m.Content, str("cmd", 0), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ff.Raw, Line: n.Line, Column: n.Column})
	}
	return m, nil
}

// wordPos is where the word at byte offset off of n's value is in the
// file: at its column in a one-line plain or quoted scalar (exact without
// escapes), else at n.
func wordPos(n *yaml.Node, off int) (line, col int) {
	if strings.Contains(n.Value, "\n") || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line, n.Column
	}
	col = n.Column + utf8.RuneCountInString(n.Value[:min(off, len(n.Value))])
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
		col++
	}
	return n.Line, col
}
