package legal

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
)

// Limits on what a legal officer writes, in characters (documents in bytes).
const (
	maxOffences     = 50
	maxOffence      = 1000
	maxEvidence     = 20000
	maxTerms        = 20000
	maxReason       = 2000
	minReason       = 3
	maxAuthority    = 300
	maxNote         = 4000
	maxCount        = 100
	maxPeriodYears  = 10
	MaxDocumentSize = 10 << 20
)

// cleanText trims s and checks its length and characters: valid UTF-8, no control
// characters (newlines and tabs only where multiline), no explicit bidirectional
// controls, which can disguise text.
func cleanText(field string, label i18n.Key, s string, min, max int, multiline bool) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{label}, Msg: field + " holds invalid characters"}
	}
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.required", Args: []any{label}, Msg: field + " is required"}
	}
	if n > max {
		return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.too_long", Args: []any{label, max}, Msg: field + " is too long (at most " + strconv.Itoa(max) + " characters)"}
	}
	for _, r := range s {
		if (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) || isBidiControl(r) {
			return "", &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{label}, Msg: field + " holds characters that are not allowed"}
		}
	}
	return s, nil
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// ParseFinding reads a finding as typed in a form or the API.
func ParseFinding(s string) (Finding, error) {
	f := Finding(strings.ToLower(strings.TrimSpace(s)))
	if !f.valid() {
		return "", &errs.Error{Kind: errs.Invalid, Field: "capital_crime", MsgKey: "legal.error.finding", Msg: "capital_crime must be yes, no or undetermined"}
	}
	return f, nil
}

// ParseKind reads an agreement kind; "" is immunity.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if k == "" {
		return KindImmunity, nil
	}
	if k != KindImmunity && k != KindLeniency {
		return "", &errs.Error{Kind: errs.Invalid, Field: "kind", MsgKey: "legal.error.kind", Msg: "kind must be immunity or leniency"}
	}
	return k, nil
}

// ParseOffencesText reads the offences textarea: one offence per line, blank lines
// ignored.
func ParseOffencesText(s string) ([]Offence, error) {
	var out []Offence
	for line := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(out) == maxOffences {
			return nil, tooManyOffences()
		}
		out = append(out, Offence{Description: line})
	}
	return normalizeOffences(out)
}

// ParseOffencesJSON reads the API's "offences": a list whose entries are texts or
// {"description": "…"} objects; null or absent is no offence.
func ParseOffencesJSON(b []byte) ([]Offence, error) {
	bad := func(err error) error {
		return &errs.Error{Kind: errs.Invalid, Field: "offences", MsgKey: "legal.error.offences", Msg: `offences must be a list of texts or {"description": "…"} objects`, Err: err}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return []Offence{}, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, bad(err)
	}
	if len(raw) > maxOffences {
		return nil, tooManyOffences()
	}
	out := make([]Offence, 0, len(raw))
	for _, r := range raw {
		r = bytes.TrimSpace(r)
		var o Offence
		switch {
		case len(r) > 0 && r[0] == '"':
			if err := json.Unmarshal(r, &o.Description); err != nil {
				return nil, bad(err)
			}
		case len(r) > 0 && r[0] == '{':
			if err := strictJSON(r, &o); err != nil {
				return nil, bad(err)
			}
		default:
			return nil, bad(nil)
		}
		out = append(out, o)
	}
	return normalizeOffences(out)
}

// strictJSON decodes one JSON value into v, refusing unknown fields and trailing data.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// ObligationJSON is one obligation as the API takes it.
type ObligationJSON struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	From  string `json:"from"`
	Until string `json:"until"`
}

// ParseObligationsJSON reads the API's "obligations": a list of
// {"kind", "count", "from", "until"}; null or absent is no obligation.
func ParseObligationsJSON(b []byte) ([]Obligation, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return []Obligation{}, nil
	}
	var in []ObligationJSON
	if err := strictJSON(b, &in); err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Field: "obligations", MsgKey: "legal.error.obligations",
			Msg: `obligations must be a list of {"kind", "count", "from", "until"}`, Err: err}
	}
	if len(in) > len(ObligationKinds) {
		return nil, &errs.Error{Kind: errs.Invalid, Field: "obligations", MsgKey: "legal.error.obligation_twice", Msg: "each kind of obligation can appear only once"}
	}
	obs := make([]Obligation, len(in))
	for i, o := range in {
		obs[i] = Obligation{Kind: ObligationKind(o.Kind), Count: o.Count, From: o.From, Until: o.Until}
	}
	return normalizeObligations(obs)
}

func tooManyOffences() error {
	return &errs.Error{Kind: errs.Invalid, Field: "offences", MsgKey: "legal.error.too_many_offences", Args: []any{maxOffences}, Msg: "list at most " + strconv.Itoa(maxOffences) + " offences"}
}

// normalizeOffences trims every description, drops empty ones and checks the rest.
func normalizeOffences(in []Offence) ([]Offence, error) {
	out := make([]Offence, 0, len(in))
	for _, o := range in {
		if strings.TrimSpace(o.Description) == "" {
			continue
		}
		d, err := cleanText("offences", "legal.field.offences", o.Description, 1, maxOffence, false)
		if err != nil {
			return nil, err
		}
		out = append(out, Offence{Description: d})
	}
	if len(out) > maxOffences {
		return nil, tooManyOffences()
	}
	return out, nil
}

// parseDay reads a YYYY-MM-DD date between 2000 and 2100.
func parseDay(field string, label i18n.Key, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != 10 || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.invalid_date", Args: []any{label}, Msg: field + " must be a date like 2026-03-21"}
	}
	return t, nil
}

// normalizeObligations checks typed obligations: known kinds, each at most once, a
// count of 1 to maxCount (exactly 1 for a recorded testimony), and a period with a
// start and an end, the end not before the start, at most maxPeriodYears long.
// The result is in the order of ObligationKinds.
func normalizeObligations(in []Obligation) ([]Obligation, error) {
	seen := map[ObligationKind]Obligation{}
	for _, o := range in {
		o.Kind = ObligationKind(strings.TrimSpace(string(o.Kind)))
		if !o.Kind.valid() {
			return nil, &errs.Error{Kind: errs.Invalid, Field: "obligations", MsgKey: "legal.error.obligation_kind", Msg: "obligation kinds are public_forums, media_interviews and recorded_testimony"}
		}
		if _, dup := seen[o.Kind]; dup {
			return nil, &errs.Error{Kind: errs.Invalid, Field: "obligations", MsgKey: "legal.error.obligation_twice", Msg: "each kind of obligation can appear only once"}
		}
		label := i18n.Key("legal.obligation." + string(o.Kind))
		if o.Kind == ObligationTestimony {
			if o.Count == 0 {
				o.Count = 1
			}
			if o.Count != 1 {
				return nil, &errs.Error{Kind: errs.Invalid, Field: string(o.Kind) + "_count", MsgKey: "legal.error.testimony_count", Msg: "a recorded testimony obligation is for exactly 1 testimony"}
			}
		} else if o.Count < 1 || o.Count > maxCount {
			return nil, &errs.Error{Kind: errs.Invalid, Field: string(o.Kind) + "_count", MsgKey: "legal.error.obligation_count", Args: []any{label, maxCount},
				Msg: string(o.Kind) + ": the number must be between 1 and " + strconv.Itoa(maxCount)}
		}
		from, err := parseDay(string(o.Kind)+"_from", "legal.field.from", o.From)
		if err != nil {
			return nil, err
		}
		until, err := parseDay(string(o.Kind)+"_until", "legal.field.until", o.Until)
		if err != nil {
			return nil, err
		}
		if until.Before(from) || until.After(from.AddDate(maxPeriodYears, 0, 0)) {
			return nil, &errs.Error{Kind: errs.Invalid, Field: string(o.Kind) + "_until", MsgKey: "legal.error.obligation_period", Args: []any{label, maxPeriodYears},
				Msg: string(o.Kind) + ": the period must end on or after its start, at most " + strconv.Itoa(maxPeriodYears) + " years later"}
		}
		seen[o.Kind] = Obligation{Kind: o.Kind, Count: o.Count, From: from.Format(time.DateOnly), Until: until.Format(time.DateOnly)}
	}
	out := []Obligation{}
	for _, k := range ObligationKinds {
		if o, ok := seen[k]; ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// ObligationsFromForm reads the obligation rows of the agreement form: for each kind,
// "<kind>_count" (for a recorded testimony the checkbox "<kind>_required"),
// "<kind>_from" and "<kind>_until". A row with no count (or an unticked box) and no
// dates is no obligation.
func ObligationsFromForm(f url.Values) ([]Obligation, error) {
	var in []Obligation
	for _, k := range ObligationKinds {
		p := string(k)
		from, until := strings.TrimSpace(f.Get(p+"_from")), strings.TrimSpace(f.Get(p+"_until"))
		o := Obligation{Kind: k, From: from, Until: until}
		if k == ObligationTestimony {
			if f.Get(p+"_required") == "" && from == "" && until == "" {
				continue
			}
			o.Count = 1
		} else {
			c := strings.TrimSpace(f.Get(p + "_count"))
			if (c == "" || c == "0") && from == "" && until == "" {
				continue
			}
			n, err := strconv.Atoi(c)
			if err != nil || n < 1 || n > maxCount {
				return nil, &errs.Error{Kind: errs.Invalid, Field: p + "_count", MsgKey: "legal.error.obligation_count", Args: []any{i18n.Key("legal.obligation." + p), maxCount},
					Msg: p + ": the number must be between 1 and " + strconv.Itoa(maxCount)}
			}
			o.Count = n
		}
		in = append(in, o)
	}
	return normalizeObligations(in)
}

// Document types accepted for signed agreements, by their magic bytes: what the
// client claims (file name, Content-Type) is never trusted.
var documentTypes = []struct {
	magic       []byte
	contentType string
	ext         string
}{
	{[]byte("%PDF-"), "application/pdf", "pdf"},
	{[]byte("\x89PNG\r\n\x1a\n"), "image/png", "png"},
	{[]byte("\xff\xd8\xff"), "image/jpeg", "jpg"},
}

// SniffDocument returns the content type and file extension of a signed document by
// its first bytes: PDF, PNG or JPEG, nothing else (no HTML, SVG or script that a
// browser could run).
func SniffDocument(b []byte) (contentType, ext string, ok bool) {
	for _, t := range documentTypes {
		if bytes.HasPrefix(b, t.magic) {
			return t.contentType, t.ext, true
		}
	}
	return "", "", false
}

// extFor returns the file extension of an accepted content type.
func extFor(contentType string) string {
	for _, t := range documentTypes {
		if t.contentType == contentType {
			return t.ext
		}
	}
	return "bin"
}
