package i18n

import (
	"strconv"
	"time"
)

// monthNames holds abbreviated month names per language. Arabic uses the CLDR "ar"
// names (يناير…), which are understood across the Arab world; there are no Arabic
// abbreviations, so the full names are used. Digits stay Western in both languages,
// like the rest of the app, so dates, ids and codes read the same everywhere.
var monthNames = map[string][12]string{
	"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	"ar": {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
}

// dateTimeSeparator sits between the date and the time: Arabic uses its own comma.
var dateTimeSeparator = map[string]string{"en": ", ", "ar": "، "}

// Date formats the calendar date of t in t's location, day first and the month by
// name so it cannot be misread across conventions: "24 Nov 2026", "24 نوفمبر 2026".
func (l *Localizer) Date(t time.Time) string {
	months, ok := monthNames[l.lang]
	if !ok {
		months = monthNames[Default]
	}
	return strconv.Itoa(t.Day()) + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// DateTime formats t in its own location with a 24-hour clock and the zone's
// abbreviation, so the zone is never ambiguous: "24 Nov 2026, 14:05 UTC". Callers
// choose the zone (t.UTC(), or t.In(the user's location)).
func (l *Localizer) DateTime(t time.Time) string {
	sep, ok := dateTimeSeparator[l.lang]
	if !ok {
		sep = dateTimeSeparator[Default]
	}
	return l.Date(t) + sep + t.Format("15:04 MST")
}
