package redact

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Élodie ÇA", "elodie ca"},
		{"Straße Œuvre Ærø Łódź", "strasse oeuvre aero lodz"},
		{"ΣΟΦΟΣ σοφος", "σοφοσ σοφοσ"},
		{"ﬁne Ｆｕｌｌ", "fine full"},
		{"e\u0301te\u0301", "ete"}, // combining accents
		{"الْمَوْصِل", "الموصل"},
		{"المـــوصل", "الموصل"},
		{"أحمد إبراهيم آمنة ٱلله", "احمد ابراهيم امنه الله"},
		{"مصطفى فاطمة", "مصطفي فاطمه"},
		{"ﻻ ﺍﻟﻤﻮﺻﻞ", "لا الموصل"}, // presentation forms
		{"کریم", "كريم"},          // Persian kaf and yeh
		{"٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹", "0123456789 0123456789"},
		{"a\u200Fb\u200Dc\u00ADd", "abcd"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// caseTerms are what a case file might hold.
var caseTerms = []Term{
	{Kind: "name", Text: "Ali Hassan"},
	{Kind: "name", Text: "Élodie"},
	{Kind: "place", Text: "Mossoul"},
	{Kind: "place", Text: "موصل"},
	{Kind: "name", Text: "عبد الرحمن"},
	{Kind: "name", Text: "أبو بكر"},
	{Kind: "name", Text: "فاطمة"},
	{Kind: "alias_link", Text: "Abu Omar al-Iraqi"},
	{Kind: "place", Text: "الرمادي"},
	{Kind: "name", Text: "لي"}, // too short for clitics
}

func TestFindTerms(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		matches []string // Match of each flag, in order
		kinds   []string
	}{
		{"english case and spacing", "Then ALI   hassan came; ali\nHassan left.", []string{"ALI   hassan", "ali\nHassan"}, []string{"name", "name"}},
		{"whole words only", "Alibaba and Ali-Hassanein, Hassan Ali", nil, nil},
		{"possessive", "Ali Hassan's brother", []string{"Ali Hassan"}, []string{"name"}},
		{"french accents", "J'ai vu Elodie et ÉLODIE à Mossoul, d'Élodie.", []string{"Elodie", "ÉLODIE", "Mossoul", "Élodie"}, []string{"name", "name", "place", "name"}},
		{"hyphenated alias", "he was Abu-Omar Al-Iraqi then", []string{"Abu-Omar Al-Iraqi"}, []string{"alias_link"}},
		{"joined latin alias", "AbuOmar al Iraqi", []string{"AbuOmar al Iraqi"}, []string{"alias_link"}},
		{"no transliteration", "Mosul and الموصل", []string{"الموصل"}, []string{"place"}},
		{"arabic bare", "كنت في موصل", []string{"موصل"}, []string{"place"}},
		{"arabic article and vowels", "كنت في الْمَوْصِلِ عام", []string{"الْمَوْصِلِ"}, []string{"place"}},
		{"arabic clitics", "والموصل وبالموصل للموصل فالموصل كالموصل", []string{"والموصل", "وبالموصل", "للموصل", "فالموصل", "كالموصل"}, []string{"place", "place", "place", "place", "place"}},
		{"arabic tatweel", "في المـــوصل", []string{"المـــوصل"}, []string{"place"}},
		{"arabic nisba of a place", "ابو محمد الموصلي والموصلية", []string{"الموصلي", "والموصلية"}, []string{"place", "place"}},
		{"arabic not inside a longer word", "موصلات كهربائية", nil, nil},
		{"term with article found without", "من رمادي ومن الرمادي", []string{"رمادي", "الرمادي"}, []string{"place", "place"}},
		{"compound name joined and apart", "عبد الرحمن وعبدالرحمن وعبدُ الرَّحمن", []string{"عبد الرحمن", "وعبدالرحمن", "وعبدُ الرَّحمن"}, []string{"name", "name", "name"}},
		{"alef and ta marbuta variants", "ابو بكر و أبوبكر وفاطمه و فاطمة", []string{"ابو بكر", "أبوبكر", "وفاطمه", "فاطمة"}, []string{"name", "name", "name", "name"}},
		{"short term without clitics", "قال لي ولي الأمر", []string{"لي"}, []string{"name"}},
		{"ordinary arabic words", "ذهبنا إلى السوق ثم عدنا إلى البيت", nil, nil},
		{"ordinary english words", "We left the city at night and walked south.", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags := Find(tt.text, caseTerms)
			checkFlags(t, tt.text, flags)
			var matches, kinds []string
			for _, f := range flags {
				matches = append(matches, f.Match)
				kinds = append(kinds, f.Kind)
			}
			if !reflect.DeepEqual(matches, tt.matches) || !reflect.DeepEqual(kinds, tt.kinds) {
				t.Errorf("Find(%q)\n got %q %q\nwant %q %q", tt.text, matches, kinds, tt.matches, tt.kinds)
			}
		})
	}
}

func TestFindTermKeepsTermText(t *testing.T) {
	flags := Find("وصلنا إلى الْمَوْصِل", []Term{{Kind: "place", Text: "موصل"}, {Text: "x"}})
	if len(flags) != 1 || flags[0].Term != "موصل" || flags[0].Kind != "place" {
		t.Fatalf("got %+v", flags)
	}
	flags = Find("Omar Omar", []Term{{Text: "omar"}})
	if len(flags) != 2 || flags[0].Kind != KindTerm {
		t.Fatalf("got %+v", flags)
	}
}

func TestFindPatterns(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		matches []string
		kinds   []string
	}{
		{"international phone", "call +964 770 123 4567 now", []string{"+964 770 123 4567"}, []string{KindPhone}},
		{"phone with 00 and dashes", "tel 00964-770-123-4567.", []string{"00964-770-123-4567"}, []string{KindPhone}},
		{"local phone with parentheses", "(0770) 123-4567", []string{"(0770) 123-4567"}, []string{KindPhone}},
		{"french phone", "au 06 12 34 56 78 merci", []string{"06 12 34 56 78"}, []string{KindPhone}},
		{"arabic-indic phone", "رقمه ٠٧٧٠١٢٣٤٥٦٧ في الموصل", []string{"٠٧٧٠١٢٣٤٥٦٧"}, []string{KindPhone}},
		{"eastern arabic-indic phone", "شماره ۰۹۱۲ ۳۴۵ ۶۷۸۹", []string{"۰۹۱۲ ۳۴۵ ۶۷۸۹"}, []string{KindPhone}},
		{"mixed scripts", "+٩٦٤ 770 ١٢٣ 4567", []string{"+٩٦٤ 770 ١٢٣ 4567"}, []string{KindPhone}},
		{"national id", "card 199012345678 issued", []string{"199012345678"}, []string{KindIDNumber}},
		{"passport", "passport A12345678.", []string{"A12345678"}, []string{KindIDNumber}},
		{"short numbers are not phones", "in 2014 we were 300 men, 12/05/2016 at 10:30", nil, nil},
		{"amounts and dates", "1 500 000 dinars, 2.000.000, on 12.05.2016 and 2016-05-12, 2014-2015", nil, nil},
		{"email", "write to Ahmed.K+news@mail.example.org.", []string{"Ahmed.K+news@mail.example.org"}, []string{KindEmail}},
		{"not email", "at @ night, a@b, x@y.z", nil, nil},
		{"english address", "he lived at 221B Baker Street in town", []string{"221B Baker Street"}, []string{KindAddress}},
		{"french address", "au 12, rue de la Paix, Paris", []string{"12, rue de la Paix"}, []string{KindAddress}},
		{"french address bis", "12 bis avenue Foch.", []string{"12 bis avenue Foch"}, []string{KindAddress}},
		{"street then number", "Street 52, Baghdad", []string{"Street 52"}, []string{KindAddress}},
		{"arabic address chain", "بيتنا في محلة ٥١٢ زقاق ٧ دار ٢٣ قرب الجامع", []string{"محلة ٥١٢ زقاق ٧ دار ٢٣"}, []string{KindAddress}},
		{"arabic street with clitic and raqm", "سكنا بشارع رقم 14 سنتين", []string{"بشارع رقم 14"}, []string{KindAddress}},
		{"arabic landmark without number", "في شارع الرشيد وحي الجامعة", nil, nil},
		{"arabic counting houses", "هدموا 100 بيت في القرية", nil, nil},
		{"english not an address", "we walked 2 days on the road", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags := Find(tt.text, nil)
			checkFlags(t, tt.text, flags)
			var matches, kinds []string
			for _, f := range flags {
				matches = append(matches, f.Match)
				kinds = append(kinds, f.Kind)
			}
			if !reflect.DeepEqual(matches, tt.matches) || !reflect.DeepEqual(kinds, tt.kinds) {
				t.Errorf("Find(%q)\n got %q %q\nwant %q %q", tt.text, matches, kinds, tt.matches, tt.kinds)
			}
		})
	}
}

func TestOverlappingFlagsMerge(t *testing.T) {
	terms := []Term{{Kind: "name", Text: "Omar"}, {Kind: "alias_link", Text: "Abu Omar"}, {Kind: "name", Text: "Omar Khalid"}}
	text := "I met Abu Omar Khalid there"
	flags := Find(text, terms)
	checkFlags(t, text, flags)
	if len(flags) != 1 || flags[0].Match != "Abu Omar Khalid" {
		t.Fatalf("got %+v, want one merged flag over the three names", flags)
	}
	if flags[0].Term != "Abu Omar" && flags[0].Term != "Omar Khalid" {
		t.Errorf("merged flag names %q, want one of the longest terms", flags[0].Term)
	}
	// A known phone number is reported as the known term, not as a bare pattern.
	flags = Find("0770 123 4567", []Term{{Kind: "phone_known", Text: "07701234567"}, {Kind: "phone_known", Text: "0770 123 4567"}})
	if len(flags) != 1 || flags[0].Kind != "phone_known" {
		t.Errorf("got %+v", flags)
	}
}

// checkFlags asserts the invariants every result must keep.
func checkFlags(t *testing.T, text string, flags []Flag) {
	t.Helper()
	for i, f := range flags {
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			t.Fatalf("flag %d: bad span [%d,%d) in %d bytes", i, f.Start, f.End, len(text))
		}
		if text[f.Start:f.End] != f.Match {
			t.Fatalf("flag %d: text[%d:%d] = %q, Match = %q", i, f.Start, f.End, text[f.Start:f.End], f.Match)
		}
		if utf8.ValidString(text) && (!utf8.RuneStart(text[f.Start]) || f.End < len(text) && !utf8.RuneStart(text[f.End])) {
			t.Fatalf("flag %d: [%d,%d) splits a character", i, f.Start, f.End)
		}
		if f.Kind == "" {
			t.Fatalf("flag %d: no kind", i)
		}
		if i > 0 && f.Start < flags[i-1].End {
			t.Fatalf("flags %d and %d overlap or are unsorted: %+v %+v", i-1, i, flags[i-1], f)
		}
	}
}

// TestFindOffsetsProperty plants known names, written in varied ways, into random text and
// checks that each is found and that every flag slices the original text to its Match.
func TestFindOffsetsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fillers := []string{"the", "and", "قال", "في", "ثم", "et", "le", "٢٠١٤", "—", "،", "\u200F", "\n", "Élan", "ذهبنا", "x"}
	written := []string{"الْمَوْصِل", "والموصل", "بالمـوصل", "Ali  Hassan", "ÉLODIE", "عبدالرحمن", "فاطمةُ", "أبو\tبكر"}
	marks := []string{"", "\u064E", "\u0650", "\u0651", "\u0652"}
	for iter := 0; iter < 300; iter++ {
		var b strings.Builder
		var planted [][2]int
		for k := 0; k < 40; k++ {
			if rng.IntN(5) == 0 {
				start := b.Len()
				w := written[rng.IntN(len(written))]
				// Sprinkle vowel marks after Arabic letters.
				for _, r := range w {
					b.WriteRune(r)
					if isArabicLetter(r) {
						b.WriteString(marks[rng.IntN(len(marks))])
					}
				}
				planted = append(planted, [2]int{start, b.Len()})
			} else {
				b.WriteString(fillers[rng.IntN(len(fillers))])
			}
			b.WriteString([]string{" ", "  ", ", ", " (", ") "}[rng.IntN(5)])
		}
		text := b.String()
		flags := Find(text, caseTerms)
		checkFlags(t, text, flags)
		for _, p := range planted {
			covered := slices.ContainsFunc(flags, func(f Flag) bool { return f.Start <= p[0] && p[1] <= f.End })
			if !covered {
				t.Fatalf("planted %q at %v not covered by any flag in %q: %+v", text[p[0]:p[1]], p, text, flags)
			}
		}
	}
}

func TestFindInvalidUTF8(t *testing.T) {
	text := "Ali\xff Hassan \xffموصل\xc3"
	flags := Find(text, caseTerms)
	checkFlags(t, text, flags)
	if len(flags) != 2 {
		t.Errorf("got %+v", flags)
	}
}

func FuzzFind(f *testing.F) {
	f.Add("Ali Hassan at 221B Baker Street, +964 770 123 4567", "Ali Hassan")
	f.Add("والْمَوْصِل الموصلي ٠٧٧٠١٢٣٤٥٦٧ a@b.co", "الموصل")
	f.Add("محلة 512 زقاق 7 دار 23 عبدالرحمن", "عبد الرحمن")
	f.Add("12 bis rue de la Paix ß ﬁ", "STRASSE")
	f.Add("\xff\u064e\u0640+ (+", "ابو بكر")
	f.Fuzz(func(t *testing.T, text, term string) {
		terms := []Term{{Kind: KindPlace, Text: term}, {Kind: "name", Text: term + " x"}}
		flags := Find(text, terms)
		checkFlags(t, text, flags)
		// Normalisation must be stable: normalising twice changes nothing.
		if n := Normalize(text); Normalize(n) != n {
			t.Fatalf("Normalize not idempotent on %q", text)
		}
	})
}

// benchmarkTranscript builds about 60 KB of mixed Arabic and English speech, the size of an
// hour of transcript.
func benchmarkTranscript() string {
	sentences := []string{
		"كُنّا في المدينة عندما دخلوا، وقالوا لنا إن الجهاد واجب على كل مسلم.",
		"لم يكن هناك طعام كافٍ، وكان الأمراء يأخذون أفضل البيوت والسيارات لأنفسهم.",
		"We were told that we were fighting for God, but the commanders were stealing.",
		"Mon frère est resté là-bas pendant deux ans, puis il est parti vers le nord.",
		"رأيت بعيني كيف قتلوا الناس في الساحة، وكان ذلك في عام ٢٠١٥.",
		"Then Abu Omar called me on 0770 123 4567 and told me to come back to the house.",
	}
	var b strings.Builder
	for i := 0; b.Len() < 60_000; i++ {
		b.WriteString(sentences[i%len(sentences)])
		b.WriteByte(' ')
	}
	return b.String()
}

func benchmarkTerms() []Term {
	var terms []Term
	names := []string{"أحمد", "محمد الحسن", "فاطمة", "عبد الله", "الموصل", "الرمادي", "Ali Hassan", "Élodie Martin", "Abu Omar al-Iraqi", "Tal Afar"}
	for i := 0; i < 50; i++ {
		terms = append(terms, Term{Kind: "name", Text: fmt.Sprintf("%s %d", names[i%len(names)], i)})
	}
	for i, n := range names {
		terms[i] = Term{Kind: "name", Text: n}
	}
	return terms
}

func BenchmarkFind(b *testing.B) {
	text := benchmarkTranscript()
	terms := benchmarkTerms()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Find(text, terms)
	}
}

func TestNoFalsePositivesInOrdinarySpeech(t *testing.T) {
	text := benchmarkTranscript()
	for _, f := range Find(text, caseTerms) {
		if f.Match != "0770 123 4567" {
			t.Errorf("unexpected flag %+v", f)
		}
	}
}

func TestBenchmarkInputsFindSomething(t *testing.T) {
	flags := Find(benchmarkTranscript(), benchmarkTerms())
	if len(flags) < 10 {
		t.Fatalf("benchmark text raised only %d flags; it would not exercise matching", len(flags))
	}
}
