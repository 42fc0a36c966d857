package inventory

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// maxRangeHosts caps how many hosts one range pattern may expand to.
const maxRangeHosts = 65536

// asciiLetters is Python's string.ascii_letters, the order of alphabetic
// host ranges.
const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// expandHost turns an inventory host entry into host names and a port (0
// when none): "rs[01:03]" is rs01, rs02, rs03; "web1:2222" is web1 on port
// 2222; "[fe80::1]:22" is an IPv6 address with a port.
func expandHost(s string) ([]string, int, error) {
	if s == "" {
		return nil, 0, errors.New("empty host name")
	}
	if strings.ContainsAny(s, " \t\r\n\v\f,=") || strings.ContainsAny(s[:1], "!&~") {
		return nil, 0, fmt.Errorf("invalid host name %q: no whitespace, ',' or '=', and no leading '!', '&' or '~'", s)
	}
	name, portStr := splitPort(s)
	port := 0
	if portStr != "" {
		p, err := strconv.Atoi(portStr)
		if err != nil || p < 1 || p > 65535 {
			return nil, 0, fmt.Errorf("invalid port %q in host %q", portStr, s)
		}
		port = p
	}
	if strings.Contains(name, ":") && net.ParseIP(name) != nil {
		return []string{name}, port, nil
	}
	names, err := expandRanges(name)
	if err != nil {
		return nil, 0, fmt.Errorf("host %q: %w", s, err)
	}
	for _, n := range names {
		if strings.ContainsAny(n, ":[]") {
			return nil, 0, fmt.Errorf("invalid host name %q: ':', '[' and ']' only in an IPv6 address, a :port or a [begin:end] range", s)
		}
	}
	return names, port, nil
}

// splitPort separates a trailing ":port" the way Ansible's parse_address
// does: "[v6]:port", or a single colon outside brackets followed by digits.
// Anything else (a bare IPv6 address, say) is all name.
func splitPort(s string) (name, port string) {
	if strings.HasPrefix(s, "[") {
		if j := strings.IndexByte(s, ']'); j > 0 {
			inner, rest := s[1:j], s[j+1:]
			if strings.Contains(inner, ":") && net.ParseIP(inner) != nil {
				if p, ok := strings.CutPrefix(rest, ":"); ok && digits(p) {
					return inner, p
				}
				if rest == "" {
					return inner, ""
				}
			}
		}
	}
	depth, colons, at := 0, 0, -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				colons++
				at = i
			}
		}
	}
	if colons == 1 && at > 0 && digits(s[at+1:]) {
		return s[:at], s[at+1:]
	}
	return s, ""
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// detectRange is Ansible's test for a [begin:end] range in a host name.
func detectRange(s string) bool {
	i, c, j := strings.IndexByte(s, '['), strings.IndexByte(s, ':'), strings.IndexByte(s, ']')
	return i >= 0 && i < c && c < j
}

// expandRanges expands every [begin:end] or [begin:end:step] range in a
// host name, left to right, as Ansible's expand_hostname_range does. Unlike
// Ansible, a range whose begin is after its end is an error, not nothing.
func expandRanges(s string) ([]string, error) {
	type segment struct {
		lit  string
		vals []string
	}
	var segs []segment
	rest, total := s, 1
	for detectRange(rest) {
		i, j := strings.IndexByte(rest, '['), strings.IndexByte(rest, ']')
		vals, err := rangeValues(rest[i+1 : j])
		if err != nil {
			return nil, err
		}
		if total *= len(vals); total > maxRangeHosts {
			return nil, fmt.Errorf("ranges expand to more than %d hosts", maxRangeHosts)
		}
		segs = append(segs, segment{rest[:i], vals})
		rest = rest[j+1:]
	}
	if len(segs) == 0 {
		return []string{s}, nil
	}
	out := []string{""}
	for _, sg := range segs {
		next := make([]string, 0, len(out)*len(sg.vals))
		for _, p := range out {
			for _, v := range sg.vals {
				next = append(next, p+sg.lit+v)
			}
		}
		out = next
	}
	for i := range out {
		out[i] += rest
	}
	return out, nil
}

// rangeValues lists the values of one range's inside: "01:03", "a:c",
// "1:9:2". An empty begin is 0; a zero-padded begin pads every value.
func rangeValues(spec string) ([]string, error) {
	bounds := strings.Split(spec, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return nil, fmt.Errorf("range [%s] must be begin:end or begin:end:step", spec)
	}
	beg, end, step := bounds[0], bounds[1], 1
	if len(bounds) == 3 {
		n, err := strconv.Atoi(bounds[2])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("range [%s]: step must be a positive integer", spec)
		}
		step = n
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return nil, fmt.Errorf("range [%s] has no end", spec)
	}
	if len(beg) == 1 && len(end) == 1 {
		ib, ie := strings.IndexByte(asciiLetters, beg[0]), strings.IndexByte(asciiLetters, end[0])
		if ib >= 0 && ie >= 0 {
			if ib > ie {
				return nil, fmt.Errorf("range [%s] must have begin <= end", spec)
			}
			var vals []string
			for i := ib; i <= ie; i += step {
				vals = append(vals, asciiLetters[i:i+1])
			}
			return vals, nil
		}
	}
	if !digits(beg) || !digits(end) {
		return nil, fmt.Errorf("range [%s] bounds must both be numbers or both single letters", spec)
	}
	width := 0
	if beg[0] == '0' && len(beg) > 1 {
		width = len(beg)
		if len(end) != width {
			return nil, fmt.Errorf("range [%s] must have zero-padded begin and end of equal length", spec)
		}
	}
	b, err1 := strconv.Atoi(beg)
	e, err2 := strconv.Atoi(end)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("range [%s] bounds are too large", spec)
	}
	if b > e {
		return nil, fmt.Errorf("range [%s] must have begin <= end", spec)
	}
	n := (e-b)/step + 1
	if n > maxRangeHosts {
		return nil, fmt.Errorf("range [%s] expands to more than %d hosts", spec, maxRangeHosts)
	}
	vals := make([]string, n)
	for k := range vals {
		vals[k] = fmt.Sprintf("%0*d", width, b+k*step)
	}
	return vals, nil
}
