// Package family is the "Family and mentors" part of a returnee's case: relatives with
// their stance towards the program (which shapes what is safe and credible in their
// community), mentor assignments, and reintegration milestones.
//
// Relatives' names, roles in the community, contacts and notes are sealed with the
// returnee's data key and shown only through a reveal with a written reason; community
// liaisons see only relation, stance and community. Every edit of a relative adds a
// version, so nothing recorded is lost; removal is a soft delete with a reason.
package family

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
)

// Relation is how a relative is related to the returnee.
type Relation string

const (
	RelParent      Relation = "parent"
	RelSibling     Relation = "sibling"
	RelSpouse      Relation = "spouse"
	RelChild       Relation = "child"
	RelUncleAunt   Relation = "uncle_aunt"
	RelCousin      Relation = "cousin"
	RelGrandparent Relation = "grandparent"
	RelClanElder   Relation = "clan_elder" // a relative who is an elder of the clan
	RelOther       Relation = "other"
)

// Relations lists every relation, in the order forms offer them.
var Relations = []Relation{RelParent, RelSibling, RelSpouse, RelChild, RelUncleAunt, RelCousin, RelGrandparent, RelClanElder, RelOther}

// Stance is a relative's stance towards the program.
type Stance string

const (
	Supportive Stance = "supportive"
	Neutral    Stance = "neutral"
	Hostile    Stance = "hostile"
	Unknown    Stance = "unknown"
)

// StanceValues lists every stance, in the order forms offer them.
var StanceValues = []Stance{Supportive, Neutral, Hostile, Unknown}

// MilestoneKind is the area of a reintegration milestone.
type MilestoneKind string

const (
	KindHousing   MilestoneKind = "housing"
	KindWork      MilestoneKind = "work"
	KindEducation MilestoneKind = "education"
	KindFamily    MilestoneKind = "family"
	KindHealth    MilestoneKind = "health"
	KindOther     MilestoneKind = "other"
)

// MilestoneKinds lists every kind.
var MilestoneKinds = []MilestoneKind{KindHousing, KindWork, KindEducation, KindFamily, KindHealth, KindOther}

// MilestoneStatus is where a milestone stands.
type MilestoneStatus string

const (
	StatusPlanned    MilestoneStatus = "planned"
	StatusInProgress MilestoneStatus = "in_progress"
	StatusAchieved   MilestoneStatus = "achieved"
	StatusMissed     MilestoneStatus = "missed"
)

// MilestoneStatuses lists every status.
var MilestoneStatuses = []MilestoneStatus{StatusPlanned, StatusInProgress, StatusAchieved, StatusMissed}

// Field limits, in characters.
const (
	maxCommunity    = 120
	maxName         = 200
	maxRole         = 200
	maxContact      = 500
	maxNotes        = 2000
	maxOrganisation = 200
	minReason       = 10
	maxReason       = 1000
)

// parseEnum accepts exactly one of the values (after trimming): enums come from our
// own select lists and API clients, so anything else is a mistake to report, not guess.
func parseEnum[T ~string](field, labelKey, s string, values []T) (T, error) {
	v := T(strings.TrimSpace(s))
	if slices.Contains(values, v) {
		return v, nil
	}
	if v == "" {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.required", Args: []any{i18n.Key(labelKey)}, Msg: field + " is required"}
	}
	return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "family.error.choose", Args: []any{i18n.Key(labelKey)}, Msg: field + " must be one of the listed values"}
}

// ParseRelation validates a relation slug.
func ParseRelation(s string) (Relation, error) {
	return parseEnum("relation", "family.field.relation", s, Relations)
}

// ParseStance validates a stance slug.
func ParseStance(s string) (Stance, error) {
	return parseEnum("stance", "family.field.stance", s, StanceValues)
}

// ParseKind validates a milestone kind slug.
func ParseKind(s string) (MilestoneKind, error) {
	return parseEnum("kind", "family.field.kind", s, MilestoneKinds)
}

// ParseStatus validates a milestone status slug.
func ParseStatus(s string) (MilestoneStatus, error) {
	return parseEnum("status", "family.field.status", s, MilestoneStatuses)
}

// Earliest is the earliest date any family date may take.
var Earliest = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseDate accepts a calendar date written YYYY-MM-DD (Arabic-Indic digits are read
// as ASCII ones) between min and max inclusive, and returns it in canonical form.
func ParseDate(field, labelKey, s string, min, max time.Time) (string, error) {
	bad := &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.invalid_date", Args: []any{i18n.Key(labelKey)}, Msg: field + " must be a date like 2026-03-21"}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) != 10 {
		return "", bad
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		}
		b.WriteRune(r)
	}
	t, err := time.Parse(time.DateOnly, b.String())
	if err != nil {
		return "", bad
	}
	if t.Before(day(min)) || t.After(day(max)) {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "family.error.date_range", Args: []any{i18n.Key(labelKey), day(min).Format(time.DateOnly), day(max).Format(time.DateOnly)},
			Msg: field + " must be between " + day(min).Format(time.DateOnly) + " and " + day(max).Format(time.DateOnly)}
	}
	return t.Format(time.DateOnly), nil
}

// day is t's calendar day at midnight UTC.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// mustDate parses a stored canonical date; a malformed one reads as the zero time.
func mustDate(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// text trims and checks a free-text field: length in characters, valid UTF-8, no
// control characters (newlines only where multiline) and no bidi overrides that could
// make a name display as something else (Trojan Source).
func text(field, labelKey, s string, min, max int, multiline bool) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{i18n.Key(labelKey)}, Msg: field + " holds invalid characters"}
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.required", Args: []any{i18n.Key(labelKey)}, Msg: field + " is required"}
	}
	if n > max {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.too_long", Args: []any{i18n.Key(labelKey), max}, Msg: field + " is too long"}
	}
	for _, r := range s {
		if (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) || isBidiControl(r) {
			return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{i18n.Key(labelKey)}, Msg: field + " holds invalid characters"}
		}
	}
	return s, nil
}

// isBidiControl reports the explicit directional formatting characters; the implicit
// marks LRM/RLM/ALM stay allowed (Arabic text needs them).
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// checkReason validates a written reason (for a reveal or a removal).
func checkReason(reason string) (string, error) {
	if utf8.RuneCountInString(strings.TrimSpace(reason)) < minReason {
		return "", &errs.Error{Kind: errs.Invalid, Field: "reason", MsgKey: "family.error.reason_short", Args: []any{minReason}, Msg: "write the reason (at least 10 characters)"}
	}
	return text("reason", "field.reason", reason, minReason, maxReason, true)
}

// communityKey folds a community name for matching: case, surrounding and repeated
// spaces do not make two names differ.
func communityKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// Badge is the badge class showing the stance: supportive reads as good news, hostile
// as danger, unknown as something to find out.
func (s Stance) Badge() string {
	switch s {
	case Supportive:
		return "ok"
	case Hostile:
		return "danger"
	case Unknown:
		return "warn"
	}
	return ""
}

// Badge is the badge class showing the status.
func (s MilestoneStatus) Badge() string {
	switch s {
	case StatusAchieved:
		return "ok"
	case StatusMissed:
		return "danger"
	case StatusInProgress:
		return "warn"
	}
	return ""
}
