package assessment

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
)

// invalid is an Invalid error about one field, with its catalogue key.
func invalid(field, key, msg string, args ...any) *errs.Error {
	return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: key, Msg: msg, Args: args}
}

// Field limits, in characters.
const (
	maxNotes       = 5000
	maxMeasures    = 5000
	maxContactName = 200
	maxPhone       = 40
	maxContacts    = 5
	minReturnNote  = 10
)

// cleanText trims s and checks a free-text field: valid UTF-8, at most max
// characters, no control characters (newlines only where multiline) and no bidi
// overrides that could make a text display as something else.
func cleanText(field, labelKey, s string, required bool, max int, multiline bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.required", Args: []any{i18n.Key(labelKey)}, Msg: field + " is required"}
		}
		return "", nil
	}
	if !utf8.ValidString(s) {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{i18n.Key(labelKey)}, Msg: field + " holds invalid characters"}
	}
	if utf8.RuneCountInString(s) > max {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.too_long", Args: []any{i18n.Key(labelKey), max}, Msg: field + " is too long"}
	}
	for _, r := range s {
		if (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) || isBidiControl(r) {
			return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{i18n.Key(labelKey)}, Msg: field + " holds invalid characters"}
		}
	}
	return s, nil
}

// isBidiControl reports the explicit directional formatting characters (Trojan
// Source); the implicit marks LRM/RLM/ALM stay allowed.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// Day is a calendar date at 00:00 UTC: assessments, check-ins and dues are dated by
// day, and validity is counted in whole days.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// earliestDate bounds dates typed in: nothing in this program predates 2014.
var earliestDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// parseDate reads a YYYY-MM-DD date that is not after today (now's day) and not
// absurdly old. An empty string gives today when defaultToday is set.
func parseDate(field, labelKey, s string, now time.Time, defaultToday bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" && defaultToday {
		return Day(now), nil
	}
	bad := &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "assessment.error.date", Args: []any{i18n.Key(labelKey)}, Msg: field + " must be a date like 2026-03-21, not in the future"}
	if len(s) != 10 {
		return time.Time{}, bad
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Before(earliestDate) || t.After(Day(now)) {
		return time.Time{}, bad
	}
	return t, nil
}

// parseFutureDate reads a YYYY-MM-DD date from start (inclusive) to at most a
// year after it, for a next check-in due date.
func parseFutureDate(field, labelKey, s string, start time.Time) (time.Time, error) {
	bad := &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "assessment.error.due_date", Args: []any{i18n.Key(labelKey)}, Msg: field + " must be a date from the check-in day to a year after it"}
	s = strings.TrimSpace(s)
	if len(s) != 10 {
		return time.Time{}, bad
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Before(start) || t.After(start.AddDate(1, 0, 0)) {
		return time.Time{}, bad
	}
	return t, nil
}

// parseDays reads a whole number of days within [lo, hi]; empty gives def.
func parseDays(field, s string, def, lo, hi int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 4 {
		return 0, invalid(field, "assessment.error.days_range", field+" must be a whole number of days from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi), lo, hi)
	}
	return checkDays(field, n, lo, hi)
}

func checkDays(field string, n, lo, hi int) (int, error) {
	if n < lo || n > hi {
		return 0, invalid(field, "assessment.error.days_range", field+" must be a whole number of days from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi), lo, hi)
	}
	return n, nil
}

// NormalizePhone accepts digits with an optional leading "+" and the usual
// separators, and keeps "+" and digits only; Arabic-Indic digits become ASCII.
func NormalizePhone(s string) (string, error) {
	bad := invalid("contacts", "error.invalid_phone", "phone must be digits, optionally starting with +")
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxPhone {
		return "", bad
	}
	var b strings.Builder
	digits := 0
	for i, r := range s {
		switch {
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			digits++
		case r >= '٠' && r <= '٩':
			b.WriteRune('0' + (r - '٠'))
			digits++
		case r >= '۰' && r <= '۹':
			b.WriteRune('0' + (r - '۰'))
			digits++
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", bad
		}
	}
	if digits < 4 || digits > 20 {
		return "", bad
	}
	return b.String(), nil
}
