package ansiblecfg

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// iniValue is one option of an INI file: its value and the line it starts on.
type iniValue struct {
	lines []string
	line  int
}

// iniFile is an INI file as Python's configparser.ConfigParser
// (inline_comment_prefixes=(';',)), which Ansible reads ansible.cfg with,
// parses it: sections by their exact name, option names lower-cased,
// [DEFAULT] options in every section.
type iniFile struct {
	path     string
	sections map[string]map[string]*iniValue
	defaults map[string]*iniValue
}

var optionRe = regexp.MustCompile(`^(.*?)\s*([=:])\s*(.*)$`)

// parseINI parses data as configparser does; errors name path:line. As
// configparser is strict, a section or an option given twice is an error.
func parseINI(path string, data []byte) (*iniFile, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: not UTF-8", path)
	}
	f := &iniFile{path: path, sections: map[string]map[string]*iniValue{}, defaults: map[string]*iniValue{}}
	var cur map[string]*iniValue
	var opt *iniValue
	sect, indent := "", -1
	seen := map[string]bool{}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	for n, line := range strings.Split(text, "\n") {
		lineNo := n + 1
		uncommented := stripComment(line)
		value := strings.TrimSpace(uncommented)
		if value == "" {
			if opt != nil && uncommented == line {
				opt.lines = append(opt.lines, "")
			}
			continue
		}
		lead := len(line) - len(strings.TrimLeft(line, " \t\f\v"))
		if opt != nil && cur != nil && lead > indent {
			opt.lines = append(opt.lines, value)
			continue
		}
		indent = lead
		if strings.HasPrefix(value, "[") && strings.HasSuffix(value, "]") && len(value) > 2 {
			sect = value[1 : len(value)-1]
			opt = nil
			if sect == "DEFAULT" {
				cur = f.defaults
				continue
			}
			if seen["["+sect] {
				return nil, fmt.Errorf("%s:%d: section %q already exists", path, lineNo, sect)
			}
			seen["["+sect] = true
			cur = map[string]*iniValue{}
			f.sections[sect] = cur
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: no [section] header before %q", path, lineNo, value)
		}
		m := optionRe.FindStringSubmatch(value)
		if m == nil || m[1] == "" {
			return nil, fmt.Errorf("%s:%d: not key = value: %q", path, lineNo, value)
		}
		name := strings.ToLower(strings.TrimRight(m[1], " \t"))
		if seen[sect+"\x00"+name] {
			return nil, fmt.Errorf("%s:%d: option %q in section %q already exists", path, lineNo, name, sect)
		}
		seen[sect+"\x00"+name] = true
		opt = &iniValue{lines: []string{strings.TrimSpace(m[3])}, line: lineNo}
		cur[name] = opt
	}
	return f, nil
}

// isComment reports whether a line is a whole-line comment.
func isComment(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";")
}

// stripComment cuts a whole-line comment (# or ;) and an inline one (; at
// the start or after white space).
func stripComment(line string) string {
	if isComment(line) {
		return ""
	}
	for i := 0; i < len(line); i++ {
		if line[i] == ';' && (i == 0 || strings.ContainsRune(" \t\f\v", rune(line[i-1]))) {
			return line[:i]
		}
	}
	return line
}

// get returns an option of a section (or of [DEFAULT]) as configparser's
// get(raw=True): its lines joined, trailing blank lines dropped.
func (f *iniFile) get(section, key string) (string, int, bool) {
	v, ok := f.sections[section][key]
	if !ok {
		if _, has := f.sections[section]; !has {
			return "", 0, false
		}
		if v, ok = f.defaults[key]; !ok {
			return "", 0, false
		}
	}
	return strings.TrimRight(strings.Join(v.lines, "\n"), " \t\n"), v.line, true
}
