package subtitles

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseSRT reads a SubRip file. Cue numbers are optional and ignored; a line containing "-->"
// always starts a cue (a missing blank line between cues is tolerated), so cue text never
// contains "-->". Formatting tags and {\...} override codes are removed from the text.
func ParseSRT(r io.Reader) ([]Segment, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	// startsCue reports whether line i opens a cue: a timing line, or a cue number followed
	// by one.
	startsCue := func(i int) (timing int, ok bool) {
		if strings.Contains(lines[i], "-->") {
			return i, true
		}
		if isCueNumber(lines[i]) && i+1 < len(lines) && strings.Contains(lines[i+1], "-->") {
			return i + 1, true
		}
		return 0, false
	}
	var cues cueBuilder
	for i := 0; i < len(lines); {
		if isBlank(lines[i]) {
			i++
			continue
		}
		timing, ok := startsCue(i)
		if !ok {
			return nil, &LineError{Line: i + 1, Msg: fmt.Sprintf("expected a cue number or a timing line, found %q", clip(lines[i]))}
		}
		start, end, err := parseTiming(lines[timing])
		if err != nil {
			return nil, &LineError{Line: timing + 1, Msg: err.Error()}
		}
		j := timing + 1
		for j < len(lines) && !isBlank(lines[j]) {
			if _, next := startsCue(j); next {
				break
			}
			j++
		}
		raw := strings.Join(lines[timing+1:j], "\n")
		if len(raw) > maxRawCueBytes {
			return nil, &LineError{Line: timing + 1, Msg: fmt.Sprintf("cue text longer than %d bytes", MaxCueTextBytes)}
		}
		// The same clean-up as on export, so that what is read is what would be written:
		// removing "<i>" from "--<i>>" leaves an arrow that export would have to change.
		text := srtText(raw)
		if err := cues.add(timing+1, start, end, text); err != nil {
			return nil, err
		}
		i = j
	}
	return cues.segs, nil
}

func isCueNumber(line string) bool {
	_, ok := digits(strings.TrimSpace(line))
	return ok
}

// cleanSRTText removes the tags SubRip players understand (<i>, <b>, <u>, <s>, <font ...> and
// their closing forms) and {\...} override codes left by ASS converters, and shortens "-->"
// to "->" (a reader would take it for a timing line). SRT has no escapes, so what either
// removal reveals ("<<i>i>", "--<i>>", "<font x-->") is removed too, leaving nothing a reader
// would change: that keeps export and re-import stable. The output is used as a stack, which
// does this in one pass: when a ">" or "}" is pushed, a run of dashes before it is shortened
// and a tag ending there popped.
func cleanSRTText(s string) string {
	if !strings.ContainsAny(s, ">}") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '>' {
			for len(out) >= 2 && out[len(out)-1] == '-' && out[len(out)-2] == '-' {
				out = out[:len(out)-1]
			}
		}
		out = append(out, c)
		if c != '>' && c != '}' {
			continue
		}
		if n := srtTagBefore(out); n > 0 {
			out = out[:len(out)-n]
		}
	}
	return string(out)
}

// srtTagBefore returns the length of the markup that ends at the end of b, or 0. A tag holds
// no "<", ">" or line break, an override code no "{", "}" or line break, so only the last
// opening character can start one.
func srtTagBefore(b []byte) int {
	closing := b[len(b)-1]
	opening := byte('<')
	if closing == '}' {
		opening = '{'
	}
	i := len(b) - 2
	for i >= 0 && b[i] != opening && b[i] != '\n' && b[i] != '<' && b[i] != '>' && b[i] != '{' && b[i] != '}' {
		i--
	}
	if i < 0 || b[i] != opening {
		return 0
	}
	if opening == '{' {
		if i+1 < len(b)-1 && b[i+1] == '\\' {
			return len(b) - i
		}
		return 0
	}
	inner := strings.ToLower(string(b[i+1 : len(b)-1]))
	inner = strings.TrimPrefix(inner, "/")
	name, _, hasAttrs := strings.Cut(inner, " ")
	switch {
	case name == "font":
	case (name == "i" || name == "b" || name == "u" || name == "s") && !hasAttrs:
	default:
		return 0
	}
	return len(b) - i
}

// WriteSRT writes segments as a SubRip file numbered from 1, with CRLF-free "\n" line ends and
// millisecond precision (finer times are truncated). SRT cannot escape, so text is adjusted
// where it would otherwise change meaning: blank lines are dropped (they would end the cue),
// "-->" becomes "->" (it would start a cue), and markup that a reader would strip is removed.
func WriteSRT(w io.Writer, segs []Segment) error {
	if err := checkAllWritable(segs); err != nil {
		return fmt.Errorf("writing SRT: %w", err)
	}
	bw := bufio.NewWriter(w)
	for i, s := range segs {
		bw.WriteString(strconv.Itoa(i + 1))
		bw.WriteByte('\n')
		bw.WriteString(formatTimestamp(s.Start, ','))
		bw.WriteString(" --> ")
		bw.WriteString(formatTimestamp(s.End, ','))
		bw.WriteByte('\n')
		// Tags in Text are not formatting but literal text that SRT cannot carry; they
		// are dropped rather than left for a player to interpret.
		if text := srtText(s.Text); text != "" {
			bw.WriteString(text)
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing SRT: %w", err)
	}
	return nil
}

func srtText(s string) string { return canonicalText(cleanSRTText(s)) }
