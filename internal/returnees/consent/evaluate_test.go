package consent

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/errs"
)

// endOf is, independently of Version.End, the first instant a version no longer
// holds: midnight UTC after its last day.
func endOf(v Version) time.Time {
	y, m, d := 0, 0, 0
	if _, err := fmt.Sscanf(v.Expires, "%4d-%2d-%2d", &y, &m, &d); err != nil {
		return time.Time{}
	}
	return time.Date(y, time.Month(m), d+1, 0, 0, 0, 0, time.UTC)
}

// fieldOf is the field an Invalid error names, "" otherwise.
func fieldOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Kind == errs.Invalid {
		return e.Field
	}
	return ""
}

// The property tests draw random versions and questions. The seed is printed; set
// CONSENT_SEED to replay a failure.
func seeded(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CONSENT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = n
	}
	t.Logf("CONSENT_SEED=%d", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

const cases = 20_000 // per property; the brief asks for at least 10,000

var (
	base      = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	langPool  = []string{"ar", "ar-eg", "ar-sy", "en", "en-gb", "fr", "fr-be", "ckb", "de", "nl"}
	namedPool = []string{"Molenbeek", "Tower Hamlets", "Al-Hol Camp", "Mosul East", "Raqqa", "Vilvoorde"}
	// How people type the same names: other case, extra spaces.
	namedAsTyped = []string{"molenbeek", " Tower   Hamlets ", "AL-HOL CAMP", "Mosul East", "raqqa", "vilvoorde", "Antwerp", "Mosul"}
)

func subset[T any](r *rand.Rand, xs []T, p float64) []T {
	out := []T{}
	for _, x := range xs {
		if r.Float64() < p {
			out = append(out, x)
		}
	}
	return out
}

func randVersion(r *rand.Rand) Version {
	v := Version{ReturneeID: "r-1", Version: 1 + r.IntN(9), Status: StatusActive,
		Uses: subset(r, Uses, 0.6), IdentityLevel: Levels[r.IntN(len(Levels))],
		Audiences: subset(r, Audiences, 0.45), Languages: subset(r, langPool, 0.35),
		CreatedAt: base.Add(time.Duration(r.IntN(10*24*60)) * time.Minute), Communities: []string{}}
	if slices.Contains(v.Audiences, AudienceNamedCommunities) {
		v.Communities = subset(r, namedPool, 0.5)
	}
	v.Expires = v.CreatedAt.AddDate(0, 0, r.IntN(60)).Format(time.DateOnly)
	v.InCustody, v.AdvisorPresent = r.IntN(2) == 0, r.IntN(2) == 0
	if r.IntN(20) == 0 {
		v.Status = StatusWithdrawn
	}
	return v
}

func randQuery(r *rand.Rand) Query {
	q := Query{Use: Uses[r.IntN(len(Uses))], IdentityLevel: Levels[r.IntN(len(Levels))],
		Audience: Audiences[r.IntN(len(Audiences))], Language: langPool[r.IntN(len(langPool))],
		At: base.Add(time.Duration(r.IntN(80*24*60)-5*24*60) * time.Minute)}
	if q.Audience == AudienceNamedCommunities {
		q.Community = namedAsTyped[r.IntN(len(namedAsTyped))]
	}
	if r.IntN(4) == 0 {
		q.Language = strings.ToUpper(q.Language) // tags are case-insensitive
	}
	return q
}

// narrower derives from w a version that grants no more than w: fewer uses, a more
// protective level, fewer or smaller audiences, fewer communities, fewer or more
// specific languages, an earlier end, a later start — or a withdrawal.
func narrower(r *rand.Rand, w Version) Version {
	n := w
	n.Uses = subset(r, w.Uses, 0.7)
	n.IdentityLevel = Levels[protection(w.IdentityLevel)+r.IntN(len(Levels)-protection(w.IdentityLevel))]
	n.Audiences, n.Communities = nil, []string{}
	for _, a := range w.Audiences {
		switch x := r.IntN(4); {
		case x == 0: // dropped
		case x == 1 && a == AudienceWorldwide:
			n.Audiences = append(n.Audiences, []Audience{AudienceNational, AudienceOwnCommunity, AudienceNamedCommunities}[r.IntN(3)])
		case x == 1 && a == AudienceNational:
			n.Audiences = append(n.Audiences, AudienceOwnCommunity)
		default:
			n.Audiences = append(n.Audiences, a)
		}
	}
	n.Audiences = ordered(n.Audiences, Audiences)
	if slices.Contains(n.Audiences, AudienceNamedCommunities) {
		if slices.Contains(w.Audiences, AudienceWorldwide) {
			// Worldwide covers every community, so any list is narrower.
			n.Communities = subset(r, namedPool, 0.5)
		} else if slices.Contains(w.Audiences, AudienceNamedCommunities) {
			n.Communities = subset(r, w.Communities, 0.7)
		} else {
			n.Audiences = slices.DeleteFunc(n.Audiences, func(a Audience) bool { return a == AudienceNamedCommunities })
		}
	}
	n.Languages = []string{}
	for _, l := range w.Languages {
		switch r.IntN(4) {
		case 0:
		case 1:
			n.Languages = append(n.Languages, l+"-be") // a more specific form (or no tag at all)
		default:
			n.Languages = append(n.Languages, l)
		}
	}
	end, _ := time.Parse(time.DateOnly, w.Expires)
	n.Expires = end.AddDate(0, 0, -r.IntN(10)).Format(time.DateOnly)
	n.CreatedAt = w.CreatedAt.Add(time.Duration(r.IntN(3*24*60)) * time.Minute)
	if r.IntN(15) == 0 {
		n.Status = StatusWithdrawn
	}
	return n
}

func TestPropertyNarrowerNeverAllowsMore(t *testing.T) {
	r := seeded(t)
	allowedNarrow := 0
	for i := 0; i < cases; i++ {
		w := randVersion(r)
		n := narrower(r, w)
		for j := 0; j < 5; j++ {
			q := randQuery(r)
			dn, dw := Evaluate(n, q), Evaluate(w, q)
			if dn.Allowed && !dw.Allowed {
				t.Fatalf("narrower allows more:\nwide   %+v\nnarrow %+v\nquery  %+v\nwide says %s", w, n, q, dw.Reason)
			}
			if dn.Allowed {
				allowedNarrow++
			}
		}
	}
	// The generator must actually exercise allows, not only denials.
	if allowedNarrow < cases/50 {
		t.Fatalf("only %d allowed cases: the generator is too narrow to prove anything", allowedNarrow)
	}
}

func TestPropertyExpiryAndWithdrawalAlwaysDeny(t *testing.T) {
	r := seeded(t)
	for i := 0; i < cases; i++ {
		v := randVersion(r)
		q := randQuery(r)
		// A withdrawal denies whatever it holds and whenever it is asked.
		wd := v
		wd.Status = StatusWithdrawn
		if d := Evaluate(wd, q); d.Allowed || d.Reason != ReasonWithdrawn {
			t.Fatalf("withdrawn version answered %+v for %+v", d, q)
		}
		// From the first instant after the last valid day on, it is expired.
		v.Status = StatusActive
		q.At = endOf(v).Add(time.Duration(r.IntN(400*24)) * time.Hour)
		if d := Evaluate(v, q); d.Allowed || d.Reason != ReasonExpired {
			t.Fatalf("expired version answered %+v at %s (expires %s)", d, q.At, v.Expires)
		}
		// …and just before it, the expiry is not the reason for a denial.
		q.At = endOf(v).Add(-time.Millisecond)
		if q.At.Before(v.CreatedAt) {
			continue
		}
		if d := Evaluate(v, q); d.Reason == ReasonExpired {
			t.Fatalf("denied as expired on its last day: %+v at %s", v, q.At)
		}
	}
}

// oracle says, independently of Evaluate, whether v explicitly grants q.
func oracle(v Version, q Query) bool {
	q, err := q.Normalize()
	if err != nil || v.Status != StatusActive || v.Version < 1 {
		return false
	}
	if q.At.Before(v.CreatedAt) || !q.At.Before(endOf(v)) {
		return false
	}
	if !slices.Contains(v.Uses, q.Use) {
		return false
	}
	if slices.Index(Levels, q.IdentityLevel) < slices.Index(Levels, v.IdentityLevel) {
		return false
	}
	covers := map[Audience][]Audience{
		AudienceWorldwide:        {AudienceWorldwide, AudienceNational, AudienceOwnCommunity, AudienceNamedCommunities},
		AudienceNational:         {AudienceNational, AudienceOwnCommunity},
		AudienceOwnCommunity:     {AudienceOwnCommunity},
		AudienceNamedCommunities: {AudienceNamedCommunities},
	}
	audienceOK := false
	for _, g := range v.Audiences {
		if !slices.Contains(covers[g], q.Audience) {
			continue
		}
		if q.Audience != AudienceNamedCommunities || g == AudienceWorldwide {
			audienceOK = true
		}
		for _, c := range v.Communities {
			if g == AudienceNamedCommunities && strings.EqualFold(strings.Join(strings.Fields(c), " "), strings.Join(strings.Fields(q.Community), " ")) {
				audienceOK = true
			}
		}
	}
	if !audienceOK {
		return false
	}
	for _, g := range v.Languages {
		if q.Language == g || strings.HasPrefix(q.Language, g+"-") {
			return true
		}
	}
	return false
}

func TestPropertyEveryAllowIsAnExplicitGrant(t *testing.T) {
	r := seeded(t)
	allowed := 0
	for i := 0; i < cases; i++ {
		v, q := randVersion(r), randQuery(r)
		d := Evaluate(v, q)
		if want := oracle(v, q); d.Allowed != want {
			t.Fatalf("Evaluate says %v (%s), the explicit grants say %v:\nversion %+v\nquery   %+v", d.Allowed, d.Reason, want, v, q)
		}
		if d.Allowed {
			allowed++
			if d.Reason != ReasonAllowed || d.Version != v.Version {
				t.Fatalf("allowed with reason %q, version %d", d.Reason, d.Version)
			}
		} else if d.Reason == ReasonAllowed || reasonText[d.Reason] == "" {
			t.Fatalf("denied with reason %q", d.Reason)
		}
		if d.FreeConsentConcern != (v.Status == StatusActive && v.InCustody && !v.AdvisorPresent) {
			t.Fatalf("concern flag %v for %+v", d.FreeConsentConcern, v)
		}
	}
	if allowed < cases/100 {
		t.Fatalf("only %d allowed cases", allowed)
	}
}

func TestPropertyMonotonicity(t *testing.T) {
	r := seeded(t)
	for i := 0; i < cases; i++ {
		v, q := randVersion(r), randQuery(r)
		d := Evaluate(v, q)
		// Identity level: allowed at a level ⇒ allowed at every more protective one;
		// refused for the level ⇒ refused at every less protective one.
		for j, l := range Levels {
			q2 := q
			q2.IdentityLevel = l
			d2 := Evaluate(v, q2)
			more := j > protection(q.IdentityLevel)
			if d.Allowed && more && !d2.Allowed {
				t.Fatalf("allowed at %s but not at the more protective %s: %+v", q.IdentityLevel, l, v)
			}
			if d.Reason == ReasonIdentityLevel && !more && d2.Allowed {
				t.Fatalf("refused at %s but allowed at the less protective %s: %+v", q.IdentityLevel, l, v)
			}
		}
		// Audiences: worldwide ⇒ national ⇒ own community.
		chain := []Audience{AudienceWorldwide, AudienceNational, AudienceOwnCommunity}
		for k := 0; k+1 < len(chain); k++ {
			a, b := q, q
			a.Audience, b.Audience, a.Community, b.Community = chain[k], chain[k+1], "", ""
			if Evaluate(v, a).Allowed && !Evaluate(v, b).Allowed {
				t.Fatalf("allowed for %s but not for %s: %+v", chain[k], chain[k+1], v)
			}
		}
		// Languages: allowed in a language ⇒ allowed in its regional forms.
		if d.Allowed && !strings.Contains(q.Language, "-") {
			q2 := q
			q2.Language = strings.ToLower(q.Language) + "-ch"
			if !Evaluate(v, q2).Allowed {
				t.Fatalf("allowed in %s but not in %s: %+v", q.Language, q2.Language, v)
			}
		}
		// Time: allowed at At ⇒ allowed at every earlier instant the version held.
		if d.Allowed {
			q2 := q
			q2.At = v.CreatedAt.Add(time.Duration(r.Int64N(int64(q.At.Sub(v.CreatedAt)) + 1)))
			if !Evaluate(v, q2).Allowed {
				t.Fatalf("allowed at %s but not at the earlier %s: %+v", q.At, q2.At, v)
			}
		}
	}
}

func TestEvaluateFailsClosed(t *testing.T) {
	v := Version{ReturneeID: "r", Version: 1, Status: StatusActive, Uses: Uses, IdentityLevel: LevelFull,
		Audiences: Audiences, Communities: []string{"Molenbeek"}, Languages: []string{"ar"}, Expires: "2026-12-31", CreatedAt: base}
	q := Query{Use: UseMediaInterview, IdentityLevel: LevelFull, Audience: AudienceWorldwide, Language: "ar", At: base.Add(time.Hour)}
	if d := Evaluate(v, q); !d.Allowed {
		t.Fatalf("the widest consent refused: %+v", d)
	}
	cases := []struct {
		name   string
		mod    func(*Version, *Query)
		reason string
	}{
		{"no version", func(v *Version, _ *Query) { *v = Version{} }, ReasonNoConsent},
		{"zero time", func(_ *Version, q *Query) { q.At = time.Time{} }, ReasonInvalidQuery},
		{"unknown use", func(_ *Version, q *Query) { q.Use = "billboard" }, ReasonInvalidQuery},
		{"unknown level", func(_ *Version, q *Query) { q.IdentityLevel = "face_only" }, ReasonInvalidQuery},
		{"unknown audience", func(_ *Version, q *Query) { q.Audience = "everyone" }, ReasonInvalidQuery},
		{"bad language", func(_ *Version, q *Query) { q.Language = "arabic" }, ReasonInvalidQuery},
		{"community without named", func(_ *Version, q *Query) { q.Community = "Molenbeek" }, ReasonInvalidQuery},
		{"named without community", func(_ *Version, q *Query) { q.Audience = AudienceNamedCommunities }, ReasonInvalidQuery},
		{"unknown status", func(v *Version, _ *Query) { v.Status = "paused" }, ReasonNoConsent},
		{"before it was given", func(_ *Version, q *Query) { q.At = base.Add(-time.Millisecond) }, ReasonNoConsent},
		{"malformed expiry", func(v *Version, _ *Query) { v.Expires = "31/12/2026" }, ReasonExpired},
		{"unknown stored level", func(v *Version, _ *Query) { v.IdentityLevel = "legacy" }, ReasonIdentityLevel},
		{"last instant", func(_ *Version, q *Query) { q.At = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }, ReasonExpired},
	}
	for _, c := range cases {
		v2, q2 := v, q
		c.mod(&v2, &q2)
		if d := Evaluate(v2, q2); d.Allowed || d.Reason != c.reason {
			t.Errorf("%s: %+v, want a denial with %s", c.name, d, c.reason)
		}
	}
	// The last millisecond of the last day still holds.
	q.At = time.Date(2026, 12, 31, 23, 59, 59, 999e6, time.UTC)
	if d := Evaluate(v, q); !d.Allowed {
		t.Fatalf("last millisecond: %+v", d)
	}
}

func TestAudienceRules(t *testing.T) {
	v := func(auds ...Audience) Version {
		return Version{Version: 1, Status: StatusActive, Uses: Uses, IdentityLevel: LevelFull, Audiences: auds,
			Communities: []string{"Molenbeek", "Tower Hamlets"}, Languages: []string{"ar"}, Expires: "2026-12-31", CreatedAt: base}
	}
	q := func(a Audience, community string) Query {
		return Query{Use: UsePublicForum, IdentityLevel: LevelFull, Audience: a, Community: community, Language: "ar", At: base}
	}
	cases := []struct {
		grant []Audience
		q     Query
		want  bool
	}{
		{[]Audience{AudienceWorldwide}, q(AudienceNational, ""), true},
		{[]Audience{AudienceWorldwide}, q(AudienceOwnCommunity, ""), true},
		{[]Audience{AudienceWorldwide}, q(AudienceNamedCommunities, "Anywhere"), true},
		{[]Audience{AudienceNational}, q(AudienceOwnCommunity, ""), true},
		{[]Audience{AudienceNational}, q(AudienceWorldwide, ""), false},
		// A named community may be abroad (diaspora): national does not cover it.
		{[]Audience{AudienceNational}, q(AudienceNamedCommunities, "Molenbeek"), false},
		{[]Audience{AudienceOwnCommunity}, q(AudienceNational, ""), false},
		{[]Audience{AudienceNamedCommunities}, q(AudienceNamedCommunities, "  molenbeek "), true},
		{[]Audience{AudienceNamedCommunities}, q(AudienceNamedCommunities, "tower hamlets"), true},
		{[]Audience{AudienceNamedCommunities}, q(AudienceNamedCommunities, "Tower"), false},
		// Named communities cover only what is listed: not the person's own community.
		{[]Audience{AudienceNamedCommunities}, q(AudienceOwnCommunity, ""), false},
		{[]Audience{AudienceNamedCommunities}, q(AudienceNational, ""), false},
	}
	for _, c := range cases {
		d := Evaluate(v(c.grant...), c.q)
		if d.Allowed != c.want {
			t.Errorf("grant %v, asked %s %q: %+v, want %v", c.grant, c.q.Audience, c.q.Community, d, c.want)
		}
	}
	if d := Evaluate(v(AudienceNamedCommunities), q(AudienceNamedCommunities, "Antwerp")); d.Reason != ReasonCommunity {
		t.Errorf("unlisted community reason %s", d.Reason)
	}
}

func TestNormalizeLanguage(t *testing.T) {
	good := map[string]string{"ar": "ar", "AR-EG": "ar-eg", " ckb ": "ckb", "sr-Latn-RS": "sr-latn-rs", "de-CH-1996": "de-ch-1996",
		"es-419": "es-419", "zh-hant": "zh-hant", "sl-rozaj-biske": "sl-rozaj-biske"}
	for in, want := range good {
		if got, ok := NormalizeLanguage(in); !ok || got != want {
			t.Errorf("NormalizeLanguage(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "a", "arabic", "ar_EG", "ar-", "-ar", "ar--eg", "ar-eg-eg", "ar-x-private", "en-a-bbb",
		"ar-latn-latn", "ar-eg-latn", "1a", "ع", "ar-EG-1996-1996", "en-gb-oed-oed", strings.Repeat("a-", 20) + "a"} {
		if got, ok := NormalizeLanguage(in); ok {
			t.Errorf("NormalizeLanguage(%q) accepted as %q", in, got)
		}
	}
}

func TestNewConsentCheck(t *testing.T) {
	now := base
	good := NewConsent{Uses: []Use{UseOnlinePublication, UsePublicForum, UsePublicForum}, IdentityLevel: " alias_protected ",
		Audiences: []Audience{AudienceNamedCommunities, AudienceOwnCommunity}, Communities: []string{" Molenbeek ", "molenbeek", "Tower  Hamlets", ""},
		Languages: []string{"FR-be", "ar", "ar", " "}, Expires: "2026-03-01", StatementAcknowledged: true, InCustody: true}
	out, err := good.normalize(now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Uses, []Use{UsePublicForum, UseOnlinePublication}) || out.IdentityLevel != LevelAliasProtected ||
		!slices.Equal(out.Audiences, []Audience{AudienceOwnCommunity, AudienceNamedCommunities}) ||
		!slices.Equal(out.Communities, []string{"Molenbeek", "Tower Hamlets"}) || !slices.Equal(out.Languages, []string{"ar", "fr-be"}) ||
		out.Expires != "2026-03-01" || !out.InCustody || out.AdvisorPresent {
		t.Fatalf("normalized %+v", out)
	}
	// Canonical form is a fixed point.
	if again, err := out.normalize(now); err != nil || !slices.Equal(again.Communities, out.Communities) || !slices.Equal(again.Languages, out.Languages) {
		t.Fatalf("not idempotent: %+v, %v", again, err)
	}
	bad := []struct {
		field string
		mod   func(*NewConsent)
	}{
		{"uses", func(in *NewConsent) { in.Uses = nil }},
		{"uses", func(in *NewConsent) { in.Uses = []Use{"billboard"} }},
		{"identity_level", func(in *NewConsent) { in.IdentityLevel = "" }},
		{"identity_level", func(in *NewConsent) { in.IdentityLevel = "face" }},
		{"audiences", func(in *NewConsent) { in.Audiences = nil }},
		{"audiences", func(in *NewConsent) { in.Audiences = []Audience{"galaxy"} }},
		{"communities", func(in *NewConsent) { in.Communities = nil }},
		{"communities", func(in *NewConsent) { in.Audiences = []Audience{AudienceNational} }},
		{"communities", func(in *NewConsent) { in.Communities = []string{"Mol\u202eenbeek"} }},
		{"communities", func(in *NewConsent) { in.Communities = []string{strings.Repeat("x", 101)} }},
		{"languages", func(in *NewConsent) { in.Languages = nil }},
		{"languages", func(in *NewConsent) { in.Languages = []string{"arabic"} }},
		{"expires", func(in *NewConsent) { in.Expires = "" }},
		{"expires", func(in *NewConsent) { in.Expires = "01/03/2027" }},
		{"expires", func(in *NewConsent) { in.Expires = "2026-02-28" }},
		{"expires", func(in *NewConsent) { in.Expires = "2036-03-02" }},
		{"statement", func(in *NewConsent) { in.StatementAcknowledged = false }},
	}
	for _, c := range bad {
		in := good
		c.mod(&in)
		_, err := in.normalize(now)
		if field := fieldOf(err); field != c.field {
			t.Errorf("want an error on %s, got %v (field %q)", c.field, err, field)
		}
	}
	// Every problem at once, for the form.
	_, problems := NewConsent{}.check(now)
	var fields []string
	for _, p := range problems {
		fields = append(fields, fieldOf(p))
	}
	if want := []string{"uses", "identity_level", "audiences", "languages", "expires", "statement"}; !slices.Equal(fields, want) {
		t.Fatalf("problems on %v, want %v", fields, want)
	}
}

func TestParseQuery(t *testing.T) {
	q, err := ParseQuery(map[string][]string{"use": {"media_interview"}, "identity_level": {"first_name"}, "audience": {"national"},
		"language": {"AR-eg"}, "at": {"2026-05-01T12:00:00+02:00"}, "lang": {"ar"}})
	if err != nil || q.Language != "ar-eg" || !q.At.Equal(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v, %v", q, err)
	}
	q, err = ParseQuery(map[string][]string{"use": {"public_forum"}, "identity_level": {"text_only"}, "audience": {"named_communities"},
		"community": {" Tower  Hamlets"}, "language": {"en"}, "at": {"2026-05-01"}})
	if err != nil || q.Community != "Tower Hamlets" || !q.At.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v, %v", q, err)
	}
	for field, vals := range map[string]map[string][]string{
		"use":            {"identity_level": {"full"}, "audience": {"national"}, "language": {"ar"}},
		"identity_level": {"use": {"public_forum"}, "identity_level": {"FULL"}, "audience": {"national"}, "language": {"ar"}},
		"audience":       {"use": {"public_forum"}, "identity_level": {"full"}, "language": {"ar"}},
		"language":       {"use": {"public_forum"}, "identity_level": {"full"}, "audience": {"national"}},
		"community":      {"use": {"public_forum"}, "identity_level": {"full"}, "audience": {"named_communities"}, "language": {"ar"}},
		"at":             {"use": {"public_forum"}, "identity_level": {"full"}, "audience": {"national"}, "language": {"ar"}, "at": {"tomorrow"}},
	} {
		if _, err := ParseQuery(vals); fieldOf(err) != field {
			t.Errorf("want an Invalid error on %s, got %v", field, err)
		}
	}
}
