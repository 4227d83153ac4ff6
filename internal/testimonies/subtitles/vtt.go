package subtitles

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseVTT reads a WebVTT file. The header, NOTE, STYLE and REGION blocks, cue identifiers and
// cue settings are skipped; hours in timestamps are optional. Cue text is turned into plain
// text: tags are removed (their content kept), character references decoded. A line containing
// "-->" always starts a cue, as in the specification; text after a timing line but without one
// of its own is an error rather than silently dropped.
func ParseVTT(r io.Reader) ([]Segment, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 || !isVTTSignature([]byte(lines[0])) {
		return nil, &LineError{Line: 1, Msg: `missing "WEBVTT" signature`}
	}
	i := 1
	// Header lines (Kind:, Language:, …) run to the first blank line; a timing line there
	// means the header was left without its blank line.
	for i < len(lines) && !isBlank(lines[i]) && !strings.Contains(lines[i], "-->") {
		i++
	}
	var cues cueBuilder
	for i < len(lines) {
		line := lines[i]
		if isBlank(line) {
			i++
			continue
		}
		if isVTTBlockKeyword(line) {
			for i < len(lines) && !isBlank(lines[i]) {
				i++
			}
			continue
		}
		timing := i
		if !strings.Contains(line, "-->") {
			// A cue identifier must be followed by the timing line.
			if i+1 >= len(lines) || !strings.Contains(lines[i+1], "-->") {
				return nil, &LineError{Line: i + 1, Msg: fmt.Sprintf("expected a cue timing line, found %q", clip(line))}
			}
			timing = i + 1
		}
		start, end, err := parseTiming(lines[timing])
		if err != nil {
			return nil, &LineError{Line: timing + 1, Msg: err.Error()}
		}
		j := timing + 1
		for j < len(lines) && !isBlank(lines[j]) && !strings.Contains(lines[j], "-->") {
			j++
		}
		raw := strings.Join(lines[timing+1:j], "\n")
		if len(raw) > maxRawCueBytes {
			return nil, &LineError{Line: timing + 1, Msg: fmt.Sprintf("cue text longer than %d bytes", MaxCueTextBytes)}
		}
		text := canonicalText(vttPlainText(raw))
		if err := cues.add(timing+1, start, end, text); err != nil {
			return nil, err
		}
		i = j
	}
	return cues.segs, nil
}

func isVTTBlockKeyword(line string) bool {
	for _, kw := range []string{"NOTE", "STYLE", "REGION"} {
		if rest, ok := strings.CutPrefix(line, kw); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return true
		}
	}
	return false
}

// vttPlainText removes tags (keeping what they enclose, so the words of a <v Speaker> span stay
// while the speaker's name goes) and decodes character references. A "<" without a closing ">"
// is kept as text: the file was careless, and dropping the rest of the cue would lose words.
func vttPlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			if end := strings.IndexByte(s[i:], '>'); end >= 0 {
				i += end + 1
				continue
			}
		case '&':
			if r, n := decodeReference(s[i:]); n > 0 {
				b.WriteString(r)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

var namedReferences = map[string]string{
	"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'",
	"nbsp": "\u00A0", "lrm": "\u200E", "rlm": "\u200F",
}

// decodeReference decodes a character reference at the start of s ("&amp;", "&#1575;",
// "&#x627;") and returns it with its length, or n == 0 if s does not start with one.
func decodeReference(s string) (string, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return "", 0
	}
	body := s[1:end]
	if v, ok := namedReferences[body]; ok {
		return v, end + 1
	}
	if body[0] != '#' || len(body) < 2 {
		return "", 0
	}
	var n uint64
	var err error
	if body[1] == 'x' || body[1] == 'X' {
		n, err = strconv.ParseUint(body[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(body[1:], 10, 32)
	}
	if err != nil {
		return "", 0
	}
	r := rune(n)
	if n == 0 || n > utf8.MaxRune || !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	return string(r), end + 1
}

// WriteVTT writes segments as a WebVTT file without identifiers or settings, with millisecond
// precision (finer times are truncated). "&", "<" and ">" are written as character references,
// which also keeps "-->" out of cue text, and blank lines, which would end the cue, are dropped.
func WriteVTT(w io.Writer, segs []Segment) error {
	if err := checkAllWritable(segs); err != nil {
		return fmt.Errorf("writing WebVTT: %w", err)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("WEBVTT\n\n")
	for _, s := range segs {
		bw.WriteString(formatTimestamp(s.Start, '.'))
		bw.WriteString(" --> ")
		bw.WriteString(formatTimestamp(s.End, '.'))
		bw.WriteByte('\n')
		if text := vttEscaper.Replace(canonicalText(s.Text)); text != "" {
			bw.WriteString(text)
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing WebVTT: %w", err)
	}
	return nil
}

var vttEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
