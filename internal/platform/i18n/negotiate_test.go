package i18n

import (
	"slices"
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		query, cookie, accept, want string
	}{
		{"", "", "", "en"},
		{"ar", "", "", "ar"},
		{"ar", "en", "en", "ar"},           // query wins
		{"", "ar", "en-GB,en;q=0.9", "ar"}, // then the cookie
		{"fr", "ar", "en", "ar"},           // an unsupported query is ignored
		{"", "xx", "ar", "ar"},             // so is an unsupported cookie
		{"AR-eg", "", "", "ar"},            // region and case do not matter
		{"", "", "ar-EG", "ar"},            // region subtag
		{"", "", "ar-EG,ar;q=0.9,en;q=0.8", "ar"},
		{"", "", "fr-FR,fr;q=0.9,ar;q=0.5,en;q=0.4", "ar"}, // best supported by q
		{"", "", "en;q=0.3, ar;q=0.7", "ar"},
		{"", "", "en;q=0.7, ar;q=0.7", "en"}, // ties keep the header order
		{"", "", "ar;q=0, en", "en"},
		{"", "", "ar;q=0", "en"},
		{"", "", "de", "en"},
		{"", "", "*", "en"},
		{"", "", "en;q=0, *;q=0.5", "ar"}, // wildcard, but not English
		{"", "", "fr, *;q=0.1, ar;q=0.05", "en"},
		{"", "", "ar;q=1.5, en", "en"}, // an invalid q drops the entry
		{"", "", "ar-x-private, en", "ar"},
		{"", "", " ar-SA ; q=0.8 ,en;q=0.2", "ar"},
		{"", "", "en-US;q=0.9;level=1, ar;q=0.95", "ar"},
		{"", "", "arabic", "en"},
		{"", "", "a,r", "en"},
	}
	for _, tc := range tests {
		if got := Negotiate(tc.query, tc.cookie, tc.accept); got != tc.want {
			t.Errorf("Negotiate(%q, %q, %q) = %q, want %q", tc.query, tc.cookie, tc.accept, got, tc.want)
		}
	}
}

func TestParseAcceptLanguage(t *testing.T) {
	got := ParseAcceptLanguage("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5, bad tag, x;q=abc, ar;Q=0.95")
	want := []LanguagePreference{{"fr-ch", 1}, {"ar", 0.95}, {"fr", 0.9}, {"en", 0.8}, {"de", 0.7}, {"*", 0.5}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, tc := range []struct {
		in string
		q  float64
		ok bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"0.5", 0.5, true}, {"0.125", 0.125, true}, {"1.000", 1, true},
		{"0.", 0, true}, {"1.", 1, true}, {"1.001", 0, false}, {"0.1234", 0, false}, {"2", 0, false},
		{"-0.5", 0, false}, {"1e0", 0, false}, {"NaN", 0, false}, {"", 0, false}, {".5", 0, false}, {"0,5", 0, false},
	} {
		q, ok := parseQValue(tc.in)
		if ok != tc.ok || q != tc.q {
			t.Errorf("parseQValue(%q) = %v, %v; want %v, %v", tc.in, q, ok, tc.q, tc.ok)
		}
	}
}

func TestParseAcceptLanguageBounded(t *testing.T) {
	huge := strings.Repeat("en-GB;q=0.5,", 100000) + "ar"
	got := ParseAcceptLanguage(huge)
	if len(got) > maxAcceptLanguageEntries {
		t.Errorf("%d entries, want at most %d", len(got), maxAcceptLanguageEntries)
	}
	// "ar" at the end of a huge header is beyond what we read.
	if Negotiate("", "", huge) != "en" {
		t.Error("entries past the cap must be ignored")
	}
	if got := ParseAcceptLanguage(strings.Repeat(",", 1<<20)); len(got) != 0 {
		t.Errorf("commas only: %v", got)
	}
}

// FuzzParseAcceptLanguage checks that any header parses without panic into a bounded,
// sorted list of well-formed entries, and that Negotiate always picks a supported language.
func FuzzParseAcceptLanguage(f *testing.F) {
	for _, s := range []string{
		"", "en", "ar-EG,ar;q=0.9,en;q=0.8", "*;q=0.1", "en;q=", "en;q=1.0000", ";;;,,,", "ar;q=0.5;q=1",
		"zh-Hant-TW;q=0.3", "\x00\xff", "en;q=0.\u0660", strings.Repeat("a-", 3000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		prefs := ParseAcceptLanguage(header)
		if len(prefs) > maxAcceptLanguageEntries {
			t.Fatalf("%d entries", len(prefs))
		}
		for i, p := range prefs {
			if p.Q < 0 || p.Q > 1 {
				t.Fatalf("q out of range: %v", p)
			}
			if !validRange(p.Tag) || p.Tag != strings.ToLower(p.Tag) {
				t.Fatalf("bad tag %q", p.Tag)
			}
			if i > 0 && prefs[i-1].Q < p.Q {
				t.Fatalf("not sorted: %v", prefs)
			}
		}
		if l := Negotiate(header, header, header); !slices.Contains(Supported(), l) {
			t.Fatalf("Negotiate gave %q", l)
		}
	})
}
