package i18n

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func mustLoad(t *testing.T) *Bundle {
	t.Helper()
	b, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return b
}

func TestLoadEmbeddedCatalogues(t *testing.T) {
	b := mustLoad(t)
	if len(b.Keys()) < 100 {
		t.Fatalf("only %d keys", len(b.Keys()))
	}
	if !slices.IsSorted(b.Keys()) {
		t.Error("Keys not sorted")
	}
	// Keys the rest of the app relies on.
	for _, k := range []string{
		"app.name", "demo.banner", "nav.label", "nav.dashboard", "nav.returnees", "nav.users", "nav.audit", "nav.sign_out",
		"login.title", "login.failed", "login.throttled", "totp.prompt", "totp.enrol_scan", "totp.enrol_manual",
		"stepup.title", "stepup.reason", "setup.title", "setup.link_expired", "setup.link_used",
		"dashboard.empty_title", "dashboard.empty_body", "returnees.count", "users.count", "audit.count",
		"returnees.identity_hidden", "returnees.reveal", "returnees.reveal_reason",
		"error.title", "error.reference", "error.generic", "error.not_found", "error.forbidden", "error.step_up",
		"error.session_expired", "error.too_many", "error.bad_request", "error.bad_json", "error.json_content_type",
		"error.body_too_large", "error.required", "error.too_long", "error.invalid_date", "error.password_too_short",
		"error.name_taken", "button.save", "button.cancel", "button.create", "button.back", "button.next", "button.previous",
	} {
		for _, lang := range Supported() {
			if !b.For(lang).Has(k) {
				t.Errorf("%s: missing %q", lang, k)
			}
		}
	}
	if got := b.MissingKeys(); len(got) != 0 {
		t.Errorf("MissingKeys after Has only = %v, want none", got)
	}
}

func TestEveryRoleHasAName(t *testing.T) {
	b := mustLoad(t)
	roles := []string{"case_worker", "supervisor", "legal_officer", "safety_officer", "community_liaison", "comms_officer", "evaluator", "auditor", "admin"}
	for _, lang := range Supported() {
		l := b.For(lang)
		for _, r := range roles {
			if !l.Has("role." + r) {
				t.Errorf("%s: no name for role %s", lang, r)
			}
		}
	}
}

// TestCatalogueParity checks the embedded catalogues directly (Load checks them too,
// but a failure here names the culprit in the test output).
func TestCatalogueParity(t *testing.T) {
	cats := map[string]catalog{}
	for _, lang := range Supported() {
		data, err := catalogFS.ReadFile("catalog/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseCatalog(data)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		for _, e := range checkCatalog(lang, c) {
			t.Error(e)
		}
		cats[lang] = c
	}
	for _, e := range checkParity(cats) {
		t.Error(e)
	}
	en, ar := sortedKeys(cats["en"]), sortedKeys(cats["ar"])
	if !slices.Equal(en, ar) {
		t.Errorf("key sets differ")
	}
	// Arabic must actually be Arabic: a copied English string is a forgotten translation.
	sameOK := map[string]bool{"lang.en": true, "lang.ar": true}
	for _, k := range en {
		if cats["en"][k].text != "" && cats["en"][k].text == cats["ar"][k].text && !sameOK[k] {
			t.Errorf("%q: Arabic text is the English text", k)
		}
	}
}

func TestLoadRejectsBadCatalogues(t *testing.T) {
	good := `{"a.b": "Hello {0}", "a.count": {"one": "{n} thing", "other": "{n} things"}}`
	goodAr := `{"a.b": "مرحبًا {0}", "a.count": {"zero": "لا شيء", "one": "شيء", "two": "شيئان", "few": "{n} أشياء", "many": "{n} شيئًا", "other": "{n} شيء"}}`
	cases := []struct {
		name, en, ar, want string
	}{
		{"ok", good, goodAr, ""},
		{"malformed json", `{"a.b": "x"`, goodAr, "c/en.json"},
		{"not an object", `["a.b"]`, goodAr, "want"},
		{"trailing data", good + `{}`, goodAr, "data after"},
		{"duplicate key", `{"a.b": "x", "a.b": "y", "a.count": {"one": "{n}", "other": "{n}"}}`, goodAr, "duplicate key"},
		{"number value", `{"a.b": 3}`, goodAr, "want a string"},
		{"missing in ar", `{"a.b": "Hello {0}", "a.c": "C", "a.count": {"one": "{n} thing", "other": "{n} things"}}`, goodAr, `ar: missing key "a.c"`},
		{"missing in en", `{"a.count": {"one": "{n} thing", "other": "{n} things"}}`, goodAr, `en: missing key "a.b"`},
		{"placeholder dropped", good, `{"a.b": "مرحبًا", "a.count": {"zero": "لا شيء", "one": "شيء", "two": "شيئان", "few": "{n} أشياء", "many": "{n} شيئًا", "other": "{n} شيء"}}`, "placeholders differ"},
		{"malformed placeholder", `{"a.b": "Hello {name}", "a.count": {"one": "{n} thing", "other": "{n} things"}}`, goodAr, "malformed placeholder {name}"},
		{"gap in placeholders", `{"a.b": "Hello {1}", "a.count": {"one": "{n} thing", "other": "{n} things"}}`, goodAr, "without gaps"},
		{"missing ar plural form", good, `{"a.b": "مرحبًا {0}", "a.count": {"zero": "لا شيء", "one": "شيء", "two": "شيئان", "few": "{n} أشياء", "other": "{n} شيء"}}`, `missing plural form "many"`},
		{"unknown en plural form", `{"a.b": "Hello {0}", "a.count": {"zero": "none", "one": "{n} thing", "other": "{n} things"}}`, goodAr, `plural form "zero" is not a category`},
		{"other without n", `{"a.b": "Hello {0}", "a.count": {"one": "a thing", "other": "things"}}`, goodAr, `"other" must contain {n}`},
		{"plain vs plural", `{"a.b": "Hello {0}", "a.count": "{n} things"}`, goodAr, "plural in one language"},
		{"bad key", `{"A B": "x", "a.b": "Hello {0}", "a.count": {"one": "{n} thing", "other": "{n} things"}}`, goodAr, "namespaced"},
		{"key without namespace", `{"hello": "x", "a.b": "Hello {0}", "a.count": {"one": "{n} thing", "other": "{n} things"}}`, goodAr, "namespaced"},
		{"empty text", `{"a.b": " ", "a.count": {"one": "{n} thing", "other": "{n} things"}}`, goodAr, "empty text"},
		{"n outside plural", `{"a.b": "Hello {0} {n}", "a.count": {"one": "{n} thing", "other": "{n} things"}}`, goodAr, "plural messages only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"c/en.json": {Data: []byte(tc.en)},
				"c/ar.json": {Data: []byte(tc.ar)},
			}
			b, err := loadFS(fsys, "c")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got := b.For("ar").N("a.count", 5); got != "5 أشياء" {
					t.Errorf("N = %q", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestTranslateAndPlaceholders(t *testing.T) {
	b := mustLoad(t)
	en, ar := b.For("en"), b.For("ar")
	tests := []struct {
		got, want string
	}{
		{en.T("nav.returnees"), "Returnees"},
		{ar.T("nav.returnees"), "العائدون"},
		{en.T("error.required", "Alias"), "Alias is required."},
		{en.T("error.too_long", "Alias", 80), "Alias is too long (at most 80 characters)."},
		{ar.T("error.too_long", "الاسم", 80), "حقل «الاسم» أطول من المسموح (الحد الأقصى للأحرف: 80)."},
		// A Key argument is translated in the reader's language.
		{en.T("error.required", Key("returnees.alias")), "Alias is required."},
		{ar.T("error.required", Key("returnees.alias")), "حقل «الاسم المستعار» مطلوب."},
		// An argument is never expanded again: user input cannot inject placeholders.
		{en.T("error.too_long", "{1}", 5), "{1} is too long (at most 5 characters)."},
		// A missing argument leaves the placeholder visible.
		{en.T("error.required"), "{0} is required."},
		{en.N("returnees.count", 1), "1 returnee"},
		{en.N("returnees.count", 0), "0 returnees"},
		{en.N("returnees.count", 12345), "12,345 returnees"},
		{ar.N("returnees.count", 0), "لا يوجد عائدون"},
		{ar.N("returnees.count", 1), "عائد واحد"},
		{ar.N("returnees.count", 2), "عائدان"},
		{ar.N("returnees.count", 3), "3 عائدين"},
		{ar.N("returnees.count", 11), "11 عائدًا"},
		{ar.N("returnees.count", 100), "100 عائد"},
		{ar.N("returnees.count", 1005), "1,005 عائدين"},
		{ar.N("users.count", 2), "مستخدمان"},
		{en.N("audit.count", 2), "2 audit entries"},
		// T on a plural message gives "other" (with {n} left for N to fill).
		{en.T("returnees.count"), "{n} returnees"},
		// N on a plain message still works.
		{en.N("nav.returnees", 3), "Returnees"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%d: got %q, want %q", i, tc.got, tc.want)
		}
	}
	if got := b.MissingKeys(); len(got) != 0 {
		t.Errorf("MissingKeys = %v, want none", got)
	}
}

func TestMissingKeyFallsBack(t *testing.T) {
	b := newBundle(map[string]catalog{
		"en": {"x.only_en": {text: "English {0}"}, "x.count": {plural: map[string]string{"one": "{n} item", "other": "{n} items"}}},
		"ar": {},
	})
	ar := b.For("ar")
	if got := ar.T("x.only_en", "A"); got != "English A" {
		t.Errorf("fallback to English: got %q", got)
	}
	// The fallback uses English plural rules for English text.
	if got := ar.N("x.count", 2); got != "2 items" {
		t.Errorf("plural fallback: got %q", got)
	}
	if got := ar.T("x.nowhere"); got != "x.nowhere" {
		t.Errorf("unknown key: got %q, want the key", got)
	}
	if got := b.For("en").N("x.nowhere", 3); got != "x.nowhere" {
		t.Errorf("unknown plural key: got %q", got)
	}
	want := []string{"ar:x.count", "ar:x.nowhere", "ar:x.only_en", "en:x.nowhere"}
	if got := b.MissingKeys(); !slices.Equal(got, want) {
		t.Errorf("MissingKeys = %v, want %v", got, want)
	}
	if ar.Has("x.only_en") {
		t.Error("Has must report the language's own catalogue")
	}
}

func TestForLangAndDir(t *testing.T) {
	b := mustLoad(t)
	for _, tc := range []struct{ in, lang, dir string }{
		{"en", "en", "ltr"}, {"ar", "ar", "rtl"}, {"ar-EG", "ar", "rtl"}, {"AR", "ar", "rtl"},
		{"en_GB", "en", "ltr"}, {"fr", "en", "ltr"}, {"", "en", "ltr"},
	} {
		l := b.For(tc.in)
		if l.Lang() != tc.lang || l.Dir() != tc.dir {
			t.Errorf("For(%q) = %s/%s, want %s/%s", tc.in, l.Lang(), l.Dir(), tc.lang, tc.dir)
		}
	}
	s := Supported()
	if !slices.Equal(s, []string{"en", "ar"}) {
		t.Errorf("Supported = %v", s)
	}
	s[0] = "xx"
	if Supported()[0] != "en" {
		t.Error("Supported must return a copy")
	}
}

func TestDates(t *testing.T) {
	b := mustLoad(t)
	tm := time.Date(2026, time.November, 24, 14, 5, 59, 0, time.UTC)
	for _, tc := range []struct{ got, want string }{
		{b.For("en").Date(tm), "24 Nov 2026"},
		{b.For("en").DateTime(tm), "24 Nov 2026, 14:05 UTC"},
		{b.For("ar").Date(tm), "24 نوفمبر 2026"},
		{b.For("ar").DateTime(tm), "24 نوفمبر 2026، 14:05 UTC"},
		{b.For("en").Date(time.Date(2027, time.January, 3, 0, 0, 0, 0, time.UTC)), "3 Jan 2027"},
		{b.For("ar").Date(time.Date(2027, time.May, 3, 0, 0, 0, 0, time.UTC)), "3 مايو 2027"},
		{b.For("en").DateTime(tm.In(time.FixedZone("AST", 3*3600))), "24 Nov 2026, 17:05 AST"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -1234: "-1,234", -12: "-12"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
