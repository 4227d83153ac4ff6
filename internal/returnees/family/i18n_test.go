package family_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"inoculate/internal/platform/i18n"
	"inoculate/internal/returnees/family"
)

// loadOwn reads this package's translations (i18n.<lang>.json), to be merged into the
// platform catalogues: key → text, or plural category → text.
func loadOwn(t testing.TB, lang string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("i18n." + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("i18n.%s.json: %v", lang, err)
	}
	return m
}

var (
	keyShape    = regexp.MustCompile(`^family\.[a-z0-9_]+(\.[a-z0-9_]+)*$`)
	placeholder = regexp.MustCompile(`\{([^{}\s]{1,20})\}`)
	categories  = map[string][]string{"en": {"one", "other"}, "ar": {"zero", "one", "two", "few", "many", "other"}}
)

func placeholdersOf(v any) []string {
	var texts []string
	switch x := v.(type) {
	case string:
		texts = []string{x}
	case map[string]any:
		for _, t := range x {
			texts = append(texts, fmt.Sprint(t))
		}
	}
	var set []string
	for _, t := range texts {
		for _, m := range placeholder.FindAllStringSubmatch(t, -1) {
			if !slices.Contains(set, m[1]) {
				set = append(set, m[1])
			}
		}
	}
	slices.Sort(set)
	return set
}

// TestTranslations checks the files as the platform's catalogue loader will once they
// are merged: same keys in both languages, same placeholders, every plural category.
func TestTranslations(t *testing.T) {
	en, ar := loadOwn(t, "en"), loadOwn(t, "ar")
	for k := range en {
		if _, ok := ar[k]; !ok {
			t.Errorf("ar lacks %q", k)
		}
	}
	for k := range ar {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
	for lang, cat := range map[string]map[string]any{"en": en, "ar": ar} {
		for k, v := range cat {
			if !keyShape.MatchString(k) {
				t.Errorf("%s: key %q is not in the family namespace", lang, k)
			}
			if forms, ok := v.(map[string]any); ok {
				var got []string
				for c := range forms {
					got = append(got, c)
				}
				slices.Sort(got)
				want := slices.Clone(categories[lang])
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s: %q has plural forms %v, want %v", lang, k, got, want)
				}
				if !strings.Contains(fmt.Sprint(forms["other"]), "{n}") {
					t.Errorf("%s: %q: the \"other\" form must show {n}", lang, k)
				}
			} else if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
				t.Errorf("%s: %q is empty or not a string", lang, k)
			} else if strings.Contains(s, "{n}") {
				t.Errorf("%s: %q: {n} belongs in plural messages only", lang, k)
			}
			if other := en[k]; other != nil && !slices.Equal(placeholdersOf(v), placeholdersOf(other)) {
				t.Errorf("%q: placeholders differ between en and %s", k, lang)
			}
			for i, p := range slices.DeleteFunc(placeholdersOf(v), func(s string) bool { return s == "n" }) {
				if p != fmt.Sprint(i) {
					t.Errorf("%s: %q: placeholders must be {0}, {1}… without gaps", lang, k)
				}
			}
		}
	}
	// The Arabic text is Arabic.
	for k, v := range ar {
		if s, ok := v.(string); ok && !regexp.MustCompile(`\p{Arabic}`).MatchString(s) {
			t.Errorf("ar: %q is not translated: %q", k, s)
		}
	}
}

// TestKeysUsed: every key the code and templates use is translated (ours in our files,
// the platform's in its catalogue), and every key of ours is used.
func TestKeysUsed(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	tpls, _ := filepath.Glob("templates/*.html")
	var src strings.Builder
	for _, f := range append(files, tpls...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	// Audit actions and permission names share the "family." prefix but are not text.
	notText := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:Allow\(|entry\(p, requestID, )"([a-z_.]+)"`).FindAllStringSubmatch(src.String(), -1) {
		notText[m[1]] = true
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`"((?:family|error|field|button|returnees|case|flash|form|stepup|role)\.[a-z0-9_.]*[a-z0-9_])"`).FindAllStringSubmatch(src.String(), -1) {
		used[m[1]] = true
	}
	// Keys built from values: the enumerations, and field names in the history.
	dyn := map[string][]string{
		"family.relation.": strs(family.Relations), "family.stance.": strs(family.StanceValues), "family.stances.": strs(family.StanceValues),
		"family.kind.": strs(family.MilestoneKinds), "family.status.": strs(family.MilestoneStatuses),
		"family.field.": {"relation", "stance", "community", "recorded_on", "name", "community_role", "contact", "notes"},
	}
	for prefix, vals := range dyn {
		for _, v := range vals {
			used[prefix+v] = true
		}
	}
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	platform := bundle.For("en")
	own := loadOwn(t, "en")
	for k := range used {
		if strings.HasSuffix(k, ".") || notText[k] {
			continue
		}
		_, mine := own[k]
		if !mine && !platform.Has(k) {
			t.Errorf("key %q is used but translated nowhere", k)
		}
	}
	for k := range own {
		if !used[k] {
			t.Errorf("key %q is translated but never used", k)
		}
	}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
