package consent

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var canonicalTag = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)

func FuzzNormalizeLanguage(f *testing.F) {
	for _, s := range []string{"ar", "AR-eg", "sr-Latn-RS", "de-CH-1996", "es-419", "x", "ar--", "ع", "en-gb-oed", "zh-hant-tw"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tag, ok := NormalizeLanguage(s)
		if !ok {
			return
		}
		if !canonicalTag.MatchString(tag) || len(tag) > 35 {
			t.Fatalf("accepted %q as %q", s, tag)
		}
		if again, ok := NormalizeLanguage(tag); !ok || again != tag {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, tag, again, ok)
		}
	})
}

// fuzzVersion is a wide consent the fuzzed questions are evaluated against.
var fuzzVersion = Version{ReturneeID: "r", Version: 3, Status: StatusActive, Uses: []Use{UsePublicForum, UseRecordedTestimony},
	IdentityLevel: LevelFirstName, Audiences: []Audience{AudienceNational, AudienceNamedCommunities},
	Communities: []string{"Molenbeek", "Tower Hamlets"}, Languages: []string{"ar", "fr-be"}, Expires: "2026-12-31", CreatedAt: base}

// FuzzParseQuery: the query string of GET …/consent/allows. Never panics; what parses
// is canonical (parsing it again changes nothing) and its answer agrees with the
// explicit grants.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"use=public_forum&identity_level=full&audience=national&language=ar",
		"use=recorded_testimony&identity_level=text_only&audience=named_communities&community=molenbeek&language=AR-BE&at=2026-06-01",
		"use=media_interview&identity_level=alias_protected&audience=worldwide&language=fr-be&at=2026-06-01T10:00:00Z",
		"use=public_forum&identity_level=full&audience=own_community&community=x&language=ar",
		"use=%00&identity_level=&audience=national&language=ar&at=9999-12-31T23:59:59Z",
		"language=ar-eg-eg&at=-0001-01-01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseQuery(vals)
		if err != nil {
			if fieldOf(err) == "" {
				t.Fatalf("%q: error without a field: %v", raw, err)
			}
			return
		}
		again, err := q.Normalize()
		if err != nil || again != q {
			t.Fatalf("%q: not canonical: %+v → %+v, %v", raw, q, again, err)
		}
		if q.At.IsZero() {
			q.At = base.Add(time.Hour)
		}
		d := Evaluate(fuzzVersion, q)
		if d.Allowed != oracle(fuzzVersion, q) {
			t.Fatalf("%q: Evaluate %+v disagrees with the explicit grants", raw, d)
		}
	})
}

// FuzzDecodeGive: the JSON body of POST …/consents. Never panics; unknown fields and
// missing safeguard answers are refused; what passes validation is canonical.
func FuzzDecodeGive(f *testing.F) {
	for _, s := range []string{
		`{"uses":["public_forum"],"identity_level":"alias_protected","audiences":["own_community"],"communities":[],"languages":["ar"],"expires":"2026-12-31","in_custody":false,"advisor_present":true}`,
		`{"uses":["public_forum","public_forum"],"identity_level":"full","audiences":["named_communities"],"communities":[" Molenbeek ","molenbeek"],"languages":["AR","fr-BE"],"expires":"2026-04-01","in_custody":true,"advisor_present":false,"statement_acknowledged":true}`,
		`{"uses":["public_forum"],"identity_level":"full","audiences":["national"],"languages":["ar"],"expires":"2026-12-31","in_custody":true,"advisor_present":true,"statement_acknowledged":false}`,
		`{"uses":["public_forum"],"identity_level":"full","audiences":["national"],"languages":["ar"],"expires":"2026-12-31"}`,
		`{"uses":"public_forum"}`, `{"extra":1}`, `{} {}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/returnees/r/consents", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		in, err := decodeGive(r)
		if err != nil {
			return
		}
		out, problems := in.check(base)
		if len(problems) > 0 {
			for _, p := range problems {
				if fieldOf(p) == "" {
					t.Fatalf("problem without a field: %v", p)
				}
			}
			return
		}
		checkCanonical(t, out)
	})
}

// FuzzFormConsent: the posted new-version form. Never panics; every problem names a
// field the form shows; what passes is canonical.
func FuzzFormConsent(f *testing.F) {
	for _, s := range []string{
		"uses=public_forum&uses=media_interview&identity_level=first_name&audiences=worldwide&languages=ar%2C+en&expires=2026-05-01&in_custody=no&advisor_present=no&statement=yes",
		"uses=public_forum&identity_level=text_only&audiences=named_communities&communities=Molenbeek%0D%0ATower+Hamlets&languages=ar%D8%8Cckb&expires=2026-05-01&in_custody=yes&advisor_present=no&statement=yes",
		"in_custody=maybe&statement=on", "",
	} {
		f.Add(s)
	}
	fields := []string{"uses", "identity_level", "audiences", "communities", "languages", "expires", "in_custody", "advisor_present", "statement"}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		in, problems := formConsent(vals)
		out, more := in.check(base)
		problems = append(problems, more...)
		for _, p := range problems {
			if !slices.Contains(fields, fieldOf(p)) {
				t.Fatalf("problem on a field the form does not show: %v", p)
			}
		}
		if len(problems) == 0 {
			checkCanonical(t, out)
		}
	})
}

func checkCanonical(t *testing.T, out NewConsent) {
	t.Helper()
	if len(out.Uses) == 0 || !slices.Equal(out.Uses, ordered(out.Uses, Uses)) {
		t.Fatalf("uses %v", out.Uses)
	}
	if protection(out.IdentityLevel) < 0 {
		t.Fatalf("level %q", out.IdentityLevel)
	}
	if len(out.Audiences) == 0 || !slices.Equal(out.Audiences, ordered(out.Audiences, Audiences)) {
		t.Fatalf("audiences %v", out.Audiences)
	}
	named := slices.Contains(out.Audiences, AudienceNamedCommunities)
	if named != (len(out.Communities) > 0) {
		t.Fatalf("communities %q with audiences %v", out.Communities, out.Audiences)
	}
	for _, c := range out.Communities {
		if c == "" || c != strings.Join(strings.Fields(c), " ") {
			t.Fatalf("community %q", c)
		}
	}
	if len(out.Languages) == 0 || !slices.IsSorted(out.Languages) {
		t.Fatalf("languages %v", out.Languages)
	}
	for _, l := range out.Languages {
		if n, ok := NormalizeLanguage(l); !ok || n != l {
			t.Fatalf("language %q", l)
		}
	}
	if _, err := time.Parse(time.DateOnly, out.Expires); err != nil || !out.StatementAcknowledged {
		t.Fatalf("expires %q, statement %v", out.Expires, out.StatementAcknowledged)
	}
	again, problems := out.check(base)
	if len(problems) > 0 || !slices.Equal(again.Languages, out.Languages) || !slices.Equal(again.Communities, out.Communities) ||
		!slices.Equal(again.Uses, out.Uses) || !slices.Equal(again.Audiences, out.Audiences) {
		t.Fatalf("not idempotent: %+v → %+v %v", out, again, problems)
	}
}
