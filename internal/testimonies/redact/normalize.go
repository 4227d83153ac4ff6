package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds s into the form used for matching, so that the ways a name gets written
// compare equal:
//   - Unicode case folding and compatibility forms (ligatures, full-width letters, Arabic
//     presentation forms) are undone, and diacritics dropped: "Élodie", "ELODIE" → "elodie";
//     ß → ss, æ → ae, œ → oe, ø → o, ł → l, đ → d, ı → i;
//   - Arabic: vowel marks (U+064B–U+065F, U+0670, Quranic marks) and tatweel (U+0640) are
//     removed; أ إ آ ٱ → ا, ى → ي, ة → ه, ؤ → و, ئ → ي, and the Persian forms ک → ك, ی → ي;
//   - Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits become 0-9;
//   - invisible format characters (bidi marks, zero-width joiners, soft hyphens) are removed.
//
// Spacing and punctuation are kept as they are, and Arabic prefixes such as ال are not
// removed: that is a matching decision (see Find), not a normalisation.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var buf [8]rune
	for _, r := range s {
		for _, f := range foldRune(buf[:0], r) {
			b.WriteRune(f)
		}
	}
	return b.String()
}

// normText is a normalised text with, for each normalised rune, the span of original bytes it
// came from, so that matches found in the normalised form can be reported in the original.
type normText struct {
	s     string // normalised text
	runes []rune
	at    []int // byte offset in s of each rune, plus len(s)
	start []int // original span of each rune
	end   []int
}

func normalizeMapped(text string) *normText {
	capacity := utf8.RuneCountInString(text) + 8 // a few runes more for ligatures and ß
	n := &normText{
		runes: make([]rune, 0, capacity),
		start: make([]int, 0, capacity),
		end:   make([]int, 0, capacity),
	}
	var buf [8]rune
	for i, r := range text {
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, size = utf8.DecodeRuneInString(text[i:])
		}
		folded := foldRune(buf[:0], r)
		if len(folded) == 0 {
			// A dropped mark belongs to the letter before it, so that a flag covering the
			// letter also covers its vowel marks.
			if k := len(n.end); k > 0 {
				n.end[k-1] = i + size
			}
			continue
		}
		for _, f := range folded {
			n.runes = append(n.runes, f)
			n.start = append(n.start, i)
			n.end = append(n.end, i+size)
		}
	}
	n.at = make([]int, len(n.runes)+1)
	var b strings.Builder
	b.Grow(len(n.runes) * 2)
	for i, r := range n.runes {
		n.at[i] = b.Len()
		b.WriteRune(r)
	}
	n.at[len(n.runes)] = b.Len()
	n.s = b.String()
	return n
}

// sub returns the normalised text of runes [from, to).
func (n *normText) sub(from, to int) string { return n.s[n.at[from]:n.at[to]] }

// foldRune appends the normalised form of r to dst: usually one rune, none for marks and
// invisible characters, several for ligatures and ß.
func foldRune(dst []rune, r rune) []rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, r)
	case r >= 0x0600 && r <= 0x06FF:
		return foldArabic(dst, r)
	case r == 0x200C || r == 0x200D || r == 0x00AD || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r):
		return dst
	}
	switch r {
	case 'ß', 'ẞ':
		return append(dst, 's', 's')
	case 'æ', 'Æ':
		return append(dst, 'a', 'e')
	case 'œ', 'Œ':
		return append(dst, 'o', 'e')
	case 'ø', 'Ø':
		return append(dst, 'o')
	case 'ł', 'Ł':
		return append(dst, 'l')
	case 'đ', 'Đ':
		return append(dst, 'd')
	case 'ı':
		return append(dst, 'i')
	}
	var enc [utf8.UTFMax]byte
	k := utf8.EncodeRune(enc[:], r)
	decomposed := norm.NFKD.Properties(enc[:k]).Decomposition()
	if decomposed == nil {
		return append(dst, caseFold(r))
	}
	for len(decomposed) > 0 {
		d, size := utf8.DecodeRune(decomposed)
		decomposed = decomposed[size:]
		if d == r {
			dst = append(dst, caseFold(d))
			continue
		}
		// Presentation forms decompose to Arabic letters that need their own folding.
		dst = foldRune(dst, d)
	}
	return dst
}

// caseFold maps r to a caseless form; going through upper case folds final sigma and the long s.
func caseFold(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }

func foldArabic(dst []rune, r rune) []rune {
	switch {
	case r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640, // harakat, superscript alef, tatweel
		r >= 0x0610 && r <= 0x061A, r == 0x061C, // honorific marks, Arabic letter mark
		r >= 0x06D6 && r <= 0x06ED: // Quranic annotation marks
		return dst
	case r >= 0x0660 && r <= 0x0669:
		return append(dst, '0'+r-0x0660)
	case r >= 0x06F0 && r <= 0x06F9:
		return append(dst, '0'+r-0x06F0)
	}
	switch r {
	case 'أ', 'إ', 'آ', 'ٱ':
		r = 'ا'
	case 'ى', 'ی', 'ئ':
		r = 'ي'
	case 'ة', 'ۀ', 'ہ', 'ۃ':
		r = 'ه'
	case 'ؤ':
		r = 'و'
	case 'ک':
		r = 'ك'
	}
	return append(dst, r)
}

// isWordRune reports whether r (already normalised) is part of a word.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z'
	}
	if r >= 0x0621 && r <= 0x064A { // the Arabic alphabet, the common case after ASCII
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func isArabicLetter(r rune) bool { return r >= 0x0620 && r <= 0x06FF }

// word is a run of word runes [from, to) in a normText.
type word struct{ from, to int }

func (n *normText) words() []word {
	var ws []word
	inWord := false
	for i, r := range n.runes {
		switch w := isWordRune(r); {
		case w && !inWord:
			ws = append(ws, word{from: i})
			inWord = true
		case !w && inWord:
			ws[len(ws)-1].to = i
			inWord = false
		}
	}
	if inWord {
		ws[len(ws)-1].to = len(n.runes)
	}
	return ws
}
