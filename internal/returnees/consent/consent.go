// Package consent records what a returnee freely allows — uses, identity level,
// audiences, languages, until when — as numbered versions that are never changed,
// and answers the one question every other capability asks before anything goes
// public: does the current consent allow this? (Allows, built on the pure Evaluate.)
//
// Consent is kept apart from the legal agreement on purpose: this package does not
// depend on the legal capability, the legal officer on a person's agreement may not
// take their consent, every version records the statement that refusing or
// withdrawing changes nothing in the agreement, and a withdrawal — which takes effect
// at once — writes nothing but a consent version, its audit record and an event
// (consent.withdrawn) that publication takedown subscribes to.
package consent

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/i18n"
)

// Use is what the testimony or appearance is used for.
type Use string

const (
	UsePublicForum       Use = "public_forum"
	UseMediaInterview    Use = "media_interview"
	UseRecordedTestimony Use = "recorded_testimony"
	UseOnlinePublication Use = "online_publication"
)

// Uses lists every use, in display order.
var Uses = []Use{UsePublicForum, UseMediaInterview, UseRecordedTestimony, UseOnlinePublication}

// IdentityLevel is how much of the person is shown.
type IdentityLevel string

const (
	LevelFull           IdentityLevel = "full"            // full name and face
	LevelFirstName      IdentityLevel = "first_name"      // first name and face
	LevelAliasProtected IdentityLevel = "alias_protected" // alias, face hidden, voice protected
	LevelAudioRevoiced  IdentityLevel = "audio_revoiced"  // alias, audio only, re-voiced
	LevelTextOnly       IdentityLevel = "text_only"       // text only
)

// Levels lists the identity levels from most to least exposed: a consent to one
// level also allows every level after it.
var Levels = []IdentityLevel{LevelFull, LevelFirstName, LevelAliasProtected, LevelAudioRevoiced, LevelTextOnly}

// protection is the rank of a level in Levels (higher is more protective), -1 if unknown.
func protection(l IdentityLevel) int { return slices.Index(Levels, l) }

// Audience is who may see or hear it.
type Audience string

const (
	AudienceOwnCommunity     Audience = "own_community"
	AudienceNamedCommunities Audience = "named_communities"
	AudienceNational         Audience = "national"
	AudienceWorldwide        Audience = "worldwide"
)

// Audiences lists every audience, in display order.
var Audiences = []Audience{AudienceOwnCommunity, AudienceNamedCommunities, AudienceNational, AudienceWorldwide}

// Status is whether a version grants anything.
type Status string

const (
	StatusActive    Status = "active"
	StatusWithdrawn Status = "withdrawn"
)

// StatementKey is the catalogue key of the statement read to the person before they
// consent: refusing or withdrawing changes nothing in their legal agreement. Each
// version stores the key it was given with, so the exact wording stays on record; a
// new wording gets a new key (…_v2) and the old one stays in the catalogue.
const StatementKey = "consent.statement_v1"

// Limits on a consent's lists and texts.
const (
	maxCommunities   = 20
	maxCommunityName = 100
	maxLanguages     = 20
	maxReason        = 1000
	// maxYearsAhead catches typing mistakes (2226 for 2026), not a policy.
	maxYearsAhead = 10
)

// Version is one version of a returnee's consent. Versions are numbered 1, 2, … per
// returnee and never change once written; a withdrawal is a version with status
// withdrawn, granting nothing.
type Version struct {
	ReturneeID    string        `json:"returnee_id"`
	Version       int           `json:"version"`
	Status        Status        `json:"status"`
	Uses          []Use         `json:"uses"`
	IdentityLevel IdentityLevel `json:"identity_level"` // "" on a withdrawal
	Audiences     []Audience    `json:"audiences"`
	Communities   []string      `json:"communities"` // the named communities, with AudienceNamedCommunities
	Languages     []string      `json:"languages"`   // BCP 47 tags, lower-case
	Expires       string        `json:"expires"`     // YYYY-MM-DD: the last day it holds, UTC; "" on a withdrawal

	// Free-consent safeguards.
	TakenBy               string `json:"taken_by"` // user id of who took (or recorded the withdrawal of) it
	InCustody             bool   `json:"in_custody"`
	AdvisorPresent        bool   `json:"advisor_present"`
	StatementKey          string `json:"statement_key"`
	StatementAcknowledged bool   `json:"statement_acknowledged"`
	// FreeConsentConcern is set when the consent was taken in custody without an
	// independent advisor: it still counts, but the page and the API flag it.
	FreeConsentConcern bool `json:"free_consent_concern"`

	CreatedAt time.Time `json:"created_at"`
}

// concern computes FreeConsentConcern.
func (v Version) concern() bool { return v.Status == StatusActive && v.InCustody && !v.AdvisorPresent }

// End is the first instant the version no longer holds: the start of the day after
// Expires, UTC. Zero when there is no valid expiry (a withdrawal).
func (v Version) End() time.Time {
	d, err := time.Parse(time.DateOnly, v.Expires)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, 0, 1)
}

// Expired reports whether an active version has run out at t.
func (v Version) Expired(t time.Time) bool {
	end := v.End()
	return v.Status == StatusActive && (end.IsZero() || !t.Before(end))
}

// Query is the question other capabilities ask: may this use, at this identity level,
// for this audience (and, for named communities, this community), in this language,
// happen at time At? A zero At means now (Allows only; Evaluate needs a time).
type Query struct {
	Use           Use
	IdentityLevel IdentityLevel
	Audience      Audience
	Community     string // required with AudienceNamedCommunities, refused otherwise
	Language      string // a BCP 47 tag
	At            time.Time
}

// Reasons of a Decision: catalogue keys, stable, usable by callers.
const (
	ReasonAllowed       = "consent.reason.allowed"
	ReasonNoConsent     = "consent.reason.no_consent"
	ReasonWithdrawn     = "consent.reason.withdrawn"
	ReasonExpired       = "consent.reason.expired"
	ReasonUse           = "consent.reason.use"
	ReasonIdentityLevel = "consent.reason.identity_level"
	ReasonAudience      = "consent.reason.audience"
	ReasonCommunity     = "consent.reason.community"
	ReasonLanguage      = "consent.reason.language"
	ReasonErased        = "consent.reason.erased"
	ReasonInvalidQuery  = "consent.reason.invalid_query"
)

// reasonText is the English text of each reason, for logs and API clients.
var reasonText = map[string]string{
	ReasonAllowed:       "The current consent covers this use, identity level, audience and language.",
	ReasonNoConsent:     "No consent was in effect at that time.",
	ReasonWithdrawn:     "The consent was withdrawn.",
	ReasonExpired:       "The consent has expired.",
	ReasonUse:           "The consent does not cover this use.",
	ReasonIdentityLevel: "The consent does not allow this identity level: only a more protective one.",
	ReasonAudience:      "The consent does not cover this audience.",
	ReasonCommunity:     "The consent does not name this community.",
	ReasonLanguage:      "The consent does not cover this language.",
	ReasonErased:        "This person's data was erased: nothing may be published.",
	ReasonInvalidQuery:  "The question is not complete or not valid.",
}

// Decision is the answer to a Query.
type Decision struct {
	Allowed    bool   `json:"allowed"`
	Reason     string `json:"reason"`      // catalogue key, one of the Reason… constants
	ReasonText string `json:"reason_text"` // the reason in English
	// Version is the consent version that answered, 0 when there was none.
	Version int `json:"version"`
	// FreeConsentConcern repeats the answering version's flag, so a release review
	// relying on this answer sees it too.
	FreeConsentConcern bool `json:"free_consent_concern"`
}

func decide(v Version, reason string) Decision {
	return Decision{Allowed: reason == ReasonAllowed, Reason: reason, ReasonText: reasonText[reason],
		Version: v.Version, FreeConsentConcern: v.concern()}
}

// Evaluate answers q from version v alone (no database, so it can be tested over many
// random cases). It fails closed: an invalid query, a version not yet in effect at
// q.At, a withdrawal, an expired or malformed version all deny. The rules:
//   - the use must be one of v's uses;
//   - a consent to an identity level allows it and every more protective level;
//   - worldwide covers every audience; national covers own_community; named_communities
//     covers exactly the communities listed (not own_community, not the nation);
//   - a language tag covers itself and its more specific forms ("ar" covers "ar-eg",
//     not the reverse: RFC 4647 basic filtering).
func Evaluate(v Version, q Query) Decision {
	q, err := q.Normalize()
	if err != nil || q.At.IsZero() {
		return decide(Version{}, ReasonInvalidQuery)
	}
	if v.Version < 1 {
		return decide(Version{}, ReasonNoConsent)
	}
	switch {
	case v.Status == StatusWithdrawn:
		return decide(v, ReasonWithdrawn)
	case v.Status != StatusActive:
		return decide(v, ReasonNoConsent)
	case q.At.Before(v.CreatedAt):
		return decide(v, ReasonNoConsent)
	case v.Expired(q.At):
		return decide(v, ReasonExpired)
	case !slices.Contains(v.Uses, q.Use):
		return decide(v, ReasonUse)
	case protection(v.IdentityLevel) < 0 || protection(q.IdentityLevel) < protection(v.IdentityLevel):
		return decide(v, ReasonIdentityLevel)
	}
	if r := audienceReason(v, q); r != "" {
		return decide(v, r)
	}
	if !slices.ContainsFunc(v.Languages, func(g string) bool { return languageCovers(g, q.Language) }) {
		return decide(v, ReasonLanguage)
	}
	return decide(v, ReasonAllowed)
}

// audienceReason is "" when v's audiences cover q's audience, else the reason.
func audienceReason(v Version, q Query) string {
	has := func(a Audience) bool { return slices.Contains(v.Audiences, a) }
	switch q.Audience {
	case AudienceWorldwide:
		if has(AudienceWorldwide) {
			return ""
		}
	case AudienceNational:
		if has(AudienceWorldwide) || has(AudienceNational) {
			return ""
		}
	case AudienceOwnCommunity:
		if has(AudienceWorldwide) || has(AudienceNational) || has(AudienceOwnCommunity) {
			return ""
		}
	case AudienceNamedCommunities:
		if has(AudienceWorldwide) {
			return ""
		}
		if has(AudienceNamedCommunities) {
			if slices.ContainsFunc(v.Communities, func(c string) bool { return sameCommunity(c, q.Community) }) {
				return ""
			}
			return ReasonCommunity
		}
	}
	return ReasonAudience
}

// languageCovers reports whether a consent to language tag grant covers tag q.
func languageCovers(grant, q string) bool {
	return q == grant || strings.HasPrefix(q, grant+"-")
}

// sameCommunity compares community names as people type them: case and runs of
// spaces do not matter.
func sameCommunity(a, b string) bool {
	return strings.EqualFold(collapseSpaces(a), collapseSpaces(b))
}

func collapseSpaces(s string) string { return strings.Join(strings.Fields(s), " ") }

// Normalize checks q and returns it in canonical form (trimmed, language tag
// lower-case). Unknown values and a missing or superfluous community are Invalid
// errors naming the query field at fault.
func (q Query) Normalize() (Query, error) {
	var err error
	if q.Use, err = parseUse(string(q.Use), "use"); err != nil {
		return q, err
	}
	if q.IdentityLevel, err = parseLevel(string(q.IdentityLevel), "identity_level"); err != nil {
		return q, err
	}
	if q.Audience, err = parseAudience(string(q.Audience), "audience"); err != nil {
		return q, err
	}
	q.Community = collapseSpaces(q.Community)
	if q.Audience == AudienceNamedCommunities {
		if err := text("community", q.Community, 1, maxCommunityName, false); err != nil {
			return q, err
		}
	} else if q.Community != "" {
		return q, invalid("community", "consent.error.community_without_named", "a community goes only with the audience named_communities")
	}
	tag, ok := NormalizeLanguage(q.Language)
	if !ok {
		return q, invalid("language", "consent.error.language_invalid", "the language must be a BCP 47 tag such as ar, en or fr-be")
	}
	q.Language = tag
	return q, nil
}

// ParseQuery reads a Query from URL parameters: use, identity_level, audience,
// language, and optionally community and at (RFC 3339, or YYYY-MM-DD for the start
// of that day, UTC). Other parameters are ignored.
func ParseQuery(v url.Values) (Query, error) {
	q := Query{Use: Use(v.Get("use")), IdentityLevel: IdentityLevel(v.Get("identity_level")),
		Audience: Audience(v.Get("audience")), Community: v.Get("community"), Language: v.Get("language")}
	if at := strings.TrimSpace(v.Get("at")); at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t, err = time.Parse(time.DateOnly, at)
		}
		if err != nil || t.Year() < 2000 || t.Year() > 9999 {
			return q, invalid("at", "consent.error.at_invalid", "at must be a time like 2026-05-01T12:00:00Z or a date like 2026-05-01")
		}
		q.At = t.UTC()
	}
	return q.Normalize()
}

func invalid(field, key, msg string, args ...any) error {
	return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: key, Msg: msg, Args: args}
}

func parseUse(s, field string) (Use, error) {
	u := Use(strings.TrimSpace(s))
	if !slices.Contains(Uses, u) {
		return "", invalid(field, "consent.error.use_invalid", "use must be one of public_forum, media_interview, recorded_testimony, online_publication")
	}
	return u, nil
}

func parseLevel(s, field string) (IdentityLevel, error) {
	l := IdentityLevel(strings.TrimSpace(s))
	if !slices.Contains(Levels, l) {
		return "", invalid(field, "consent.error.level_invalid", "identity_level must be one of full, first_name, alias_protected, audio_revoiced, text_only")
	}
	return l, nil
}

func parseAudience(s, field string) (Audience, error) {
	a := Audience(strings.TrimSpace(s))
	if !slices.Contains(Audiences, a) {
		return "", invalid(field, "consent.error.audience_invalid", "audience must be one of own_community, named_communities, national, worldwide")
	}
	return a, nil
}

// NormalizeLanguage returns tag in lower case if it is a well-formed BCP 47 language
// tag of the common shape: a 2–3 letter language, then optionally a 4-letter script,
// a 2-letter or 3-digit region, and variants ("ar", "ar-eg", "sr-latn-rs",
// "de-ch-1996"). Extensions and private use are not accepted: a consent names
// languages people read or hear.
func NormalizeLanguage(tag string) (string, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if len(tag) < 2 || len(tag) > 35 {
		return "", false
	}
	parts := strings.Split(tag, "-")
	if !isAlpha(parts[0]) || len(parts[0]) < 2 || len(parts[0]) > 3 {
		return "", false
	}
	stage := 0 // 1 script seen, 2 region seen, 3 in variants
	var variants []string
	for _, p := range parts[1:] {
		switch {
		case stage < 1 && len(p) == 4 && isAlpha(p):
			stage = 1
		case stage < 2 && ((len(p) == 2 && isAlpha(p)) || (len(p) == 3 && isDigits(p))):
			stage = 2
		case isAlnum(p) && ((len(p) >= 5 && len(p) <= 8) || (len(p) == 4 && p[0] >= '0' && p[0] <= '9')):
			if slices.Contains(variants, p) {
				return "", false
			}
			variants = append(variants, p)
			stage = 3
		default:
			return "", false
		}
	}
	return tag, true
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < 'a' || s[i] > 'z') && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return s != ""
}

// NewConsent is what a new active version holds, as given by the UI or the API.
type NewConsent struct {
	Uses           []Use
	IdentityLevel  IdentityLevel
	Audiences      []Audience
	Communities    []string
	Languages      []string
	Expires        string // YYYY-MM-DD
	InCustody      bool
	AdvisorPresent bool
	// StatementAcknowledged must be true: the statement that refusing or withdrawing
	// changes nothing in the legal agreement was read to the person.
	StatementAcknowledged bool
}

// normalize checks in and returns it in canonical form: lists deduplicated and in a
// fixed order, tags lower-case, names with single spaces. The first problem found is
// an Invalid error naming its field.
func (in NewConsent) normalize(now time.Time) (NewConsent, error) {
	out, problems := in.check(now)
	if len(problems) > 0 {
		return in, problems[0]
	}
	return out, nil
}

// check is normalize reporting every problem, one per field in form order, so a form
// can show them all at once.
func (in NewConsent) check(now time.Time) (NewConsent, []error) {
	var out NewConsent
	var problems []error
	bad := func(err error) { problems = append(problems, err) }

	func() {
		for _, u := range in.Uses {
			u, err := parseUse(string(u), "uses")
			if err != nil {
				bad(err)
				return
			}
			out.Uses = append(out.Uses, u)
		}
		out.Uses = ordered(out.Uses, Uses)
		if len(out.Uses) == 0 {
			bad(invalid("uses", "consent.error.uses_required", "choose at least one use"))
		}
	}()

	if strings.TrimSpace(string(in.IdentityLevel)) == "" {
		bad(invalid("identity_level", "consent.error.level_required", "choose an identity level"))
	} else if lvl, err := parseLevel(string(in.IdentityLevel), "identity_level"); err != nil {
		bad(err)
	} else {
		out.IdentityLevel = lvl
	}

	audiencesOK := func() bool {
		for _, a := range in.Audiences {
			a, err := parseAudience(string(a), "audiences")
			if err != nil {
				bad(err)
				return false
			}
			out.Audiences = append(out.Audiences, a)
		}
		out.Audiences = ordered(out.Audiences, Audiences)
		if len(out.Audiences) == 0 {
			bad(invalid("audiences", "consent.error.audiences_required", "choose at least one audience"))
			return false
		}
		return true
	}()

	func() {
		for _, c := range in.Communities {
			c = collapseSpaces(c)
			if c == "" {
				continue
			}
			if err := text("communities", c, 1, maxCommunityName, false); err != nil {
				bad(err)
				return
			}
			if !slices.ContainsFunc(out.Communities, func(x string) bool { return sameCommunity(x, c) }) {
				out.Communities = append(out.Communities, c)
			}
		}
		named := slices.Contains(out.Audiences, AudienceNamedCommunities)
		switch {
		case len(out.Communities) > maxCommunities:
			bad(invalid("communities", "consent.error.too_many", "too many communities", maxCommunities))
		case !audiencesOK:
		case named && len(out.Communities) == 0:
			bad(invalid("communities", "consent.error.communities_required", "name the communities"))
		case !named && len(out.Communities) > 0:
			bad(invalid("communities", "consent.error.communities_without_named", "communities go only with the audience named_communities"))
		}
	}()

	func() {
		for _, l := range in.Languages {
			if strings.TrimSpace(l) == "" {
				continue
			}
			tag, ok := NormalizeLanguage(l)
			if !ok {
				bad(invalid("languages", "consent.error.language_invalid", "languages must be BCP 47 tags such as ar, en or fr-be"))
				return
			}
			if !slices.Contains(out.Languages, tag) {
				out.Languages = append(out.Languages, tag)
			}
		}
		slices.Sort(out.Languages)
		switch {
		case len(out.Languages) == 0:
			bad(invalid("languages", "consent.error.languages_required", "name at least one language"))
		case len(out.Languages) > maxLanguages:
			bad(invalid("languages", "consent.error.too_many", "too many languages", maxLanguages))
		}
	}()

	func() {
		exp := strings.TrimSpace(in.Expires)
		if exp == "" {
			bad(invalid("expires", "consent.error.expires_required", "give the date the consent ends"))
			return
		}
		d, err := time.Parse(time.DateOnly, exp)
		if err != nil {
			bad(invalid("expires", "consent.error.expires_invalid", "expires must be a date like 2027-06-30"))
			return
		}
		today := now.UTC().Truncate(24 * time.Hour)
		switch {
		case d.Before(today):
			bad(invalid("expires", "consent.error.expires_past", "the end date is in the past"))
		case d.After(today.AddDate(maxYearsAhead, 0, 0)):
			bad(invalid("expires", "consent.error.expires_far", "the end date is more than 10 years ahead", maxYearsAhead))
		default:
			out.Expires = d.Format(time.DateOnly)
		}
	}()

	if !in.StatementAcknowledged {
		bad(invalid("statement", "consent.error.statement_required", "confirm that the statement was read to the person"))
	}
	out.StatementAcknowledged = in.StatementAcknowledged
	out.InCustody, out.AdvisorPresent = in.InCustody, in.AdvisorPresent
	return out, problems
}

// ordered deduplicates xs and sorts them in the order of all.
func ordered[T comparable](xs, all []T) []T {
	var out []T
	for _, a := range all {
		if slices.Contains(xs, a) {
			out = append(out, a)
		}
	}
	return out
}

// checkReason validates an optional withdrawal reason.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", nil
	}
	return reason, text("reason", reason, 0, maxReason, true)
}

// text checks a free-text field: length in characters, valid UTF-8, no control
// characters (newlines only where multiline) and no bidi overrides that could make a
// name display as something else.
func text(field, s string, min, max int, multiline bool) error {
	// A Key argument is translated in the reader's language by the web layer.
	label := i18n.Key("consent.field_" + field)
	n := utf8.RuneCountInString(s)
	if n < min {
		return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.required", Args: []any{label}, Msg: field + " is required"}
	}
	if n > max {
		return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.too_long", Args: []any{label, max}, Msg: field + " is too long"}
	}
	if !utf8.ValidString(s) {
		return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{label}, Msg: field + " holds invalid characters"}
	}
	for _, r := range s {
		if (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) ||
			(r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return &errs.Error{Kind: errs.Invalid, Field: field, MsgKey: "error.bad_text", Args: []any{label}, Msg: field + " holds invalid characters"}
		}
	}
	return nil
}
