package model

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The CSV readers take files from outside. Whatever the bytes, they must not panic,
// every row they accept must pass the service's own validation unchanged, and every
// error must point at a line of the input, in file order, at most MaxListedErrors.

var fuzzNow = time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)

var seedFiles = []string{
	"community,language,age_band,size,source,year\nTal Afar,ar,18-24,12000,Census,2024\n,en,35+,0,x,2025\n",
	"\uFEFFCommunity;Language;Age band;Size;Source;Year\r\nTal Afar;AR;18-24;12 500;\"Census; office\";2024\r\n;;;;;\r\n",
	"language\tage_band\tsize\tsource\tyear\nar\t13-17\t1,5\tx\t2020\n",
	"language,age_band,size,source,year\narabic,18-25,NaN,,20x4,extra\nar,13-17,0x10,x,2031\n",
	"language,age_band,size,source,year\nar,18-24,1,\"x,2020\n",
	"language,age_band,size,source,year,sizes,Language\n",
	"channel,community,language,age_band,probability\nRadio,Tal Afar,ar,18-24,35%\nradio,tal afar,AR,18-24,0.3\n",
	"from_channel;to_channel;probability\nRadio;Page;0,1\nPage;page;0.1\nPage;Radio;1.5\n",
	"title,kind,channel,community,language,identity_level,speaker,money,speaker_hours,notes\n" +
		"Forum,Public_Forum,Hall,Tal Afar,ar,alias_protected,Abu Omar,300,4,\"two\nlines\"\n" +
		"Talk,elders_meeting,Hall,,ar,face,,-1,x,\n",
	"",
	"\xff\xfe",
	"\"\n\"\"\n",
}

func addSeeds(f *testing.F) {
	for _, s := range seedFiles {
		f.Add([]byte(s))
	}
}

func lineCount(data []byte) int { return bytes.Count(data, []byte("\n")) + 1 }

func checkErrors(t *testing.T, data []byte, errs []RowError) {
	t.Helper()
	if len(errs) > MaxListedErrors {
		t.Fatalf("%d errors listed", len(errs))
	}
	last := 0
	for _, e := range errs {
		if e.Line < 1 || e.Line > lineCount(data) {
			t.Fatalf("error on line %d of a %d-line input: %v", e.Line, lineCount(data), e)
		}
		if e.Line < last {
			t.Fatalf("errors out of order: %v", errs)
		}
		last = e.Line
		if e.Reason == "" || !strings.HasPrefix(e.MsgKey, "reach.error.") || !utf8.ValidString(e.Column) {
			t.Fatalf("error %+v", e)
		}
	}
}

func checkRowLine(t *testing.T, data []byte, line, prev int) {
	t.Helper()
	if line < 2 || line > lineCount(data) || line <= prev {
		t.Fatalf("row line %d (previous %d) in a %d-line input", line, prev, lineCount(data))
	}
}

func checkRef(t *testing.T, field, s string, required bool) {
	t.Helper()
	if got, err := cleanText(field, s, required, maxRef); err != nil || got != s {
		t.Fatalf("%s %q accepted but not valid: %v", field, s, err)
	}
}

func FuzzParseCellsCSV(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs := parseCells(bytes.NewReader(data), fuzzNow)
		checkErrors(t, data, errs)
		prev := 0
		for _, r := range rows {
			checkRowLine(t, data, r.Line, prev)
			prev = r.Line
			checkRef(t, "community", r.Community, false)
			in := CellInput{Language: r.Language, AgeBand: r.AgeBand, Size: r.Size, Source: r.Source, Year: r.Year}
			if got, err := in.normalize(fuzzNow); err != nil || got != in {
				t.Fatalf("row %+v accepted but not valid: %v", r, err)
			}
		}
	})
}

func FuzzParseReachCSV(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs := ParseReachCSV(bytes.NewReader(data))
		checkErrors(t, data, errs)
		prev := 0
		for _, r := range rows {
			checkRowLine(t, data, r.Line, prev)
			prev = r.Line
			checkRef(t, "channel", r.Channel, true)
			checkRef(t, "community", r.Community, false)
			in := CellInput{Language: r.Language, AgeBand: r.AgeBand, Source: "x", Year: 2000}
			if got, err := in.normalize(fuzzNow); err != nil || got != in || checkProbability(r.Probability) != nil {
				t.Fatalf("row %+v accepted but not valid: %v", r, err)
			}
		}
	})
}

func FuzzParsePickupsCSV(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs := ParsePickupsCSV(bytes.NewReader(data))
		checkErrors(t, data, errs)
		prev := 0
		for _, r := range rows {
			checkRowLine(t, data, r.Line, prev)
			prev = r.Line
			checkRef(t, "from_channel", r.FromChannel, true)
			checkRef(t, "to_channel", r.ToChannel, true)
			if fold(r.FromChannel) == fold(r.ToChannel) || checkProbability(r.Probability) != nil {
				t.Fatalf("row %+v accepted but not valid", r)
			}
		}
	})
}

func FuzzParseOptionsCSV(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs := ParseOptionsCSV(bytes.NewReader(data))
		checkErrors(t, data, errs)
		prev := 0
		for _, r := range rows {
			checkRowLine(t, data, r.Line, prev)
			prev = r.Line
			checkRef(t, "channel", r.Channel, true)
			checkRef(t, "community", r.Community, false)
			checkRef(t, "speaker", r.Speaker, false)
			in := OptionInput{Kind: r.Kind, Title: r.Title, ChannelID: "c", Language: r.Language, IdentityLevel: r.IdentityLevel,
				Money: r.Money, SpeakerHours: r.SpeakerHours, Notes: r.Notes}
			if got, err := in.normalize(); err != nil || got != in {
				t.Fatalf("row %+v accepted but not valid: %v", r, err)
			}
		}
	})
}
