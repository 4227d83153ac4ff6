package ical_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"inoculate/internal/engagements/ical"
)

var (
	start = time.Date(2026, 5, 14, 18, 30, 0, 0, time.FixedZone("AST", 3*3600))
	end   = start.Add(90 * time.Minute)
	upd   = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
)

func TestWriteGolden(t *testing.T) {
	var b bytes.Buffer
	err := ical.Write(&b, "Forums; Amal, (alias)", []ical.Event{{
		UID: "eng-42@inoculate", Summary: "Public forum, Q&A; speaker \"Amal\"",
		Location: "Community centre\nHall B", Description: `Path C:\forums`,
		Start: start, End: end, TZID: "Asia/Riyadh", Status: "confirmed", Updated: upd,
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//Inoculate//Calendar//EN",
		"CALSCALE:GREGORIAN",
		"METHOD:PUBLISH",
		`NAME:Forums\; Amal\, (alias)`,
		`X-WR-CALNAME:Forums\; Amal\, (alias)`,
		"BEGIN:VEVENT",
		"UID:eng-42@inoculate",
		"DTSTAMP:20260501T080000Z",
		"DTSTART:20260514T153000Z",
		"DTEND:20260514T170000Z",
		"LAST-MODIFIED:20260501T080000Z",
		`SUMMARY:Public forum\, Q&A\; speaker "Amal"`,
		`LOCATION:Community centre\nHall B`,
		`DESCRIPTION:Path C:\\forums`,
		"X-INOCULATE-TZID:Asia/Riyadh",
		"STATUS:CONFIRMED",
		"END:VEVENT",
		"END:VCALENDAR",
		"",
	}, "\r\n")
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEmptyCalendarAndDefaults(t *testing.T) {
	var b bytes.Buffer
	if err := ical.Write(&b, "", nil); err != nil {
		t.Fatal(err)
	}
	if want := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Inoculate//Calendar//EN\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n"; b.String() != want {
		t.Errorf("got %q", b.String())
	}
	b.Reset()
	// No Updated: DTSTAMP falls back to Start, no LAST-MODIFIED; empty texts are omitted.
	if err := ical.Write(&b, "x", []ical.Event{{UID: "u", Start: start, End: start}}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if !strings.Contains(s, "DTSTAMP:20260514T153000Z\r\n") || strings.Contains(s, "LAST-MODIFIED") || strings.Contains(s, "SUMMARY") || strings.Contains(s, "STATUS") {
		t.Errorf("got %q", s)
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{`a\b`, `a\\b`},
		{"a;b,c", `a\;b\,c`},
		{"line1\nline2", `line1\nline2`},
		{"crlf\r\nlone cr\r", `crlf\nlone cr\n`},
		{`\n is not a newline`, `\\n is not a newline`},
		{"colon: and \"quotes\" stay", "colon: and \"quotes\" stay"},
		{"tab\tkept, bell\a and nul\x00 dropped\x7f", `tab` + "\t" + `kept\, bell and nul dropped`},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"منتدى عام، الأسئلة؛ والأجوبة", "منتدى عام، الأسئلة؛ والأجوبة"}, // Arabic comma and semicolon are not TEXT delimiters
		{"منتدى; عام, نعم", `منتدى\; عام\, نعم`},
	}
	for _, tc := range tests {
		if got := ical.Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// physical returns the physical lines of a feed, checking CRLF endings.
func physical(t testing.TB, feed string) []string {
	t.Helper()
	if !strings.HasSuffix(feed, "\r\n") {
		t.Fatalf("feed does not end in CRLF: %q", feed)
	}
	lines := strings.Split(strings.TrimSuffix(feed, "\r\n"), "\r\n")
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("bare CR or LF in line %q", l)
		}
		if len(l) > 75 {
			t.Fatalf("line of %d octets: %q", len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Fatalf("physical line is not valid UTF-8 (a sequence was split): %q", l)
		}
	}
	return lines
}

func TestFolding(t *testing.T) {
	arabic := strings.Repeat("منتدى عام للشباب في المسجد الكبير، ", 6) // 2-octet runes
	tests := []struct {
		name, summary string
	}{
		{"short", "short"},
		{"exactly 75 octets", strings.Repeat("x", 75-len("SUMMARY:"))},
		{"76 octets", strings.Repeat("x", 76-len("SUMMARY:"))},
		{"long ascii", strings.Repeat("abcdefghij", 30)},
		{"arabic", arabic},
		{"arabic odd offset", "x" + arabic},
		{"emoji (4 octets)", strings.Repeat("🕌", 60)},
		{"escapes at the fold", strings.Repeat(`;`, 100)},
		{"backslashes", strings.Repeat(`a\`, 80)},
		{"newlines", strings.Repeat("سطر\n", 40)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := ical.Write(&b, "", []ical.Event{{UID: "u", Summary: tc.summary, Start: start, End: end}}); err != nil {
				t.Fatal(err)
			}
			lines := physical(t, b.String())
			var folded []string
			for i, l := range lines {
				if strings.HasPrefix(l, "SUMMARY:") {
					folded = append(folded, l)
					for _, c := range lines[i+1:] {
						if !strings.HasPrefix(c, " ") {
							break
						}
						folded = append(folded, c)
					}
				}
			}
			if len(folded) == 0 {
				t.Fatal("no SUMMARY")
			}
			for i, l := range folded {
				// Folds land where the line is full: the next unit would not fit.
				if i < len(folded)-1 && len(l) < 75-3 {
					t.Errorf("fold %d is only %d octets: %q", i, len(l), l)
				}
				// No escape pair is split: a continuation never starts with the
				// escaped character alone after a trailing lone backslash.
				if trailing := len(l) - len(strings.TrimRight(l, `\`)); i < len(folded)-1 && trailing%2 == 1 {
					t.Errorf("escape split at fold %d: %q", i, l)
				}
			}
			got := parse(t, b.String())
			if len(got.events) != 1 || got.events[0].Summary != tc.summary {
				t.Errorf("round trip: got %q, want %q", got.events[0].Summary, tc.summary)
			}
			if tc.name == "exactly 75 octets" && len(folded) != 1 {
				t.Errorf("75 octets should not fold, got %d lines", len(folded))
			}
			if tc.name == "76 octets" && len(folded) != 2 {
				t.Errorf("76 octets should fold once, got %d lines", len(folded))
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	ok := ical.Event{UID: "u", Start: start, End: end}
	tests := []struct {
		name   string
		events []ical.Event
		want   string
	}{
		{"no uid", []ical.Event{{Start: start, End: end}}, "UID is required"},
		{"uid of controls only", []ical.Event{{UID: "\x00\x01", Start: start, End: end}}, "UID is required"},
		{"duplicate uid", []ical.Event{ok, ok}, "duplicate UID"},
		{"no start", []ical.Event{{UID: "u", End: end}}, "start and end are required"},
		{"no end", []ical.Event{{UID: "u", Start: start}}, "start and end are required"},
		{"end before start", []ical.Event{{UID: "u", Start: end, End: start}}, "end is before start"},
		{"bad status", []ical.Event{{UID: "u", Start: start, End: end, Status: "maybe"}}, "status"},
		{"year 10000", []ical.Event{{UID: "u", Start: start, End: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, "outside years"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := ical.Write(&b, "cal", tc.events)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("a refused feed wrote %d bytes", b.Len())
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterError(t *testing.T) {
	if err := ical.Write(failWriter{}, "", nil); err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v", err)
	}
}

// parsed is what the test parser recovers from a feed.
type parsed struct {
	calName string
	events  []ical.Event
}

// parse is a deliberately simple, strict reader: it checks the physical-line
// rules, unfolds, checks BEGIN/END nesting, and unescapes TEXT values.
func parse(t testing.TB, feed string) parsed {
	t.Helper()
	var logical []string
	for _, l := range physical(t, feed) {
		if strings.HasPrefix(l, " ") {
			if len(logical) == 0 {
				t.Fatalf("feed starts with a continuation line")
			}
			logical[len(logical)-1] += l[1:]
			continue
		}
		logical = append(logical, l)
	}
	var out parsed
	var stack []string
	var cur *ical.Event
	for _, l := range logical {
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" || strings.ContainsAny(name, ";\"") {
			t.Fatalf("malformed content line %q", l)
		}
		switch name {
		case "BEGIN":
			stack = append(stack, value)
			if value == "VEVENT" {
				if len(stack) != 2 || stack[0] != "VCALENDAR" {
					t.Fatalf("VEVENT outside VCALENDAR")
				}
				out.events = append(out.events, ical.Event{})
				cur = &out.events[len(out.events)-1]
			}
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				t.Fatalf("END:%s does not close %v", value, stack)
			}
			stack = stack[:len(stack)-1]
			cur = nil
			continue
		}
		if len(stack) == 0 {
			t.Fatalf("property %s outside VCALENDAR", name)
		}
		if cur == nil {
			if name == "X-WR-CALNAME" {
				out.calName = unescape(t, value)
			}
			continue
		}
		switch name {
		case "UID":
			cur.UID = unescape(t, value)
		case "SUMMARY":
			cur.Summary = unescape(t, value)
		case "LOCATION":
			cur.Location = unescape(t, value)
		case "DESCRIPTION":
			cur.Description = unescape(t, value)
		case "X-INOCULATE-TZID":
			cur.TZID = unescape(t, value)
		case "STATUS":
			cur.Status = value
		case "DTSTART", "DTEND", "DTSTAMP", "LAST-MODIFIED":
			tm, err := time.Parse("20060102T150405Z", value)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			switch name {
			case "DTSTART":
				cur.Start = tm
			case "DTEND":
				cur.End = tm
			case "LAST-MODIFIED":
				cur.Updated = tm
			}
		default:
			t.Fatalf("unexpected property %s", name)
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed %v", stack)
	}
	return out
}

// unescape reverses TEXT escaping, refusing anything RFC 5545 does not allow:
// a lone backslash, an unknown escape, or an unescaped ; or ,.
func unescape(t testing.TB, v string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case ';', ',':
			t.Fatalf("unescaped %q in %q", c, v)
		case '\\':
			if i+1 == len(v) {
				t.Fatalf("trailing backslash in %q", v)
			}
			i++
			switch v[i] {
			case '\\', ';', ',':
				b.WriteByte(v[i])
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				t.Fatalf("unknown escape \\%c in %q", v[i], v)
			}
		default:
			if c < 0x20 && c != '\t' || c == 0x7f {
				t.Fatalf("control character %#x in %q", c, v)
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// expected is the test's own statement of what a field must read back as:
// invalid UTF-8 replaced, CR and CRLF read as newline, other controls but tab gone.
func expected(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		if r == '\n' || r == '\t' || (r >= 0x20 && r != 0x7f) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func FuzzWrite(f *testing.F) {
	f.Add("cal", "uid-1", "Forum, Q&A; live", "Hall\nB", `C:\path`, "Asia/Riyadh", "confirmed", int64(1_778_000_000), int64(5400), int64(1_777_000_000))
	f.Add("منتدى", "منتدى عام للشباب في المسجد الكبير، منتدى عام للشباب في المسجد الكبير", strings.Repeat("🕌;", 40), "\r\n\r", "\xff\xfe", "\x00", "", int64(0), int64(0), int64(0))
	f.Add(strings.Repeat(`\`, 100), strings.Repeat("é", 100), "", "", "", "", "tentative", int64(-62135596800), int64(1), int64(-1))
	f.Fuzz(func(t *testing.T, calName, uid, summary, location, description, tzid, status string, startUnix, durSec, updUnix int64) {
		ev := ical.Event{
			UID: uid, Summary: summary, Location: location, Description: description, TZID: tzid, Status: status,
			Start: time.Unix(startUnix, 0), End: time.Unix(startUnix, 0).Add(time.Duration(durSec) * time.Second),
		}
		if updUnix != 0 {
			ev.Updated = time.Unix(updUnix, 0)
		}
		var b bytes.Buffer
		err := ical.Write(&b, calName, []ical.Event{ev})
		if err != nil {
			if b.Len() != 0 {
				t.Fatalf("error %v but %d bytes written", err, b.Len())
			}
			return
		}
		got := parse(t, b.String())
		if got.calName != expected(calName) {
			t.Errorf("calName %q, want %q", got.calName, expected(calName))
		}
		if len(got.events) != 1 {
			t.Fatalf("%d events", len(got.events))
		}
		g := got.events[0]
		for _, c := range []struct{ field, got, in string }{
			{"UID", g.UID, uid}, {"Summary", g.Summary, summary}, {"Location", g.Location, location},
			{"Description", g.Description, description}, {"TZID", g.TZID, tzid},
		} {
			if c.got != expected(c.in) {
				t.Errorf("%s: got %q, want %q", c.field, c.got, expected(c.in))
			}
		}
		if g.Status != strings.ToUpper(status) {
			t.Errorf("status %q from %q", g.Status, status)
		}
		if !g.Start.Equal(ev.Start) || !g.End.Equal(ev.End) || !g.Updated.Equal(ev.Updated) {
			t.Errorf("times: got %v %v %v, want %v %v %v", g.Start, g.End, g.Updated, ev.Start, ev.End, ev.Updated)
		}
	})
}

func Example() {
	var b bytes.Buffer
	_ = ical.Write(&b, "Amal's engagements", []ical.Event{{
		UID: "eng-1@inoculate", Summary: "School talk", Status: "tentative",
		Start: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC),
	}})
	fmt.Print(strings.ReplaceAll(b.String(), "\r\n", "\n"))
	// Output:
	// BEGIN:VCALENDAR
	// VERSION:2.0
	// PRODID:-//Inoculate//Calendar//EN
	// CALSCALE:GREGORIAN
	// METHOD:PUBLISH
	// NAME:Amal's engagements
	// X-WR-CALNAME:Amal's engagements
	// BEGIN:VEVENT
	// UID:eng-1@inoculate
	// DTSTAMP:20260601T090000Z
	// DTSTART:20260601T090000Z
	// DTEND:20260601T100000Z
	// SUMMARY:School talk
	// STATUS:TENTATIVE
	// END:VEVENT
	// END:VCALENDAR
}
