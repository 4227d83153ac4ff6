// Package ical writes a user's engagement calendar as an RFC 5545 iCalendar
// feed. It is pure: the caller decides which events the user may see and what
// each field may reveal (aliases only, never identity or venue details above the
// user's clearance); this package only guarantees that whatever strings it is
// given come out as well-formed iCalendar.
//
// Guarantees of Write:
//   - lines end in CRLF and are folded so no physical line exceeds 75 octets,
//     never splitting a UTF-8 sequence or a backslash escape;
//   - TEXT values escape backslash, semicolon, comma and newlines, so no value
//     can end a line or start a property of its own;
//   - invalid UTF-8 is replaced by U+FFFD, CR and CRLF become a newline, and the
//     other control characters RFC 5545 forbids in TEXT (all but tab) are dropped;
//   - DTSTAMP, DTSTART and DTEND are written in UTC ("Z"), which every client
//     shows at the right instant without a VTIMEZONE block. TZID is kept as an
//     informational X-INOCULATE-TZID property.
//
// Write validates everything before writing anything, so a refused feed leaves
// w untouched.
package ical

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ProdID identifies the product that wrote the feed.
const ProdID = "-//Inoculate//Calendar//EN"

// maxLine is the RFC 5545 limit on a physical line, in octets, excluding CRLF.
const maxLine = 75

// Event is one VEVENT. UID, Start and End are required.
type Event struct {
	UID         string
	Summary     string
	Location    string
	Description string
	Start, End  time.Time
	// TZID is the IANA zone the engagement is planned in, for information only:
	// the times themselves are written in UTC.
	TZID string
	// Status is TENTATIVE, CONFIRMED or CANCELLED (any case), or empty.
	Status string
	// Updated is when the event last changed; it becomes DTSTAMP and
	// LAST-MODIFIED. When zero, DTSTAMP falls back to Start so the feed stays
	// deterministic (no hidden clock).
	Updated time.Time
}

// Write writes the calendar calName with events to w.
func Write(w io.Writer, calName string, events []Event) error {
	var b bytes.Buffer
	line(&b, "BEGIN", "VCALENDAR")
	line(&b, "VERSION", "2.0")
	line(&b, "PRODID", ProdID)
	line(&b, "CALSCALE", "GREGORIAN")
	line(&b, "METHOD", "PUBLISH")
	if calName != "" {
		line(&b, "NAME", Escape(calName))
		line(&b, "X-WR-CALNAME", Escape(calName))
	}
	seen := make(map[string]bool, len(events))
	for i, ev := range events {
		if err := writeEvent(&b, ev, seen); err != nil {
			return fmt.Errorf("ical: event %d: %w", i, err)
		}
	}
	line(&b, "END", "VCALENDAR")
	_, err := w.Write(b.Bytes())
	return err
}

func writeEvent(b *bytes.Buffer, ev Event, seen map[string]bool) error {
	uid := Sanitize(ev.UID)
	switch {
	case uid == "":
		return errors.New("UID is required")
	case seen[uid]:
		// Two events with one UID would make clients drop or merge one silently.
		return fmt.Errorf("duplicate UID %q", uid)
	case ev.Start.IsZero() || ev.End.IsZero():
		return errors.New("start and end are required")
	case ev.End.Before(ev.Start):
		return errors.New("end is before start")
	}
	seen[uid] = true
	status := strings.ToUpper(ev.Status)
	switch status {
	case "", "TENTATIVE", "CONFIRMED", "CANCELLED":
	default:
		return fmt.Errorf("status %q is not TENTATIVE, CONFIRMED or CANCELLED", ev.Status)
	}
	stamp := ev.Updated
	if stamp.IsZero() {
		stamp = ev.Start
	}
	var times [4]string
	for i, t := range []time.Time{stamp, ev.Start, ev.End, ev.Updated} {
		if i == 3 && t.IsZero() {
			break
		}
		s, err := utc(t)
		if err != nil {
			return err
		}
		times[i] = s
	}

	line(b, "BEGIN", "VEVENT")
	line(b, "UID", Escape(uid))
	line(b, "DTSTAMP", times[0])
	line(b, "DTSTART", times[1])
	line(b, "DTEND", times[2])
	if times[3] != "" {
		line(b, "LAST-MODIFIED", times[3])
	}
	text(b, "SUMMARY", ev.Summary)
	text(b, "LOCATION", ev.Location)
	text(b, "DESCRIPTION", ev.Description)
	text(b, "X-INOCULATE-TZID", ev.TZID)
	if status != "" {
		line(b, "STATUS", status)
	}
	line(b, "END", "VEVENT")
	return nil
}

// utc formats t as an RFC 5545 UTC DATE-TIME, refusing years it cannot express.
func utc(t time.Time) (string, error) {
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return "", fmt.Errorf("time %v is outside years 0001-9999", t)
	}
	return t.Format("20060102T150405Z"), nil
}

// text writes a TEXT property, omitting it when empty (an absent property reads
// back as the empty string).
func text(b *bytes.Buffer, name, value string) {
	if v := Escape(value); v != "" {
		line(b, name, v)
	}
}

// Sanitize makes s safe TEXT content before escaping: valid UTF-8, newlines as
// "\n", and no control characters other than tab and newline.
func Sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// Escape sanitizes s and escapes it as an RFC 5545 TEXT value (section 3.3.11).
func Escape(s string) string {
	s = Sanitize(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// line writes "name:value" folded at 75 octets with CRLF endings. It folds only
// between whole UTF-8 sequences and never inside a backslash escape, which
// RFC 5545 would allow but some clients mishandle.
func line(b *bytes.Buffer, name, value string) {
	content := name + ":" + value
	n := 0 // octets on the current physical line
	for i := 0; i < len(content); {
		size := 1
		if content[i] == '\\' && i+1 < len(content) {
			size = 2 // an escape pair: both are ASCII
		} else if content[i] >= utf8.RuneSelf {
			_, size = utf8.DecodeRuneInString(content[i:])
		}
		if n+size > maxLine {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteString(content[i : i+size])
		n += size
		i += size
	}
	b.WriteString("\r\n")
}
