package module

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"lvslab/internal/host"
)

// OctalMode is a permission mode written the way chmod takes it: 0644,
// "0644", "644" and 0o644 all mean rw-r--r--. Digits are always octal, also
// without a leading zero (unlike Ansible, where a bare 644 is decimal). The
// zero value means "not given".
type OctalMode struct {
	Bits uint32 // permission bits, at most 07777
	Set  bool
}

// UnmarshalYAML reads a scalar of octal digits.
func (m *OctalMode) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d:%d: mode: want an octal mode like 0644", n.Line, n.Column)
	}
	mode, err := ParseOctalMode(n.Value)
	if err != nil {
		return fmt.Errorf("line %d:%d: %w", n.Line, n.Column, err)
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
				return fmt.Errorf("line %d:%d: want a string, got a %s", c.Line, c.Column, kindName(c.Kind))
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return fmt.Errorf("line %d:%d: want a string or a list of strings, got a %s", n.Line, n.Column, kindName(n.Kind))
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "scalar"
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
		return fmt.Errorf("line %d:%d: want a command string or a mapping, got a %s", n.Line, n.Column, kindName(n.Kind))
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

// joinErrs reports every problem of a Validate at once.
func joinErrs(module string, errs []string) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s: %s", module, errs[0])
	}
	return fmt.Errorf("%s: %s", module, strings.Join(errs, "; "))
}

// oneOf reports whether v is one of the allowed values.
func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// parseKV reads `key=value` lines into a map, stopping at a line equal to
// stop (when stop is not empty); it returns the map, the text after stop and
// whether stop was seen.
func parseKV(out, stop string) (map[string]string, string, bool) {
	kv := map[string]string{}
	rest := out
	for rest != "" {
		line, tail, _ := strings.Cut(rest, "\n")
		if stop != "" && line == stop {
			return kv, tail, true
		}
		rest = tail
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	return kv, "", false
}
