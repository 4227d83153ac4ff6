package model

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
)

// Limits of a CSV import. A file past a limit is refused whole.
const (
	MaxImportBytes  = 5 << 20
	MaxImportRows   = 50000
	MaxListedErrors = 100 // the check stops after this many errors
)

// RowError is one problem in an imported file, where a person can find it.
type RowError struct {
	Line   int    `json:"line"`   // 1-based line of the file (the header is usually line 1)
	Column string `json:"column"` // the documented column name; "" for the whole row or file
	Reason string `json:"reason"` // in plain English
	MsgKey string `json:"msg_key"`
	Args   []any  `json:"args,omitempty"`
}

func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d, %s: %s", e.Line, e.Column, e.Reason)
}

// rowErrors collects errors up to MaxListedErrors.
type rowErrors struct{ list []RowError }

func (e *rowErrors) full() bool { return len(e.list) >= MaxListedErrors }

func (e *rowErrors) add(line int, column, key, reason string, args ...any) {
	if !e.full() {
		e.list = append(e.list, RowError{Line: line, Column: column, Reason: reason, MsgKey: key, Args: args})
	}
}

// sorted returns the errors by line. Rows never share lines, so only the errors of
// one row can be out of order (when a multi-line field comes before a column
// checked earlier); the sort is stable, keeping each line's errors in column order.
func (e *rowErrors) sorted() []RowError {
	slices.SortStableFunc(e.list, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
	return e.list
}

// addErr records a validation error of a column.
func (e *rowErrors) addErr(line int, column string, err error) {
	var ee *errs.Error
	if errors.As(err, &ee) {
		e.add(line, column, ee.MsgKey, ee.Msg, ee.Args...)
		return
	}
	e.add(line, column, "reach.error.csv_value", "this value is not valid")
}

// column is a column an import knows.
type column struct {
	name     string   // as documented
	aliases  []string // other headers accepted for it
	required bool     // must be in the header (its values may still be optional)
}

// record is one data row: its fields in the order of the import's columns ("" when
// the column is absent from the file), and the line each field starts on.
type record struct {
	line   int
	fields []string
	lines  []int
}

func (r record) at(i int) (string, int) { return r.fields[i], r.lines[i] }

var bom = []byte("\xEF\xBB\xBF")

// readTable reads a whole CSV file: UTF-8 with or without a byte-order mark, a
// header row, comma, semicolon or tab separated (whichever the header uses most),
// fields quoted or not, calling each for every data row in file order (so errors
// are recorded in file order). File-level and header problems stop it; so does a
// quoting error, after which the rows cannot be told apart reliably, and so does
// the MaxListedErrors-th error.
func readTable(r io.Reader, cols []column, el *rowErrors, each func(sep rune, rec record)) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		el.add(1, "", "reach.error.csv_read", "the file could not be read")
		return
	}
	if len(data) > MaxImportBytes {
		el.add(1, "", "reach.error.csv_too_large", "the file is larger than 5 MB: split it", 5)
		return
	}
	data = bytes.TrimPrefix(data, bom)
	if !utf8.Valid(data) {
		el.add(firstInvalidLine(data), "", "reach.error.csv_encoding", "the file is not UTF-8 text: save it as “CSV UTF-8”")
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		el.add(1, "", "reach.error.csv_empty", "the file is empty")
		return
	}
	sep := detectSeparator(data)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma, cr.FieldsPerRecord, cr.TrimLeadingSpace = sep, -1, true

	header, err := cr.Read()
	if err != nil {
		el.add(parseErrorLine(err), "", "reach.error.csv_syntax", "a quote is misplaced or never closed")
		return
	}
	headerLine, _ := cr.FieldPos(0)
	index := mapHeader(header, cols, headerLine, el)
	if index == nil {
		return
	}
	n := 0 // data rows
	for !el.full() {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			el.add(parseErrorLine(err), "", "reach.error.csv_syntax", "a quote is misplaced or never closed")
			break
		}
		line, _ := cr.FieldPos(0)
		if allBlank(fields) {
			continue // a spreadsheet's empty row
		}
		if n == MaxImportRows {
			el.add(line, "", "reach.error.csv_too_many_rows", fmt.Sprintf("more than %d rows: split the file", MaxImportRows), MaxImportRows)
			break
		}
		rec := record{line: line, fields: make([]string, len(cols)), lines: make([]int, len(cols))}
		for i := range rec.lines {
			rec.lines[i] = line
		}
		extra := false
		for i, f := range fields {
			if i >= len(index) {
				extra = extra || strings.TrimSpace(f) != ""
				continue
			}
			if c := index[i]; c >= 0 {
				rec.fields[c] = strings.TrimSpace(f)
				rec.lines[c], _ = cr.FieldPos(i)
			}
		}
		if extra {
			el.add(line, "", "reach.error.csv_extra_values", "this row has more values than the header has columns")
			continue
		}
		n++
		each(sep, rec)
	}
}

// mapHeader returns, for each header position, the index of its column in cols (-1
// for an unnamed column, which is ignored), or nil after recording what is wrong.
func mapHeader(header []string, cols []column, line int, el *rowErrors) []int {
	index := make([]int, len(header))
	seen := make([]bool, len(cols))
	ok := true
	for i, h := range header {
		name := headerName(h)
		index[i] = -1
		if name == "" {
			continue
		}
		c := findColumn(cols, name)
		switch {
		case c < 0:
			el.add(line, short(strings.TrimSpace(h)), "reach.error.csv_unknown_column", "unknown column: check its spelling")
			ok = false
		case seen[c]:
			el.add(line, cols[c].name, "reach.error.csv_duplicate_column", "this column appears twice")
			ok = false
		default:
			seen[c], index[i] = true, c
		}
	}
	for c, col := range cols {
		if col.required && !seen[c] {
			el.add(line, col.name, "reach.error.csv_missing_column", "the header lacks this column")
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return index
}

// headerName folds a header as people type it ("Age band", "age-band ") to the
// documented form ("age_band").
func headerName(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
	h = strings.Join(strings.FieldsFunc(h, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
	if utf8.RuneCountInString(h) > 100 {
		return h[:100] // matches nothing; keeps error messages short
	}
	return h
}

func findColumn(cols []column, name string) int {
	for i, c := range cols {
		if c.name == name {
			return i
		}
		for _, a := range c.aliases {
			if a == name {
				return i
			}
		}
	}
	return -1
}

// detectSeparator picks the separator the header line uses most, outside quotes.
func detectSeparator(data []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, b := range data {
		if b == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		if b == ',' || b == ';' || b == '\t' {
			counts[rune(b)]++
		}
	}
	sep := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[sep] {
			sep = r
		}
	}
	return sep
}

func firstInvalidLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[n:]
	}
	return line
}

func parseErrorLine(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.StartLine > 0 {
		return pe.StartLine
	}
	return 1
}

func allBlank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parseNumber reads a plain decimal number as spreadsheets write it: spaces as
// thousands separators are dropped, and in a file separated by semicolons or tabs a
// single decimal comma is read as a point ("0,35"). Hexadecimal, NaN and infinities,
// which strconv accepts, are not numbers here.
func parseNumber(s string, sep rune) (float64, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00A0' || r == '\u202F' {
			return -1
		}
		return r
	}, s)
	if sep != ',' && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	if s == "" || len(s) > 40 {
		return 0, false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != '-' && r != '+' && r != 'e' && r != 'E' {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// parseProbability reads a probability as a fraction (0.35) or a percentage (35%).
func parseProbability(s string, sep rune) (float64, bool) {
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		v, ok := parseNumber(p, sep)
		return v / 100, ok
	}
	return parseNumber(s, sep)
}

func parseWhole(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// short cuts text a person wrote to a length fit for an error list.
func short(s string) string {
	if utf8.RuneCountInString(s) <= 60 {
		return s
	}
	return string([]rune(s)[:60]) + "…"
}

// fold is how names are compared: case and runs of spaces do not matter.
func fold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
