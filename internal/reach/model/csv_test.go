package model_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"inoculate/internal/reach/model"
)

// where lists errors as "line:column:key" for compact comparison.
func where(errs []model.RowError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%d:%s:%s", e.Line, e.Column, strings.TrimPrefix(e.MsgKey, "reach.error.")))
	}
	return out
}

func TestParseCellsGood(t *testing.T) {
	// A spreadsheet export: byte-order mark, semicolons, CRLF, decimal commas,
	// spaces between thousands, quoted fields, friendly header names in any order,
	// an empty row.
	in := "\uFEFFCommunity;Language;Age band;Size;Source;Year\r\n" +
		"Tal Afar;AR;18-24;12 500;\"Census; district office\";2024\r\n" +
		";;;;;\r\n" +
		"\"Sinjar\";ckb;35 +;1234,5;UNHCR;2025\r\n" +
		";en;13-17;0;survey;2026\r\n"
	rows, errs := model.ParseCellsCSV(strings.NewReader(in))
	if len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	want := []model.CellRow{
		{Line: 2, Community: "Tal Afar", Language: "ar", AgeBand: "18-24", Size: 12500, Source: "Census; district office", Year: 2024},
		{Line: 4, Community: "Sinjar", Language: "ckb", AgeBand: "35+", Size: 1234.5, Source: "UNHCR", Year: 2025},
		{Line: 5, Community: "", Language: "en", AgeBand: "13-17", Size: 0, Source: "survey", Year: 2026},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows\n%+v\nwant\n%+v", rows, want)
	}
	// The same with commas and tabs, and without the optional community column.
	for _, sep := range []string{",", "\t"} {
		in := strings.ReplaceAll("language|age_band|size|source|year\nar|25-34|100|x|2020\n", "|", sep)
		rows, errs := model.ParseCellsCSV(strings.NewReader(in))
		if len(errs) != 0 || len(rows) != 1 || rows[0].Size != 100 || rows[0].Community != "" {
			t.Fatalf("sep %q: %+v %v", sep, rows, errs)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "  \n", []string{"1::csv_empty"}},
		{"missing column", "community,language,size,source\n", []string{"1:age_band:csv_missing_column", "1:year:csv_missing_column"}},
		{"unknown and duplicate columns", "language,age_band,size,source,year,sizes,Language\n",
			[]string{"1:sizes:csv_unknown_column", "1:language:csv_duplicate_column"}},
		{"not UTF-8", "language,age_band,size,source,year\nar,18-24,1,x,2020\nar,13-17,1,\xff,2020\n", []string{"3::csv_encoding"}},
		{"bad values, each named", "language,age_band,size,source,year\n" +
			"arabic,18-24,1,x,2020\n" + // 2
			"ar,18-25,1,x,2020\n" + // 3
			"ar,13-17,abc,x,2020\n" + // 4
			"ar,25-34,NaN,x,2020\n" + // 5
			"ar,35+,0x10,x,2020\n" + // 6
			"en,35+,-1,x,2020\n" + // 7
			"en,18-24,1,,2020\n" + // 8
			"en,13-17,1,x,20x4\n" + // 9
			"en,25-34,1,x,2031\n" + // 10
			"fr,18-24,1,x,2020,extra\n" + // 11
			"fr,13-17,1,x,2020\n" + // 12: good
			"FR,13-17,2,y,2021\n" + // 13: repeats 12
			"de,,,,\n", // 14: three required values missing
			[]string{"2:language:language", "3:age_band:age_band", "4:size:csv_number", "5:size:csv_number", "6:size:csv_number",
				"7:size:size", "8:source:required", "9:year:year", "10:year:year", "11::csv_extra_values", "13::csv_duplicate_row",
				"14:age_band:required", "14:size:required", "14:source:required", "14:year:required"}},
		{"quote never closed", "language,age_band,size,source,year\nar,18-24,1,x,2020\nar,13-17,1,\"x,2020\nar,35+,1,y,2020\n",
			[]string{"3::csv_syntax"}},
		{"bare quote", "language,age_band,size,source,year\nar,18-24,1,x\"y,2020\n", []string{"2::csv_syntax"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := model.ParseCellsCSV(strings.NewReader(tc.in))
			if got := where(errs); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("errors\n%v\nwant\n%v", got, tc.want)
			}
			for _, e := range errs {
				if e.Reason == "" || strings.Contains(e.Reason, "{0}") {
					t.Fatalf("reason %q", e.Reason)
				}
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	// 150 bad rows: the first 100 are listed, in order, and parsing stops.
	var b strings.Builder
	b.WriteString("language,age_band,size,source,year\n")
	for i := range 150 {
		fmt.Fprintf(&b, "ar,99-99,%d,x,2020\n", i)
	}
	_, errs := model.ParseCellsCSV(strings.NewReader(b.String()))
	if len(errs) != model.MaxListedErrors || errs[0].Line != 2 || errs[99].Line != 101 {
		t.Fatalf("%d errors, first %v last %v", len(errs), errs[0], errs[len(errs)-1])
	}
	// Too many rows.
	b.Reset()
	b.WriteString("from,to,p\n")
	for i := range model.MaxImportRows + 1 {
		fmt.Fprintf(&b, "c%d,d%d,0.5\n", i, i)
	}
	rows, errs := model.ParsePickupsCSV(strings.NewReader(b.String()))
	if got := where(errs); !reflect.DeepEqual(got, []string{fmt.Sprintf("%d::csv_too_many_rows", model.MaxImportRows+2)}) || len(rows) != model.MaxImportRows {
		t.Fatalf("errors %v, %d rows", got, len(rows))
	}
	// Too large.
	big := "language,age_band,size,source,year\n" + strings.Repeat("ar,18-24,1,"+strings.Repeat("x", 1000)+",2020\n", model.MaxImportBytes/1000)
	if _, errs := model.ParseCellsCSV(strings.NewReader(big)); !reflect.DeepEqual(where(errs), []string{"1::csv_too_large"}) {
		t.Fatalf("errors %v", where(errs))
	}
}

func TestParseOthers(t *testing.T) {
	links, errs := model.ParseReachCSV(strings.NewReader("channel,community,language,age_band,probability\n" +
		"Radio Nineveh,Tal Afar,ar,18-24,35%\n" +
		"Radio Nineveh,,ar,18-24,0.2\n" +
		"radio  nineveh,tal afar,AR,18-24,0.3\n" + // the same as line 2
		",Tal Afar,ar,18-24,0\n"))
	if got := where(errs); !reflect.DeepEqual(got, []string{"4::csv_duplicate_row", "5:channel:required", "5:probability:probability"}) {
		t.Fatalf("link errors %v", got)
	}
	if len(links) != 2 || links[0].Probability != 0.35 || links[1].Community != "" {
		t.Fatalf("links %+v", links)
	}

	pickups, errs := model.ParsePickupsCSV(strings.NewReader("from_channel;to_channel;probability\nRadio;Page;0,1\nPage;page;0.1\nPage;Radio;1.5\n"))
	if got := where(errs); !reflect.DeepEqual(got, []string{"3:to_channel:self_loop", "4:probability:probability"}) {
		t.Fatalf("pickup errors %v", got)
	}
	if len(pickups) != 1 || pickups[0].Probability != 0.1 {
		t.Fatalf("pickups %+v", pickups)
	}

	options, errs := model.ParseOptionsCSV(strings.NewReader("title,kind,channel,community,language,identity_level,speaker,money,speaker_hours,notes\n" +
		"Forum,Public_Forum,Hall,Tal Afar,ar,alias_protected,Abu Omar,300,4,\"two\nlines\"\n" + // lines 2–3
		"Clip,publication,Page,,ar,text_only,,0,0,\n" + // 4
		"Forum,school_talk,Hall,,ar,full,,1,1,\n" + // 5: title repeats line 2
		"Talk,elders_meeting,Hall,,ar,face,,-1,x,\n")) // 6
	if got := where(errs); !reflect.DeepEqual(got, []string{"5::csv_duplicate_row", "6:kind:option_kind",
		"6:identity_level:identity_level", "6:money:money", "6:speaker_hours:csv_number"}) {
		t.Fatalf("option errors %v", got)
	}
	if len(options) != 2 || options[0].Notes != "two\nlines" || options[0].Kind != model.OptionPublicForum || options[1].Line != 4 {
		t.Fatalf("options %+v", options)
	}
}
