package i18n

import "testing"

// cldrArabic gives the expected Arabic category for 0…200 from the CLDR sample ranges
// (zero: 0; one: 1; two: 2; few: 3~10, 103~110; many: 11~99, 111~199;
// other: 100~102, 200), written independently of the modular rule under test.
func cldrArabic(n int) string {
	switch {
	case n == 0:
		return "zero"
	case n == 1:
		return "one"
	case n == 2:
		return "two"
	case (n >= 3 && n <= 10) || (n >= 103 && n <= 110):
		return "few"
	case (n >= 11 && n <= 99) || (n >= 111 && n <= 199):
		return "many"
	case (n >= 100 && n <= 102) || n == 200:
		return "other"
	}
	panic("out of range")
}

func TestPluralCategories(t *testing.T) {
	for n := 0; n <= 200; n++ {
		if got, want := pluralCategory("ar", n), cldrArabic(n); got != want {
			t.Errorf("ar %d: got %s, want %s", n, got, want)
		}
		wantEn := "other"
		if n == 1 {
			wantEn = "one"
		}
		if got := pluralCategory("en", n); got != wantEn {
			t.Errorf("en %d: got %s, want %s", n, got, wantEn)
		}
	}
	// Beyond 200 the rule repeats per hundred; negatives use the absolute value.
	for n, want := range map[int]string{1000: "other", 1001: "other", 1002: "other", 1003: "few", 1011: "many", 1099: "many", 1100: "other", -1: "one", -3: "few"} {
		if got := pluralCategory("ar", n); got != want {
			t.Errorf("ar %d: got %s, want %s", n, got, want)
		}
	}
}

// TestPluralFormsUsed renders every plural message of the catalogues for 0…200 in each
// language and checks the form chosen is the one declared for the category.
func TestPluralFormsUsed(t *testing.T) {
	b := mustLoad(t)
	for _, lang := range Supported() {
		l := b.For(lang)
		for key, m := range b.cats[lang] {
			if m.plural == nil {
				continue
			}
			for n := 0; n <= 200; n++ {
				want := l.format(m.plural[pluralCategory(lang, n)], lang, n, true, nil)
				if got := l.N(key, n); got != want || got == "" {
					t.Errorf("%s %s n=%d: got %q, want %q", lang, key, n, got, want)
				}
			}
		}
	}
}
