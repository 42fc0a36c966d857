package lvs

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Table is a plain-text table with aligned columns, as the lab commands
// print them.
type Table struct {
	header []string
	rows   [][]string
	right  map[int]bool
}

// NewTable returns a table with the given column headers.
func NewTable(header ...string) *Table {
	return &Table{header: header, right: map[int]bool{}}
}

// AlignRight right-aligns the given columns (numbers).
func (t *Table) AlignRight(cols ...int) {
	for _, c := range cols {
		t.right[c] = true
	}
}

// Add appends a row; missing cells are empty, extra cells are dropped.
func (t *Table) Add(cells ...string) {
	row := make([]string, len(t.header))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// Len is the number of rows.
func (t *Table) Len() int { return len(t.rows) }

// String renders the table.
func (t *Table) String() string {
	var b strings.Builder
	t.WriteTo(&b)
	return b.String()
}

// WriteTo writes the table: the header, a rule, then the rows, columns
// separated by two spaces, trailing spaces trimmed.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	width := make([]int, len(t.header))
	for i, h := range t.header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(t.header)
	rule := make([]string, len(width))
	for i, n := range width {
		rule[i] = strings.Repeat("-", n)
	}
	line(rule)
	for _, r := range t.rows {
		line(r)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
