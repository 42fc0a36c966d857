package module

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
	"lvslab/internal/pos"
)

// OctalMode is a permission mode written the way chmod takes it: 0644,
// "0644", "644" and 0o644 all mean rw-r--r--. Digits are always octal, also
// without a leading zero (unlike Ansible, where a bare 644 is decimal). The
// zero value means "not given".
type OctalMode struct {
	Bits uint32 // permission bits, at most 07777
	Set  bool
}

// UnmarshalYAML reads a scalar of octal digits. Its error does not quote
// the value (it may be a secret given to the wrong key).
func (m *OctalMode) UnmarshalYAML(n *yaml.Node) error {
	mode, err := ParseOctalMode(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return pos.Errorf(pos.At("", n), "mode: want an octal mode like 0644, got %s", kindOf(n))
	}
	*m = mode
	return nil
}

// ParseOctalMode parses s as OctalMode.UnmarshalYAML does; "" is not set.
func ParseOctalMode(s string) (OctalMode, error) {
	v := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0o"), "0O")
	if v == "" {
		if s == "" {
			return OctalMode{}, nil
		}
		v = "0"
	}
	bits, err := strconv.ParseUint(v, 8, 32)
	if err != nil || bits > 07777 {
		return OctalMode{}, fmt.Errorf("mode %q: want an octal mode like 0644", s)
	}
	return OctalMode{Bits: uint32(bits), Set: true}, nil
}

// String returns the mode as four octal digits, as chmod takes it.
func (m OctalMode) String() string { return fmt.Sprintf("%04o", m.Bits) }

// stat returns the mode as `stat -c %a` prints it (no leading zeros).
func (m OctalMode) stat() string { return strconv.FormatUint(uint64(m.Bits), 8) }

// FileMode converts the mode to Go's fs.FileMode, with the setuid, setgid and
// sticky bits in Go's positions.
func (m OctalMode) FileMode() fs.FileMode {
	fm := fs.FileMode(m.Bits & 0777)
	if m.Bits&04000 != 0 {
		fm |= fs.ModeSetuid
	}
	if m.Bits&02000 != 0 {
		fm |= fs.ModeSetgid
	}
	if m.Bits&01000 != 0 {
		fm |= fs.ModeSticky
	}
	return fm
}

// StrList is a list of strings written as a YAML sequence or as one scalar.
type StrList []string

// UnmarshalYAML accepts a scalar (one element) or a sequence of scalars.
func (l *StrList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*l = nil
			return nil
		}
		*l = StrList{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(StrList, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return pos.Errorf(pos.At("", c), "want a string, got %s", pos.Describe(c))
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return pos.Errorf(pos.At("", n), "want a string or a list of strings, got %s", pos.Describe(n))
}

// freeForm decodes a module that also accepts a bare scalar: the scalar goes
// to *cmd, a mapping is decoded strictly into fields (a pointer to a struct
// type without UnmarshalYAML).
func freeForm(n *yaml.Node, cmd *string, fields any) error {
	if n.Kind == yaml.ScalarNode {
		*cmd = n.Value
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return pos.Errorf(pos.At("", n), "want a command string or a mapping, got %s", pos.Describe(n))
	}
	return Decode(n, fields)
}

// trimNL removes one trailing newline (and the \r of a \r\n).
func trimNL(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// outLines splits command output into lines, [] for empty output.
func outLines(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}

// globWord quotes s for the shell but leaves the glob characters * ? [ ]
// unquoted, so that `for f in WORD` expands the pattern.
func globWord(s string) string {
	var b strings.Builder
	start := 0
	for i, r := range s {
		if strings.ContainsRune("*?[]", r) {
			if i > start {
				b.WriteString(host.Quote(s[start:i]))
			}
			b.WriteRune(r)
			start = i + 1
		}
	}
	if start < len(s) || start == 0 {
		b.WriteString(host.Quote(s[start:]))
	}
	return b.String()
}

// quoteWords quotes each word for the shell and joins them with spaces.
func quoteWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = host.Quote(w)
	}
	return strings.Join(q, " ")
}

// stateArg returns a state argument that is present or absent, present
// when not given.
func stateArg(s string, p *problems) string {
	switch s {
	case "":
		return "present"
	case "present", "absent":
	default:
		p.add("state must be present or absent, not %q", s)
	}
	return s
}

// boolArg returns *b, or def when b is nil (the argument was not given).
func boolArg(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// orDefault returns v, or def when v is the zero value (not given).
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ifName reports whether s is a valid Linux interface name (or label).
func ifName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '/' || r > '~' || strings.ContainsRune(`'"\$;&|<>*?[]{}()`+"`", r) {
			return false
		}
	}
	return true
}
