package report

import (
	"fmt"
	"strings"

	"lvslab/internal/module"
)

// Unified returns a unified diff of before and after (3 lines of context),
// or "" when they are equal. Very large inputs get a one-line summary.
func Unified(path, before, after string) string {
	if before == after {
		return ""
	}
	a, b := splitLines(before), splitLines(after)
	if len(a)*len(b) > 4_000_000 {
		return fmt.Sprintf("--- %s (before)\n+++ %s (after)\n@@ file too large to diff (%d -> %d lines) @@\n", path, path, len(a), len(b))
	}
	ops := lcsOps(a, b)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s (before)\n+++ %s (after)\n", path, path)
	const ctx = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*ctx || run == len(ops) {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		aStart, bStart, aLen, bLen := ops[start].ai+1, ops[start].bi+1, 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
		for _, op := range ops[start:end] {
			out.WriteString(string(op.kind) + op.line + "\n")
		}
		i = end
	}
	return out.String()
}

type op struct {
	kind   byte
	line   string
	ai, bi int // positions in a and b before this op
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func lcsOps(a, b []string) []op {
	n, m := len(a), len(b)
	dp := make([][]int32, n+1)
	for i := range dp {
		dp[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i++
			j++
		case i < n && (j == m || dp[i+1][j] >= dp[i][j+1]):
			ops = append(ops, op{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, op{'+', b[j], i, j})
			j++
		}
	}
	return ops
}

// The markers that stand for a hidden line of a diff: the old and the new
// side differ, so that a diff of hidden lines still shows that (and how
// many of) the lines changed.
const (
	HiddenOld = "******** (old content redacted: it holds a secret)"
	HiddenNew = "******** (new content redacted: it holds a secret)"
)

// RedactDiff returns d with every changed line, of the old content and of
// the new, replaced by HiddenOld or HiddenNew, and the lines both have as
// they are (the redactor still hides a secret among them): the diff of a
// file whose content holds a secret.
func RedactDiff(d module.FileDiff) module.FileDiff {
	return hideLines(d, func(string) bool { return true })
}

// hideLines returns d with the changed lines that hide says replaced.
func hideLines(d module.FileDiff, hide func(line string) bool) module.FileDiff {
	if d.Before == d.After {
		return d
	}
	a, b := splitLines(d.Before), splitLines(d.After)
	if len(a)*len(b) > 4_000_000 {
		// Unified shows no line of it; JSON gets no content either.
		return module.FileDiff{Path: d.Path, Before: HiddenOld + "\n", After: HiddenNew + "\n"}
	}
	var before, after strings.Builder
	for _, op := range lcsOps(a, b) {
		line := op.line
		switch {
		case op.kind == '-' && hide(line):
			line = HiddenOld
		case op.kind == '+' && hide(line):
			line = HiddenNew
		}
		if op.kind != '+' {
			before.WriteString(line + "\n")
		}
		if op.kind != '-' {
			after.WriteString(line + "\n")
		}
	}
	return module.FileDiff{Path: d.Path, Before: before.String(), After: after.String()}
}

// Diff returns d as a reporter may show it. The rule that keeps an old
// password from showing, which no variable holds any more: when the old or
// the new content holds a secret in any of its forms, every changed line
// is hidden (RedactDiff) — the line of a file that held the old password
// is the line that changes when the password does, and so it is hidden
// with the new one. (The runner hides them too when the task's content
// names a secret variable, for forms the redactor cannot know, such as a
// hash of it.) Otherwise a changed line that names a secret
// ("password=...", "$db_pass = ...", "MYSQL_PWD=...") is hidden alone: a
// line removed from a file may hold a password no variable knows.
func (r *Redactor) Diff(d module.FileDiff) module.FileDiff {
	if r.holds(d.Before) || r.holds(d.After) {
		return RedactDiff(d)
	}
	return hideLines(d, namesSecret)
}

// namesSecret reports whether a line holds a word that is a secret's name
// (SecretName).
func namesSecret(line string) bool {
	for _, w := range strings.FieldsFunc(line, func(c rune) bool {
		return !(c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}) {
		if SecretName(w) {
			return true
		}
	}
	return false
}
