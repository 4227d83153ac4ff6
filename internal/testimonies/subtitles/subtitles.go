// Package subtitles holds timecoded transcript segments and reads and writes them as SRT and
// WebVTT files.
//
// Segment.Text is always plain text: lines joined by "\n", no markup, no entities, no blank or
// whitespace-only lines. Importers strip formatting (SRT <i>, <b>, <u>, <s>, <font>, {\an8};
// WebVTT <i>, <b>, <c.x>, <v Name>, <lang>, <ruby>, timestamp tags) and keep the text inside it;
// exporters escape what each format needs. What the files carry beyond start, end and text is
// dropped on import: SRT cue numbers (export renumbers from 1), WebVTT cue identifiers, cue
// settings (position, alignment), the header, NOTE, STYLE and REGION blocks, and the speaker
// name of <v Name> spans. Dropping speaker names is deliberate: they name people, and this
// package feeds the release of protected testimonies.
//
// Import is tolerant of what real files look like (UTF-8 BOM, UTF-16 with a BOM, CRLF or CR
// line ends, no final blank line, runs of blank lines, comma or dot before milliseconds, WebVTT
// timestamps without hours) and strict where a silent guess could lose or corrupt content:
// invalid UTF-8, NUL bytes, malformed or out-of-range timestamps, an end before its start, text
// without a timing line, and inputs beyond the limits below are errors that name the line.
//
// Round trip: for any input that parses, writing the segments in the same format and parsing
// them again yields the same segments (the fuzz tests check this).
package subtitles

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on what is accepted. A one-hour testimony subtitled sentence by sentence has a few
// hundred cues of under 100 bytes each; these bounds leave room for a day of dense captions while
// refusing inputs that could only be mistakes or attacks.
const (
	// MaxInputBytes bounds the size of a subtitle file (after UTF-16 decoding).
	MaxInputBytes = 8 << 20
	// MaxCues bounds the number of cues in one file.
	MaxCues = 50_000
	// MaxCueTextBytes bounds the plain text of one cue, in bytes of UTF-8.
	MaxCueTextBytes = 4096
	// MaxTimestamp is the latest start or end time accepted (99:59:59.999).
	MaxTimestamp = 100*time.Hour - time.Millisecond

	// maxRawCueBytes bounds a cue's text before tags and references are removed, so that
	// markup-heavy cues (karaoke timestamps on every word) pass but no cue costs much.
	maxRawCueBytes = 4 * MaxCueTextBytes
)

// Segment is one timecoded piece of a transcript or subtitle track.
type Segment struct {
	Start, End time.Duration
	// Text is plain text; several lines are joined by "\n".
	Text string
}

// Format names a subtitle file format.
type Format string

// The formats this package reads and writes.
const (
	SRT    Format = "srt"
	WebVTT Format = "vtt"
)

// LineError reports a problem in a subtitle file at a 1-based line number.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// SegmentError reports a problem with one segment, by its 0-based index.
type SegmentError struct {
	Index int
	Msg   string
}

func (e *SegmentError) Error() string { return fmt.Sprintf("segment %d: %s", e.Index, e.Msg) }

const bom = "\uFEFF"

// Detect says which format b is in, by content: a WEBVTT signature on the first line (after an
// optional byte-order mark) means WebVTT, anything else is treated as SRT.
func Detect(b []byte) Format {
	if s, err := decodeUTF16(b); err == nil {
		b = s
	}
	b = bytes.TrimPrefix(b, []byte(bom))
	if isVTTSignature(firstLine(b)) {
		return WebVTT
	}
	return SRT
}

// Parse reads a subtitle file in either format, chosen by content (see Detect), never by name;
// name only labels errors.
func Parse(name string, b []byte) ([]Segment, Format, error) {
	format := Detect(b)
	var segs []Segment
	var err error
	switch format {
	case WebVTT:
		segs, err = ParseVTT(bytes.NewReader(b))
	default:
		segs, err = ParseSRT(bytes.NewReader(b))
	}
	if err != nil {
		return nil, format, fmt.Errorf("subtitles %q (%s): %w", name, format, err)
	}
	return segs, format, nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return b[:i]
	}
	return b
}

func isVTTSignature(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("WEBVTT"))
	return ok && (len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t')
}

// readLines reads all of r within MaxInputBytes, decodes UTF-16 if it starts with a byte-order
// mark, drops a UTF-8 BOM, checks encoding, and splits on CRLF, LF or CR.
func readLines(r io.Reader) ([]string, error) {
	// UTF-16 takes at most twice the bytes of the same text in UTF-8.
	b, err := io.ReadAll(io.LimitReader(r, 2*MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading subtitles: %w", err)
	}
	if len(b) > 2*MaxInputBytes {
		line := 1 + bytes.Count(b[:MaxInputBytes], []byte("\n"))
		return nil, &LineError{Line: line, Msg: fmt.Sprintf("file larger than %d bytes", MaxInputBytes)}
	}
	if b, err = decodeUTF16(b); err != nil {
		return nil, &LineError{Line: 1, Msg: err.Error()}
	}
	if len(b) > MaxInputBytes {
		line := 1 + bytes.Count(b[:MaxInputBytes], []byte("\n"))
		return nil, &LineError{Line: line, Msg: fmt.Sprintf("file larger than %d bytes", MaxInputBytes)}
	}
	b = bytes.TrimPrefix(b, []byte(bom))
	lines := splitLines(string(b))
	for i, l := range lines {
		if !utf8.ValidString(l) {
			return nil, &LineError{Line: i + 1, Msg: "invalid UTF-8 (save the file as UTF-8; Arabic files are often in Windows-1256)"}
		}
		if strings.IndexByte(l, 0) >= 0 {
			return nil, &LineError{Line: i + 1, Msg: "NUL character"}
		}
	}
	return lines, nil
}

// decodeUTF16 converts UTF-16 input that starts with a byte-order mark to UTF-8; other input is
// returned unchanged. Subtitle editors on Windows still write UTF-16.
func decodeUTF16(b []byte) ([]byte, error) {
	var big bool
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		big = true
	default:
		return b, nil
	}
	if len(b)%2 != 0 {
		return nil, errors.New("UTF-16 file with an odd number of bytes")
	}
	units := make([]uint16, 0, len(b)/2-1)
	for i := 2; i < len(b); i += 2 {
		if big {
			units = append(units, uint16(b[i])<<8|uint16(b[i+1]))
		} else {
			units = append(units, uint16(b[i+1])<<8|uint16(b[i]))
		}
	}
	runes := utf16.Decode(units)
	for _, r := range runes {
		if r == utf8.RuneError {
			return nil, errors.New("invalid UTF-16 (unpaired surrogate)")
		}
	}
	return []byte(string(runes)), nil
}

// splitLines splits on "\r\n", "\n" or "\r", as WebVTT specifies. A final line end does not
// start an empty line.
func splitLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

// isBlank reports whether a line separates cues. Whitespace-only lines count as blank in both
// formats: editors leave them behind and players treat them as the end of a cue anyway.
func isBlank(line string) bool { return strings.TrimSpace(line) == "" }

// canonicalText normalises line ends to "\n" and drops blank lines, so that text survives
// being written as a cue and read back.
func canonicalText(s string) string {
	if !strings.ContainsAny(s, "\r\n") && !isBlank(s) {
		return s
	}
	lines := splitLines(s)
	kept := lines[:0]
	for _, l := range lines {
		if !isBlank(l) {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// parseTimestamp reads [hh:]mm:ss.mmm with "," or "." before the milliseconds, in both
// formats: SRT files without hours and WebVTT files with commas exist in the wild.
func parseTimestamp(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid timestamp %q", clip(s))
	sep := strings.LastIndexAny(s, ".,")
	if sep < 0 || len(s)-sep-1 != 3 {
		return 0, bad
	}
	ms, ok := digits(s[sep+1:])
	if !ok {
		return 0, bad
	}
	parts := strings.Split(s[:sep], ":")
	var h, m, sec int64
	switch {
	case len(parts) == 3:
		if len(parts[0]) == 0 || len(parts[0]) > 3 {
			return 0, bad
		}
		if h, ok = digits(parts[0]); !ok {
			return 0, bad
		}
		parts = parts[1:]
	case len(parts) == 2:
	default:
		return 0, bad
	}
	if len(parts[0]) != 2 || len(parts[1]) != 2 {
		return 0, bad
	}
	if m, ok = digits(parts[0]); !ok || m > 59 {
		return 0, fmt.Errorf("minutes out of range in %q", s)
	}
	if sec, ok = digits(parts[1]); !ok || sec > 59 {
		return 0, fmt.Errorf("seconds out of range in %q", s)
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec)*time.Second + time.Duration(ms)*time.Millisecond
	if d > MaxTimestamp {
		return 0, fmt.Errorf("timestamp %q beyond %s", s, MaxTimestamp)
	}
	return d, nil
}

func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// clip shortens s for an error message, on a character boundary.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// parseTiming reads "start --> end[ rest]" and returns what follows the end timestamp.
func parseTiming(line string) (start, end time.Duration, err error) {
	left, right, _ := strings.Cut(line, "-->")
	if start, err = parseTimestamp(strings.TrimSpace(left)); err != nil {
		return 0, 0, err
	}
	right = strings.TrimLeft(right, " \t")
	endText := right
	if i := strings.IndexAny(right, " \t"); i >= 0 {
		endText = right[:i] // SRT coordinates or WebVTT cue settings follow; both are dropped
	}
	if end, err = parseTimestamp(endText); err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("cue ends (%s) before it starts (%s)", formatTimestamp(end, '.'), formatTimestamp(start, '.'))
	}
	return start, end, nil
}

func formatTimestamp(d time.Duration, msSep byte) string {
	ms := int64(d / time.Millisecond)
	h := ms / 3_600_000
	ms -= h * 3_600_000
	m := ms / 60_000
	ms -= m * 60_000
	s := ms / 1000
	ms -= s * 1000
	return fmt.Sprintf("%02d:%02d:%02d%c%03d", h, m, s, msSep, ms)
}

// Check validates segments for storage or export: times within [0, MaxTimestamp], no end before
// its start, starts in non-decreasing order, text that is valid UTF-8 without NUL and within
// MaxCueTextBytes, and no more than MaxCues segments. Overlapping segments are allowed (two
// people speaking at once is legitimate and both formats support it); use Overlaps to list them.
func Check(segs []Segment) error {
	if len(segs) > MaxCues {
		return &SegmentError{Index: MaxCues, Msg: fmt.Sprintf("more than %d segments", MaxCues)}
	}
	for i, s := range segs {
		if err := checkWritable(s); err != nil {
			return &SegmentError{Index: i, Msg: err.Error()}
		}
		if i > 0 && s.Start < segs[i-1].Start {
			return &SegmentError{Index: i, Msg: fmt.Sprintf("starts at %s, before the previous segment (%s)",
				formatTimestamp(s.Start, '.'), formatTimestamp(segs[i-1].Start, '.'))}
		}
	}
	return nil
}

// Overlap names two segments, by index, whose time ranges intersect.
type Overlap struct{ First, Second int }

// Overlaps lists, for segments sorted by start, each segment that begins before an earlier one
// has ended, paired with the earlier segment that ends last. Touching ranges (end == next start)
// do not overlap.
func Overlaps(segs []Segment) []Overlap {
	var out []Overlap
	latest := -1
	for i, s := range segs {
		if latest >= 0 && s.Start < segs[latest].End {
			out = append(out, Overlap{First: latest, Second: i})
		}
		if latest < 0 || s.End > segs[latest].End {
			latest = i
		}
	}
	return out
}

// checkWritable refuses what no file can represent.
func checkWritable(s Segment) error {
	switch {
	case s.Start < 0 || s.End < 0:
		return errors.New("negative time")
	case s.Start > MaxTimestamp || s.End > MaxTimestamp:
		return fmt.Errorf("time beyond %s", MaxTimestamp)
	case s.End < s.Start:
		return errors.New("ends before it starts")
	case !utf8.ValidString(s.Text):
		return errors.New("text is not valid UTF-8")
	case strings.IndexByte(s.Text, 0) >= 0:
		return errors.New("text contains NUL")
	case len(s.Text) > MaxCueTextBytes:
		return fmt.Errorf("text longer than %d bytes", MaxCueTextBytes)
	}
	return nil
}

func checkAllWritable(segs []Segment) error {
	if len(segs) > MaxCues {
		return fmt.Errorf("more than %d segments", MaxCues)
	}
	for i, s := range segs {
		if err := checkWritable(s); err != nil {
			return &SegmentError{Index: i, Msg: err.Error()}
		}
	}
	return nil
}

// cueBuilder accumulates parsed cues and enforces the limits.
type cueBuilder struct {
	segs []Segment
}

func (c *cueBuilder) add(line int, start, end time.Duration, text string) error {
	if len(c.segs) >= MaxCues {
		return &LineError{Line: line, Msg: fmt.Sprintf("more than %d cues", MaxCues)}
	}
	if len(text) > MaxCueTextBytes {
		return &LineError{Line: line, Msg: fmt.Sprintf("cue text longer than %d bytes", MaxCueTextBytes)}
	}
	c.segs = append(c.segs, Segment{Start: start, End: end, Text: text})
	return nil
}
