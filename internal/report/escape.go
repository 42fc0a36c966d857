package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// escapeControls returns s with every C0 and C1 control character but tab
// and newline (ESC, CR, BS, DEL, CSI, ...) and every byte that is not
// UTF-8 written as a visible \xNN escape: text from a host cannot move the
// cursor, recolour or rewrite a line of the text report (a forged "ok:"
// line). A string without any is returned as it is.
func escapeControls(s string) string {
	i := firstToEscape(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// firstToEscape returns the index of the first byte of s that
// escapeControls changes, or -1.
func firstToEscape(s string) int {
	for i, r := range s {
		if isControl(r) || (r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")) {
			return i
		}
	}
	return -1
}

// isControl reports whether r is a C0 or C1 control character (or DEL)
// other than tab and newline.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f)
}
