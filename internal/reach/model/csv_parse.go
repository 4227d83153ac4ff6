package model

import (
	"fmt"
	"io"
	"strings"
	"time"

	"inoculate/internal/returnees/consent"
)

// The columns of each import: see "CSV imports" in the package documentation.
var cellColumns = []column{
	{name: "community", aliases: []string{"community_id", "community_name"}},
	{name: "language", aliases: []string{"lang"}, required: true},
	{name: "age_band", aliases: []string{"age", "ages"}, required: true},
	{name: "size", aliases: []string{"people"}, required: true},
	{name: "source", required: true},
	{name: "year", required: true},
}

var linkColumns = []column{
	{name: "channel", aliases: []string{"channel_id", "channel_name"}, required: true},
	{name: "community", aliases: []string{"community_id", "community_name"}},
	{name: "language", aliases: []string{"lang"}, required: true},
	{name: "age_band", aliases: []string{"age", "ages"}, required: true},
	{name: "probability", aliases: []string{"prob", "p"}, required: true},
}

var pickupColumns = []column{
	{name: "from_channel", aliases: []string{"from", "from_channel_id"}, required: true},
	{name: "to_channel", aliases: []string{"to", "to_channel_id"}, required: true},
	{name: "probability", aliases: []string{"prob", "p"}, required: true},
}

var optionColumns = []column{
	{name: "title", required: true},
	{name: "kind", required: true},
	{name: "channel", aliases: []string{"channel_id", "channel_name"}, required: true},
	{name: "community", aliases: []string{"community_id", "community_name"}},
	{name: "language", aliases: []string{"lang"}, required: true},
	{name: "identity_level", required: true},
	{name: "speaker", aliases: []string{"speaker_id", "speaker_alias"}},
	{name: "money", aliases: []string{"cost"}, required: true},
	{name: "speaker_hours", aliases: []string{"hours"}, required: true},
	{name: "notes"},
}

// CellRow is a valid row of a cells file.
type CellRow struct {
	Line      int
	Community string // a community's name or id as written; "" for none
	Language  string
	AgeBand   AgeBand
	Size      float64
	Source    string
	Year      int
}

// LinkRow is a valid row of a reach file.
type LinkRow struct {
	Line        int
	Channel     string // name or id
	Community   string // name or id; "" for a cell without community
	Language    string
	AgeBand     AgeBand
	Probability float64
}

// PickupRow is a valid row of a pickups file.
type PickupRow struct {
	Line        int
	FromChannel string // name or id
	ToChannel   string // name or id
	Probability float64
}

// OptionRow is a valid row of an options file.
type OptionRow struct {
	Line          int
	Title         string
	Kind          OptionKind
	Channel       string // name or id
	Community     string // name or id; "" for none
	Language      string
	IdentityLevel consent.IdentityLevel
	Speaker       string // a returnee's alias or id; "" for none
	Money         float64
	SpeakerHours  float64
	Notes         string
}

const maxRef = 200 // a name or id as written

// fields reads one record's values, recording each bad one.
type fields struct {
	rec  record
	cols []column
	sep  rune
	el   *rowErrors
	bad  bool
}

func (f *fields) fail(i int, err error) {
	_, line := f.rec.at(i)
	f.bad = true
	f.el.addErr(line, f.cols[i].name, err)
}

// raw returns the value, recording "required" when it is empty and needed.
func (f *fields) raw(i int, required bool) (string, bool) {
	v, _ := f.rec.at(i)
	if v == "" && required {
		f.fail(i, invalid(f.cols[i].name, "reach.error.required", f.cols[i].name+" is required"))
		return "", false
	}
	return v, true
}

func (f *fields) text(i int, required bool, max int) string {
	v, ok := f.raw(i, required)
	if !ok {
		return ""
	}
	s, err := cleanText(f.cols[i].name, v, required, max)
	if err != nil {
		f.fail(i, err)
	}
	return s
}

func (f *fields) long(i, max int) string {
	v, _ := f.rec.at(i)
	s, err := cleanLong(f.cols[i].name, v, max)
	if err != nil {
		f.fail(i, err)
	}
	return s
}

var errNumber = invalid("", "reach.error.csv_number", "write a number such as 1200 or 0.35")

func (f *fields) number(i int, check func(float64) error) float64 {
	v, ok := f.raw(i, true)
	if !ok {
		return 0
	}
	n, ok := parseNumber(v, f.sep)
	if !ok {
		f.fail(i, errNumber)
		return 0
	}
	if err := check(n); err != nil {
		f.fail(i, err)
	}
	return n
}

func (f *fields) probability(i int) float64 {
	v, ok := f.raw(i, true)
	if !ok {
		return 0
	}
	n, ok := parseProbability(v, f.sep)
	if !ok {
		f.fail(i, errNumber)
		return 0
	}
	if err := checkProbability(n); err != nil {
		f.fail(i, err)
	}
	return n
}

func (f *fields) language(i int) string {
	v, ok := f.raw(i, true)
	if !ok {
		return ""
	}
	tag, err := checkLanguage(f.cols[i].name, v)
	if err != nil {
		f.fail(i, err)
	}
	return tag
}

func (f *fields) ageBand(i int) AgeBand {
	v, ok := f.raw(i, true)
	if !ok {
		return ""
	}
	b, err := checkAgeBand(v)
	if err != nil {
		f.fail(i, err)
	}
	return b
}

// duplicates reports a row whose key an earlier row of the file has.
type duplicates map[string]int

func (d duplicates) check(el *rowErrors, line int, key string) bool {
	if first, ok := d[key]; ok {
		el.add(line, "", "reach.error.csv_duplicate_row", fmt.Sprintf("this row repeats line %d", first), first)
		return false
	}
	d[key] = line
	return true
}

// ParseCellsCSV reads a cells file. Every row returned is valid; the errors name
// the line and column of each problem (at most MaxListedErrors, in file order).
// Communities are not resolved: that needs the database.
func ParseCellsCSV(r io.Reader) ([]CellRow, []RowError) { return parseCells(r, time.Now()) }

func parseCells(r io.Reader, now time.Time) ([]CellRow, []RowError) {
	var el rowErrors
	seen := duplicates{}
	var out []CellRow
	readTable(r, cellColumns, &el, func(sep rune, rec record) {
		f := &fields{rec: rec, cols: cellColumns, sep: sep, el: &el}
		row := CellRow{Line: rec.line}
		row.Community = f.text(0, false, maxRef)
		row.Language = f.language(1)
		row.AgeBand = f.ageBand(2)
		row.Size = f.number(3, checkSize)
		row.Source = f.text(4, true, 500)
		if v, ok := f.raw(5, true); ok {
			y, ok := parseWhole(v)
			if !ok {
				f.fail(5, invalid("year", "reach.error.year", "not a plausible year"))
			} else if err := checkYear(y, now); err != nil {
				f.fail(5, err)
			}
			row.Year = y
		}
		if f.bad || !seen.check(&el, rec.line, fold(row.Community)+"\x00"+row.Language+"\x00"+string(row.AgeBand)) {
			return
		}
		out = append(out, row)
	})
	return out, el.sorted()
}

// ParseReachCSV reads a reach file (channel → cell probabilities), as ParseCellsCSV.
func ParseReachCSV(r io.Reader) ([]LinkRow, []RowError) {
	var el rowErrors
	seen := duplicates{}
	var out []LinkRow
	readTable(r, linkColumns, &el, func(sep rune, rec record) {
		f := &fields{rec: rec, cols: linkColumns, sep: sep, el: &el}
		row := LinkRow{Line: rec.line}
		row.Channel = f.text(0, true, maxRef)
		row.Community = f.text(1, false, maxRef)
		row.Language = f.language(2)
		row.AgeBand = f.ageBand(3)
		row.Probability = f.probability(4)
		if f.bad || !seen.check(&el, rec.line, fold(row.Channel)+"\x00"+fold(row.Community)+"\x00"+row.Language+"\x00"+string(row.AgeBand)) {
			return
		}
		out = append(out, row)
	})
	return out, el.sorted()
}

// ParsePickupsCSV reads a pickups file (channel → channel probabilities), as
// ParseCellsCSV.
func ParsePickupsCSV(r io.Reader) ([]PickupRow, []RowError) {
	var el rowErrors
	seen := duplicates{}
	var out []PickupRow
	readTable(r, pickupColumns, &el, func(sep rune, rec record) {
		f := &fields{rec: rec, cols: pickupColumns, sep: sep, el: &el}
		row := PickupRow{Line: rec.line}
		row.FromChannel = f.text(0, true, maxRef)
		row.ToChannel = f.text(1, true, maxRef)
		row.Probability = f.probability(2)
		if !f.bad && row.FromChannel != "" && fold(row.FromChannel) == fold(row.ToChannel) {
			f.fail(1, errSelfLoop)
		}
		if f.bad || !seen.check(&el, rec.line, fold(row.FromChannel)+"\x00"+fold(row.ToChannel)) {
			return
		}
		out = append(out, row)
	})
	return out, el.sorted()
}

// ParseOptionsCSV reads an options file, as ParseCellsCSV.
func ParseOptionsCSV(r io.Reader) ([]OptionRow, []RowError) {
	var el rowErrors
	seen := duplicates{}
	var out []OptionRow
	readTable(r, optionColumns, &el, func(sep rune, rec record) {
		f := &fields{rec: rec, cols: optionColumns, sep: sep, el: &el}
		row := OptionRow{Line: rec.line}
		row.Title = f.text(0, true, maxTitle)
		if v, ok := f.raw(1, true); ok {
			k, err := checkOptionKind(strings.ToLower(v))
			if err != nil {
				f.fail(1, err)
			}
			row.Kind = k
		}
		row.Channel = f.text(2, true, maxRef)
		row.Community = f.text(3, false, maxRef)
		row.Language = f.language(4)
		if v, ok := f.raw(5, true); ok {
			l, err := checkIdentityLevel(strings.ToLower(v))
			if err != nil {
				f.fail(5, err)
			}
			row.IdentityLevel = l
		}
		row.Speaker = f.text(6, false, maxRef)
		row.Money = f.number(7, checkMoney)
		row.SpeakerHours = f.number(8, checkHours)
		row.Notes = f.long(9, maxNotes)
		if f.bad || !seen.check(&el, rec.line, row.Title) {
			return
		}
		out = append(out, row)
	})
	return out, el.sorted()
}
