// Package returnees is the heart of the program: the people who came back. For now it
// holds the minimal Returnee of the foundation — a public alias in clear and identity
// fields sealed in the vault, revealed only with a written reason, every reveal
// audited, and erasure by crypto-shredding. Screening, agreements, consent,
// assessments and family arrive here with the returnees issue.
package returnees

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
)

// Returnee is a person in the program as lists and pages show them: by alias only.
type Returnee struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"-"`
	Alias     string    `json:"alias"`
	CreatedBy string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	Erased    bool      `json:"erased"`

	HomeCommunity string   `json:"home_community"`
	Languages     []string `json:"languages"`
	ReturnedOn    string   `json:"returned_on"` // YYYY-MM-DD or ""
	CaseWorkerID  string   `json:"case_worker_id"`
	TeamID        string   `json:"team_id"`
	Stage         Stage    `json:"stage"`
	StageOn       string   `json:"stage_on"`
}

// Stage is where a person stands in the program's pipeline.
type Stage string

const (
	StageIdentified     Stage = "identified"
	StageApproached     Stage = "approached"
	StageInConversation Stage = "in_conversation"
	StageEnrolled       Stage = "enrolled"
	StageDeclined       Stage = "declined"
	StageWithdrawn      Stage = "withdrawn"
)

// Identity is the sealed part of a returnee: shown only after a reveal with a reason.
type Identity struct {
	LegalName string `json:"legal_name"`
	BirthDate string `json:"birth_date"` // YYYY-MM-DD or ""
	Phone     string `json:"phone"`
	Address   string `json:"address"`
}

// NewReturnee is the input of intake.
type NewReturnee struct {
	Alias string
	Identity
	HomeCommunity string
	Languages     []string
	ReturnedOn    string // YYYY-MM-DD or ""
	CaseWorkerID  string // "" assigns the case worker who records it
	TeamID        string
}

// Reveal is one recorded reveal, as shown on the returnee's page.
type Reveal struct {
	UserID string
	At     time.Time
}

// Field limits, in characters.
const (
	maxAlias   = 80
	maxName    = 200
	maxPhone   = 40
	maxAddress = 500
	minReason  = 10
	maxReason  = 1000
)

// normalize trims and validates the input, returning the first problem found.
func (in NewReturnee) normalize(now time.Time) (NewReturnee, error) {
	in.Alias = strings.TrimSpace(in.Alias)
	in.LegalName = strings.TrimSpace(in.LegalName)
	in.BirthDate = strings.TrimSpace(in.BirthDate)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Address = strings.TrimSpace(in.Address)
	if err := text("alias", "field.alias", in.Alias, 1, maxAlias, false); err != nil {
		return in, err
	}
	if err := text("legal_name", "field.legal_name", in.LegalName, 1, maxName, false); err != nil {
		return in, err
	}
	if in.BirthDate != "" {
		d, err := ParseBirthDate(in.BirthDate, now)
		if err != nil {
			return in, err
		}
		in.BirthDate = d
	}
	if in.Phone != "" {
		p, err := NormalizePhone(in.Phone)
		if err != nil {
			return in, err
		}
		in.Phone = p
	}
	if err := text("address", "field.address", in.Address, 0, maxAddress, true); err != nil {
		return in, err
	}
	in.HomeCommunity = strings.TrimSpace(in.HomeCommunity)
	if err := text("home_community", "field.home_community", in.HomeCommunity, 0, 120, false); err != nil {
		return in, err
	}
	langs, err := ParseLanguages(in.Languages)
	if err != nil {
		return in, err
	}
	in.Languages = langs
	if in.ReturnedOn = strings.TrimSpace(in.ReturnedOn); in.ReturnedOn != "" {
		d, err := time.Parse(time.DateOnly, in.ReturnedOn)
		if err != nil || d.After(now) || d.Year() < 2000 {
			return in, &errs.Error{Kind: errs.Invalid, Field: "returned_on", MsgKey: "error.invalid_date", Args: []any{"field.returned_on"}, Msg: "date of return must be a past date like 2019-03-21"}
		}
	}
	return in, nil
}

// ParseLanguages normalises language tags ("AR", " ar-eg ") to lower-case BCP 47
// tags, drops duplicates, and refuses anything that is not a tag.
func ParseLanguages(in []string) ([]string, error) {
	var out []string
	for _, raw := range in {
		for _, t := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			t = strings.ToLower(t)
			if !isLanguageTag(t) {
				return nil, &errs.Error{Kind: errs.Invalid, Field: "languages", MsgKey: "error.language", Args: []any{t}, Msg: "not a language code: " + t}
			}
			if !slicesContains(out, t) {
				out = append(out, t)
			}
		}
	}
	if len(out) > 12 {
		return nil, &errs.Error{Kind: errs.Invalid, Field: "languages", MsgKey: "error.too_many_languages", Msg: "at most 12 languages"}
	}
	return out, nil
}

// isLanguageTag accepts a primary subtag of 2–3 letters and up to three subtags of
// 2–8 letters or digits: enough for "ar", "ar-eg", "ckb", "zh-hant-tw".
func isLanguageTag(t string) bool {
	parts := strings.Split(t, "-")
	if len(parts) > 4 || len(parts[0]) < 2 || len(parts[0]) > 3 {
		return false
	}
	for i, p := range parts {
		if (i > 0 && (len(p) < 2 || len(p) > 8)) || p == "" {
			return false
		}
		for _, r := range p {
			if !(r >= 'a' && r <= 'z') && !(i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// text checks a free-text field: length in characters, valid UTF-8, no control
// characters (newlines only where multiline) and no bidi overrides that could make a
// name display as something else.
func text(field, labelKey, s string, min, max int, multiline bool) error {
	n := utf8.RuneCountInString(s)
	if n < min {
		return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.required", Args: []any{labelKey}, Msg: field + " is required"}
	}
	if n > max {
		return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.too_long", Args: []any{labelKey, max}, Msg: field + " is too long"}
	}
	if !utf8.ValidString(s) {
		return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{labelKey}, Msg: field + " holds invalid characters"}
	}
	for _, r := range s {
		if (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) || isBidiControl(r) {
			return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{labelKey}, Msg: field + " holds invalid characters"}
		}
	}
	return nil
}

// isBidiControl reports the explicit directional formatting characters, which can
// disguise text (Trojan Source); the implicit marks LRM/RLM/ALM stay allowed.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// ParseBirthDate accepts YYYY-MM-DD, a real calendar date, not in the future and not
// before 1900.
func ParseBirthDate(s string, now time.Time) (string, error) {
	bad := &errs.Error{Kind: errs.Invalid, Field: "birth_date", MsgKey: "error.invalid_date", Args: []any{"field.birth_date"}, Msg: "birth date must be a date like 1994-03-21"}
	if len(s) != 10 {
		return "", bad
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1900 || t.After(now) {
		return "", bad
	}
	return t.Format(time.DateOnly), nil
}

// NormalizePhone accepts digits with an optional leading "+" and the usual
// separators, and keeps "+" and digits only; Arabic-Indic digits become ASCII.
func NormalizePhone(s string) (string, error) {
	bad := &errs.Error{Kind: errs.Invalid, Field: "phone", MsgKey: "error.invalid_phone", Msg: "phone must be digits, optionally starting with +"}
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
		case r >= '٠' && r <= '٩': // Arabic-Indic
			b.WriteRune('0' + (r - '٠'))
			digits++
		case r >= '۰' && r <= '۹': // Extended Arabic-Indic (Persian, Urdu)
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

// checkReason validates the written reason for a reveal.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < minReason {
		return "", &errs.Error{Kind: errs.Invalid, Field: "reason", MsgKey: "error.reason_short", Args: []any{minReason}, Msg: "write why you need to see the identity (at least 10 characters)"}
	}
	if err := text("reason", "field.reason", reason, minReason, maxReason, true); err != nil {
		return "", err
	}
	return reason, nil
}
