package i18n

// pluralCategories lists, per language, the CLDR plural categories its plural
// messages must provide (cardinal, integers only: counts in the UI are whole).
var pluralCategories = map[string][]string{
	"en": {"one", "other"},
	"ar": {"zero", "one", "two", "few", "many", "other"},
}

// pluralCategory returns the CLDR cardinal plural category of the integer n in lang.
// The rules are those of CLDR for integers (v = 0); a negative count takes the
// category of its absolute value.
func pluralCategory(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	switch lang {
	case "ar":
		// zero: n = 0; one: n = 1; two: n = 2; few: n % 100 = 3..10;
		// many: n % 100 = 11..99; other: everything else (100–102, 200–202, …).
		switch mod := n % 100; {
		case n == 0:
			return "zero"
		case n == 1:
			return "one"
		case n == 2:
			return "two"
		case mod >= 3 && mod <= 10:
			return "few"
		case mod >= 11 && mod <= 99:
			return "many"
		default:
			return "other"
		}
	default:
		// English: one: i = 1 and v = 0; other: everything else.
		if n == 1 {
			return "one"
		}
		return "other"
	}
}
