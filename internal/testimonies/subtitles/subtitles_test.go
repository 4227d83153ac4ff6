package subtitles

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func ts(h, m, s, ms int) time.Duration {
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond
}

// arabicEnglishSRT is written the way a Windows subtitle editor saves it: BOM, CRLF, tags,
// Arabic with vowel marks and an RLM, no final blank line.
const arabicEnglishSRT = "\uFEFF1\r\n" +
	"00:00:01,000 --> 00:00:03,500\r\n" +
	"كُنْتُ في الموصل عام ٢٠١٤\r\n" +
	"\r\n" +
	"2\r\n" +
	"00:00:03,500 --> 00:00:07,250\r\n" +
	"<i>They told us</i> we were\r\n" +
	"fighting for God & people.\r\n" +
	"\r\n" +
	"3\r\n" +
	"00:00:07,250 --> 00:00:09,000\r\n" +
	"\u200Fقال لي: \"لا تَعُدْ\" — ١٢٣\r\n" +
	"And <b>he</b> left."

var arabicEnglishSegments = []Segment{
	{Start: ts(0, 0, 1, 0), End: ts(0, 0, 3, 500), Text: "كُنْتُ في الموصل عام ٢٠١٤"},
	{Start: ts(0, 0, 3, 500), End: ts(0, 0, 7, 250), Text: "They told us we were\nfighting for God & people."},
	{Start: ts(0, 0, 7, 250), End: ts(0, 0, 9, 0), Text: "\u200Fقال لي: \"لا تَعُدْ\" — ١٢٣\nAnd he left."},
}

func TestRoundTripAcrossFormats(t *testing.T) {
	segs, err := ParseSRT(strings.NewReader(arabicEnglishSRT))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(segs, arabicEnglishSegments) {
		t.Fatalf("ParseSRT:\n got %q\nwant %q", segs, arabicEnglishSegments)
	}
	var vtt bytes.Buffer
	if err := WriteVTT(&vtt, segs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(vtt.String(), "God &amp; people.") {
		t.Errorf("WebVTT export did not escape &:\n%s", vtt.String())
	}
	fromVTT, err := ParseVTT(&vtt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromVTT, arabicEnglishSegments) {
		t.Fatalf("SRT→VTT→segments:\n got %q\nwant %q", fromVTT, arabicEnglishSegments)
	}
	var srt bytes.Buffer
	if err := WriteSRT(&srt, fromVTT); err != nil {
		t.Fatal(err)
	}
	fromSRT, err := ParseSRT(bytes.NewReader(srt.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromSRT, arabicEnglishSegments) {
		t.Fatalf("VTT→SRT→segments:\n got %q\nwant %q", fromSRT, arabicEnglishSegments)
	}
	// Right-to-left text must come back byte for byte, marks and RLM included.
	if !bytes.Contains(srt.Bytes(), []byte("\u200Fقال لي: \"لا تَعُدْ\" — ١٢٣")) {
		t.Errorf("Arabic line not byte-exact in SRT export:\n%s", srt.String())
	}
}

func TestWriteExactOutput(t *testing.T) {
	segs := []Segment{
		{Start: ts(1, 2, 3, 4), End: ts(1, 2, 5, 999), Text: "a < b && c > d\n\n  \nnext --> line"},
		{Start: ts(0, 0, 0, 0), End: ts(0, 0, 0, 0), Text: ""},
	}
	var vtt, srt bytes.Buffer
	if err := WriteVTT(&vtt, segs); err != nil {
		t.Fatal(err)
	}
	wantVTT := "WEBVTT\n\n" +
		"01:02:03.004 --> 01:02:05.999\na &lt; b &amp;&amp; c &gt; d\nnext --&gt; line\n\n" +
		"00:00:00.000 --> 00:00:00.000\n\n"
	if vtt.String() != wantVTT {
		t.Errorf("WriteVTT:\n got %q\nwant %q", vtt.String(), wantVTT)
	}
	if err := WriteSRT(&srt, segs); err != nil {
		t.Fatal(err)
	}
	wantSRT := "1\n01:02:03,004 --> 01:02:05,999\na < b && c > d\nnext -> line\n\n" +
		"2\n00:00:00,000 --> 00:00:00,000\n\n"
	if srt.String() != wantSRT {
		t.Errorf("WriteSRT:\n got %q\nwant %q", srt.String(), wantSRT)
	}
}

func TestParseSRTTolerance(t *testing.T) {
	one := []Segment{{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "Hello"}}
	two := []Segment{
		{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "Hello"},
		{Start: ts(0, 0, 3, 0), End: ts(0, 0, 4, 0), Text: "World\nagain"},
	}
	tests := []struct {
		name, in string
		want     []Segment
	}{
		{"plain", "1\n00:00:01,000 --> 00:00:02,000\nHello\n", one},
		{"BOM and CRLF", "\uFEFF1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\n\r\n", one},
		{"old Mac CR", "1\r00:00:01,000 --> 00:00:02,000\rHello\r", one},
		{"no final line end", "1\n00:00:01,000 --> 00:00:02,000\nHello", one},
		{"dot milliseconds", "1\n00:00:01.000 --> 00:00:02.000\nHello\n", one},
		{"no hours", "1\n00:01,000 --> 00:02,000\nHello\n", one},
		{"no cue number", "00:00:01,000 --> 00:00:02,000\nHello\n", one},
		{"coordinates after timing", "1\n00:00:01,000 --> 00:00:02,000 X1:10 X2:20 Y1:1 Y2:2\nHello\n", one},
		{"tags and override codes", "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<font color=\"#ff0000\"><I>Hel</I>lo</font>\n", one},
		{"nested tag trick", "1\n00:00:01,000 --> 00:00:02,000\n<<i>i>Hello\n", one},
		{"arrow revealed by a tag", "1\n00:00:01,000 --> 00:00:02,000\n--<i>>\n", []Segment{{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "->"}}},
		{"extra blank lines", "\n\n1\n00:00:01,000 --> 00:00:02,000\nHello\n\n\n \n2\n00:00:03,000 --> 00:00:04,000\nWorld\nagain\n\n\n", two},
		{"missing blank line between cues", "1\n00:00:01,000 --> 00:00:02,000\nHello\n2\n00:00:03,000 --> 00:00:04,000\nWorld\nagain", two},
		{"whitespace-only separator", "1\n00:00:01,000 --> 00:00:02,000\nHello\n \t\n2\n00:00:03,000 --> 00:00:04,000\nWorld\nagain", two},
		{"unknown tag kept", "1\n00:00:01,000 --> 00:00:02,000\n<3 you\n", []Segment{{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "<3 you"}}},
		{"number as text", "1\n00:00:01,000 --> 00:00:02,000\n42\n\n", []Segment{{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "42"}}},
		{"empty cue", "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nWorld\nagain\n", []Segment{
			{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0)}, two[1]}},
		{"empty file", "", nil},
		{"BOM only", "\uFEFF", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSRT(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseVTTTolerance(t *testing.T) {
	one := []Segment{{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "Hello"}}
	tests := []struct {
		name, in string
		want     []Segment
	}{
		{"plain", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n", one},
		{"hours optional", "WEBVTT\n\n00:01.000 --> 00:02.000\nHello", one},
		{"BOM CRLF header title", "\uFEFFWEBVTT - a title\r\nKind: captions\r\nLanguage: ar\r\n\r\n00:01.000 --> 00:02.000\r\nHello\r\n", one},
		{"identifier and settings", "WEBVTT\n\nintro-1\n00:01.000 --> 00:02.000 align:start position:10% line:0\nHello\n", one},
		{"NOTE STYLE REGION", "WEBVTT\n\nSTYLE\n::cue { color: red }\n\nREGION\nid:r1 width:40%\n\nNOTE this is\na comment\n\n00:01.000 --> 00:02.000\nHello\n\nNOTE\nend\n", one},
		{"tags stripped", "WEBVTT\n\n00:01.000 --> 00:02.000\n<c.yellow.bg_blue><i>He</i></c><00:00:01.500><b>llo</b>\n", one},
		{"voice span keeps words, drops speaker", "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Roger Bingham>Hello</v>\n", one},
		{"voice span without end tag", "WEBVTT\n\n00:01.000 --> 00:02.000\n<v.loud Esme>Hello\n", one},
		{"entities", "WEBVTT\n\n00:01.000 --> 00:02.000\nA &amp; B &lt;i&gt; &#1575;&#x644; &nbsp;&rlm;&unknown; &\n", []Segment{
			{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "A & B <i> ال \u00A0\u200F&unknown; &"}}},
		{"reference to NUL becomes U+FFFD", "WEBVTT\n\n00:01.000 --> 00:02.000\nx&#0;y\n", []Segment{
			{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "x\uFFFDy"}}},
		{"unclosed < kept", "WEBVTT\n\n00:01.000 --> 00:02.000\n1 < 2\n", []Segment{
			{Start: ts(0, 0, 1, 0), End: ts(0, 0, 2, 0), Text: "1 < 2"}}},
		{"header without blank line", "WEBVTT\n00:01.000 --> 00:02.000\nHello\n", one},
		{"timing line ends previous cue", "WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n00:03.000 --> 00:04.000\nBye\n", []Segment{
			one[0], {Start: ts(0, 0, 3, 0), End: ts(0, 0, 4, 0), Text: "Bye"}}},
		{"only signature", "WEBVTT", nil},
		{"comma milliseconds", "WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nHello\n", one},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVTT(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	manyCues := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%d\n00:00:01,000 --> 00:00:02,000\nx\n\n", i+1)
		}
		return b.String()
	}
	tests := []struct {
		name   string
		vtt    bool
		in     string
		line   int
		substr string
	}{
		{"invalid UTF-8", false, "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:04,000\n\xC7\xE1\xE3\xE6\xD5\xE1\n", 7, "UTF-8"},
		{"NUL", false, "1\n00:00:01,000 --> 00:00:02,000\na\x00b\n", 3, "NUL"},
		{"minutes out of range", false, "1\n00:60:01,000 --> 00:61:02,000\nx\n", 2, "minutes"},
		{"seconds out of range", true, "WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nx\n", 3, "seconds"},
		{"hours beyond limit", false, "1\n100:00:00,000 --> 100:00:01,000\nx\n", 2, "beyond"},
		{"end before start", false, "1\n00:00:05,000 --> 00:00:02,000\nx\n", 2, "before"},
		{"two-digit milliseconds", false, "1\n00:00:01,00 --> 00:00:02,000\nx\n", 2, "invalid timestamp"},
		{"garbage timing", true, "WEBVTT\n\n00:01.000 --> soon\nx\n", 3, "invalid timestamp"},
		{"text without timing", false, "1\n00:00:01,000 --> 00:00:02,000\nx\n\nstray words\n", 5, "expected"},
		{"vtt text without timing", true, "WEBVTT\n\nstray\nwords\n", 3, "expected"},
		{"missing signature", true, "1\n00:00:01,000 --> 00:00:02,000\nx\n", 1, "WEBVTT"},
		{"signature prefix only", true, "WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n", 1, "WEBVTT"},
		{"cue text too long", false, "1\n00:00:01,000 --> 00:00:02,000\n" + strings.Repeat("ب", MaxCueTextBytes) + "\n", 2, "longer"},
		{"too many cues", false, manyCues(MaxCues + 1), 4*MaxCues + 2, "more than"},
		{"input too large", false, strings.Repeat("\n", MaxInputBytes+1), MaxInputBytes + 1, "larger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.vtt {
				_, err = ParseVTT(strings.NewReader(tt.in))
			} else {
				_, err = ParseSRT(strings.NewReader(tt.in))
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a *LineError", err)
			}
			if le.Line != tt.line || !strings.Contains(le.Msg, tt.substr) {
				t.Errorf("got %v, want line %d mentioning %q", le, tt.line, tt.substr)
			}
		})
	}
}

func TestParseDetectsByContent(t *testing.T) {
	vtt := []byte("\uFEFFWEBVTT\n\n00:01.000 --> 00:02.000\nHello\n")
	segs, format, err := Parse("clip.srt", vtt)
	if err != nil || format != WebVTT || len(segs) != 1 {
		t.Fatalf("Parse(.srt name, VTT content) = %v, %q, %v", segs, format, err)
	}
	segs, format, err = Parse("clip.vtt", []byte(arabicEnglishSRT))
	if err != nil || format != SRT || len(segs) != 3 {
		t.Fatalf("Parse(.vtt name, SRT content) = %v, %q, %v", segs, format, err)
	}
	_, _, err = Parse("broken.vtt", []byte("WEBVTT\n\n00:01.000 --> 00:00.000\nx\n"))
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || !strings.Contains(err.Error(), "broken.vtt") {
		t.Fatalf("Parse error = %v, want a *LineError at line 3 naming the file", err)
	}
}

func TestParseUTF16(t *testing.T) {
	for _, big := range []bool{false, true} {
		units := utf16.Encode([]rune("\uFEFF" + arabicEnglishSRT[len("\uFEFF"):]))
		var b []byte
		for _, u := range units {
			if big {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		segs, format, err := Parse("windows.srt", b)
		if err != nil || format != SRT {
			t.Fatalf("big endian %v: %v, %v", big, format, err)
		}
		if !reflect.DeepEqual(segs, arabicEnglishSegments) {
			t.Errorf("big endian %v: got %q", big, segs)
		}
	}
	if _, err := ParseSRT(bytes.NewReader([]byte{0xFF, 0xFE, 'a'})); err == nil {
		t.Error("odd-length UTF-16 accepted")
	}
}

func TestWriteRefusesUnrepresentable(t *testing.T) {
	bad := []Segment{
		{Start: -time.Second, End: time.Second},
		{Start: 2 * time.Second, End: time.Second},
		{Start: 0, End: MaxTimestamp + time.Millisecond},
		{Text: "\xff"},
		{Text: "a\x00"},
		{Text: strings.Repeat("a", MaxCueTextBytes+1)},
	}
	for _, s := range bad {
		var buf bytes.Buffer
		if err := WriteVTT(&buf, []Segment{s}); err == nil {
			t.Errorf("WriteVTT accepted %q", s)
		}
		if err := WriteSRT(&buf, []Segment{s}); err == nil {
			t.Errorf("WriteSRT accepted %q", s)
		}
		var se *SegmentError
		if err := Check([]Segment{s}); !errors.As(err, &se) || se.Index != 0 {
			t.Errorf("Check(%q) = %v, want a *SegmentError for index 0", s, err)
		}
	}
}

func TestCheckAndOverlaps(t *testing.T) {
	segs := []Segment{
		{Start: ts(0, 0, 0, 0), End: ts(0, 0, 5, 0)},
		{Start: ts(0, 0, 5, 0), End: ts(0, 0, 9, 0)},  // touches, no overlap
		{Start: ts(0, 0, 6, 0), End: ts(0, 0, 7, 0)},  // inside the previous
		{Start: ts(0, 0, 8, 0), End: ts(0, 0, 10, 0)}, // still inside segment 1
		{Start: ts(0, 0, 10, 0), End: ts(0, 0, 11, 0)},
	}
	if err := Check(segs); err != nil {
		t.Fatalf("overlaps must be allowed: %v", err)
	}
	want := []Overlap{{1, 2}, {1, 3}}
	if got := Overlaps(segs); !reflect.DeepEqual(got, want) {
		t.Errorf("Overlaps = %v, want %v", got, want)
	}
	unsorted := []Segment{segs[1], segs[0]}
	var se *SegmentError
	if err := Check(unsorted); !errors.As(err, &se) || se.Index != 1 {
		t.Errorf("Check(unsorted) = %v, want a *SegmentError for index 1", err)
	}
}

func TestWriteTruncatesToMilliseconds(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteVTT(&buf, []Segment{{Start: 1500 * time.Microsecond, End: 2999999 * time.Nanosecond, Text: "x"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "00:00:00.001 --> 00:00:00.002") {
		t.Errorf("got %q", buf.String())
	}
}
