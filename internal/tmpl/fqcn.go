package tmpl

import (
	"regexp"
	"strings"
)

// Filters and tests may be named by their collection, as roles written for
// ansible-core 2.10+ do: `| ansible.builtin.regex_replace('^v', '')`,
// `is ansible.builtin.version('2', '>')`, `map('ansible.builtin.quote')`.
// gonja takes only plain names, so fqcnNames drops the collections whose
// filters and tests lvslab has (ansible.builtin, ansible.legacy,
// ansible.utils, community.general) inside {{ }} and {% %}; any other
// collection's name stays, an unknown filter.
var (
	fqcnFilter = regexp.MustCompile(`(\|\s*|\bis\s+(?:not\s+)?)(?:ansible\.(?:builtin|legacy|utils)|community\.general)\.([A-Za-z_]\w*)`)
	fqcnArg    = regexp.MustCompile(`(\b(?:map|select|reject|selectattr|rejectattr)\(\s*(?:[A-Za-z_"'][^,()]*,\s*)?['"])(?:ansible\.(?:builtin|legacy|utils)|community\.general)\.([A-Za-z_]\w*['"])`)
)

func fqcnNames(text string) string {
	if !strings.Contains(text, "ansible.") && !strings.Contains(text, "community.general.") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "{{")
		j := strings.Index(text, "{%")
		if i < 0 || (j >= 0 && j < i) {
			i = j
		}
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		end := "}}"
		if text[i+1] == '%' {
			end = "%}"
		}
		k := strings.Index(text[i+2:], end)
		if k < 0 {
			b.WriteString(text)
			return b.String()
		}
		tag := text[i : i+2+k+2]
		tag = fqcnFilter.ReplaceAllString(tag, "$1$2")
		tag = fqcnArg.ReplaceAllString(tag, "$1$2")
		b.WriteString(text[:i])
		b.WriteString(tag)
		text = text[i+2+k+2:]
	}
}
