// Package redact flags what must not be released in a transcript or subtitle track: names and
// places known from the case, and patterns that identify people whatever the language (phone
// numbers, e-mail addresses, street addresses, long ID-like numbers).
//
// It only finds; people decide. Every flag is meant to be resolved by a reviewer (redacted, or
// accepted with a reason), so the matcher leans towards flagging: a false positive costs a
// click, a miss can cost a life.
package redact

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Term is something known from the case that must not be released, such as a relative's name
// or a home town. Kind is carried into the flags ("name", "place", "alias_link", …); the kind
// "place" also matches Arabic adjectives of origin (الموصلي for الموصل).
type Term struct {
	Kind string
	Text string
}

// Kinds of flags raised by the built-in patterns. Flags for known terms carry the term's Kind.
const (
	KindPhone    = "phone"
	KindEmail    = "email"
	KindAddress  = "address"
	KindIDNumber = "id_number"
)

// Kinds of known terms with a meaning here.
const (
	// KindPlace terms also match Arabic adjectives of origin.
	KindPlace = "place"
	// KindTerm is used for a known term given without a kind.
	KindTerm = "term"
)

// Flag is a span of the original text that a reviewer must resolve. Start and End are byte
// offsets into the text given to Find, so text[Start:End] == Match.
type Flag struct {
	Start, End int
	Kind       string
	// Term is the known term's text as given, or "" for a pattern.
	Term  string
	Match string
}

// Find returns the flags in text, sorted by Start and not overlapping: spans that overlap are
// merged into one flag covering both, which keeps the kind and term of the longer one.
//
// Known terms match whole words only ("Ali" is not found in "Alibaba"), after Normalize on both
// sides, across any spacing or punctuation between the words of a multi-word term, and with or
// without the spaces between those words ("Abu Omar" and "Abu-Omar" and "AbuOmar"; "عبد
// الرحمن" and "عبدالرحمن"). There is no transliteration: "Mosul" does not find "الموصل", so a
// case should list a name in each script it is written in. In Arabic the first word of a term
// also matches with the article ال and the clitics و ف ب ل ك in front (والموصل, بالموصل,
// للموصل), later words with ال; the flag then covers the whole written word. A term given with
// ال also matches without it when three letters or more remain. Clitics are only accepted for
// words of three letters or more, so that short names do not match ordinary words ("لي" is
// not found in "ولي"). Pronoun suffixes are not removed (موصلنا is not found).
//
// Patterns: phone numbers of 7 to 15 digits (with "+", spaces, dots, dashes, parentheses; in
// ASCII, Arabic-Indic or Eastern Arabic-Indic digits), ID-like digit runs (9 digits or more
// without separators, or a short letter prefix and digits), e-mail addresses, and street
// addresses with a number (see findAddresses). Thousands groupings ("1 500 000"), dates and
// year ranges are not flagged.
func Find(text string, terms []Term) []Flag {
	return NewMatcher(terms).Find(text)
}

// Matcher holds prepared terms, for scanning many texts (every subtitle track of a clip)
// against the same case. It is safe for concurrent use.
type Matcher struct {
	byFirstCore map[string][]*variant
}

// variant is one way of writing a term as a sequence of words.
type variant struct {
	term   Term
	kind   string
	tokens []token
}

type token struct {
	core    string // normalised word, without a leading ال for Arabic
	arabic  bool
	coreLen int // in runes
}

// maxTermWords bounds the words of a term considered for other spellings; longer terms are
// matched as written and fully joined only, which keeps their number of spellings small.
const maxTermWords = 4

// NewMatcher prepares terms for Find. Terms whose normalised text has fewer than two letters
// or digits are ignored: they would flag everything.
func NewMatcher(terms []Term) *Matcher {
	m := &Matcher{byFirstCore: make(map[string][]*variant)}
	seen := make(map[string]bool)
	for _, t := range terms {
		n := normalizeMapped(t.Text)
		var words []string
		letters := 0
		for _, w := range n.words() {
			words = append(words, n.sub(w.from, w.to))
			letters += w.to - w.from
		}
		if letters < 2 {
			continue
		}
		kind := t.Kind
		if kind == "" {
			kind = KindTerm
		}
		for _, spelling := range spellings(words) {
			key := kind + "\x00" + t.Text + "\x00" + strings.Join(spelling, " ")
			if seen[key] {
				continue
			}
			seen[key] = true
			v := &variant{term: t, kind: kind}
			for _, w := range spelling {
				v.tokens = append(v.tokens, newToken(w))
			}
			first := v.tokens[0].core
			m.byFirstCore[first] = append(m.byFirstCore[first], v)
		}
	}
	return m
}

// spellings returns the word sequences under which a term may be written: as given, with
// adjacent words joined, and with Arabic compound names (عبدالله, ابوبكر) split.
func spellings(words []string) [][]string {
	var out [][]string
	if len(words) <= maxTermWords {
		// Each of the len-1 gaps is either kept or closed.
		for mask := 0; mask < 1<<(len(words)-1); mask++ {
			s := []string{words[0]}
			for i := 1; i < len(words); i++ {
				if mask&(1<<(i-1)) != 0 {
					s[len(s)-1] += words[i]
				} else {
					s = append(s, words[i])
				}
			}
			out = append(out, s)
		}
	} else {
		out = append(out, words, []string{strings.Join(words, "")})
	}
	if len(words) > maxTermWords {
		return out
	}
	for i, w := range words {
		for _, prefix := range arabicCompoundPrefixes {
			if rest, ok := strings.CutPrefix(w, prefix); ok && utf8.RuneCountInString(rest) >= 2 {
				split := slices.Concat(words[:i], []string{prefix, rest}, words[i+1:])
				out = append(out, split)
			}
		}
	}
	return out
}

// arabicCompoundPrefixes begin names that are written both joined and apart (normalised).
var arabicCompoundPrefixes = []string{"عبد", "ابو"}

func newToken(w string) token {
	t := token{core: w}
	r, _ := utf8.DecodeRuneInString(w)
	t.arabic = isArabicLetter(r)
	if rest, ok := strings.CutPrefix(w, "ال"); ok && t.arabic && utf8.RuneCountInString(rest) >= 3 {
		t.core = rest
	}
	t.coreLen = utf8.RuneCountInString(t.core)
	return t
}

// nisbaSuffixes turn a place into an adjective of origin: موصل → موصلي, موصليه, موصليون.
var nisbaSuffixes = []string{"ي", "يه", "يون", "يين"}

// split is a word cut into an Arabic prefix and the rest.
type split struct{ prefix, rest string }

// splitPrefixes appends the ways w can be read as prefix + rest, with a non-empty rest. The
// first word of a term may carry a conjunction (و ف), then a preposition (ب ل ك), then the
// article (ال), all optional; ل followed by ال is written لل. The grammar is walked rather than
// a list of the 24 combinations tried, since this runs for every word of every transcript.
func splitPrefixes(out []split, w string) []split {
	out = append(out, split{"", w})
	if !isArabicWord(w) {
		return out
	}
	conjunctions := [2]string{"", ""}
	if strings.HasPrefix(w, "و") || strings.HasPrefix(w, "ف") {
		conjunctions[1] = w[:len("و")]
	}
	for ci, conj := range conjunctions {
		if ci == 1 && conj == "" {
			break
		}
		afterConj := w[len(conj):]
		prepositions := [2]string{"", ""}
		if strings.HasPrefix(afterConj, "ب") || strings.HasPrefix(afterConj, "ل") || strings.HasPrefix(afterConj, "ك") {
			prepositions[1] = afterConj[:len("ب")]
		}
		for pi, prep := range prepositions {
			if pi == 1 && prep == "" {
				break
			}
			afterPrep := afterConj[len(prep):]
			// Prefixes are sliced from w rather than concatenated: no allocation per word.
			cut := func(rest string) split { return split{w[:len(w)-len(rest)], rest} }
			if conj+prep != "" && afterPrep != "" {
				out = append(out, cut(afterPrep))
			}
			switch {
			case prep == "ل" && strings.HasPrefix(afterPrep, "ل") && len(afterPrep) > len("ل"):
				out = append(out, cut(afterPrep[len("ل"):]))
			case prep != "ل" && strings.HasPrefix(afterPrep, "ال") && len(afterPrep) > len("ال"):
				out = append(out, cut(afterPrep[len("ال"):]))
			}
		}
	}
	return out
}

// matches reports whether the normalised word w is a way of writing t. Later words of a term
// may only carry the article.
func (t token) matches(w string, first, last, place bool) bool {
	if !t.arabic {
		return w == t.core
	}
	var buf [8]split
	var splits []split
	if first {
		splits = splitPrefixes(buf[:0], w)
	} else {
		splits = append(buf[:0], split{"", w})
		if rest, ok := strings.CutPrefix(w, "ال"); ok && rest != "" {
			splits = append(splits, split{"ال", rest})
		}
	}
	for _, sp := range splits {
		if !prefixAllowed(sp.prefix, t.coreLen) {
			continue
		}
		if sp.rest == t.core {
			return true
		}
		if last && place && t.coreLen >= 3 {
			for _, s := range nisbaSuffixes {
				if len(sp.rest) == len(t.core)+len(s) && strings.HasPrefix(sp.rest, t.core) && strings.HasSuffix(sp.rest, s) {
					return true
				}
			}
		}
	}
	return false
}

// prefixAllowed keeps short words from matching behind clitics: "لي" must not be found in
// "ولي". The article alone needs two letters after it, anything else three.
func prefixAllowed(prefix string, coreLen int) bool {
	switch prefix {
	case "":
		return true
	case "ال":
		return coreLen >= 2
	default:
		return coreLen >= 3
	}
}

// Find returns the flags in text; see the package-level Find.
func (m *Matcher) Find(text string) []Flag {
	n := normalizeMapped(text)
	words := n.words()
	var flags []Flag
	flags = m.findTerms(text, n, words, flags)
	flags = findNumbers(text, n, flags)
	flags = findEmails(text, n, flags)
	flags = findAddresses(text, n, words, flags)
	return mergeFlags(text, flags)
}

func (m *Matcher) findTerms(text string, n *normText, words []word, flags []Flag) []Flag {
	if len(m.byFirstCore) == 0 {
		return flags
	}
	var cores []string
	for i, w := range words {
		s := n.sub(w.from, w.to)
		cores = candidateCores(cores[:0], s)
		for c, core := range cores {
			if slices.Contains(cores[:c], core) {
				continue // a variant is indexed under one core: look each up once
			}
			for _, v := range m.byFirstCore[core] {
				if end, ok := v.matchAt(n, words, i); ok {
					flags = append(flags, n.flag(text, w.from, words[end].to, v.kind, v.term.Text))
				}
			}
		}
	}
	return flags
}

// candidateCores appends to out the keys under which the first word of a term could be indexed
// if w is a way of writing it: w itself and, for Arabic, w without prefixes and nisba suffixes.
func candidateCores(out []string, w string) []string {
	if !isArabicWord(w) {
		return append(out, w)
	}
	var buf [8]split
	for _, sp := range splitPrefixes(buf[:0], w) {
		out = append(out, sp.rest)
		for _, s := range nisbaSuffixes {
			if core, ok := strings.CutSuffix(sp.rest, s); ok && core != "" {
				out = append(out, core)
			}
		}
	}
	return out
}

// matchAt reports whether v is written starting at words[i], and the index of its last word.
func (v *variant) matchAt(n *normText, words []word, i int) (int, bool) {
	if i+len(v.tokens) > len(words) {
		return 0, false
	}
	place := v.kind == KindPlace
	for j, t := range v.tokens {
		w := words[i+j]
		if !t.matches(n.sub(w.from, w.to), j == 0, j == len(v.tokens)-1, place) {
			return 0, false
		}
	}
	return i + len(v.tokens) - 1, true
}

// flag builds a Flag for normalised runes [from, to).
func (n *normText) flag(text string, from, to int, kind, term string) Flag {
	start, end := n.start[from], n.end[to-1]
	return Flag{Start: start, End: end, Kind: kind, Term: term, Match: text[start:end]}
}

// mergeFlags sorts flags and merges overlapping ones, keeping the kind and term of the longest.
func mergeFlags(text string, flags []Flag) []Flag {
	if len(flags) == 0 {
		return nil
	}
	slices.SortFunc(flags, func(a, b Flag) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End),
			strings.Compare(a.Kind, b.Kind), strings.Compare(a.Term, b.Term))
	})
	out := flags[:1]
	longest := flags[0].End - flags[0].Start
	for _, f := range flags[1:] {
		last := &out[len(out)-1]
		if f.Start >= last.End {
			out = append(out, f)
			longest = f.End - f.Start
			continue
		}
		// The longer span names the flag; on a tie a known term beats a pattern.
		if f.End-f.Start > longest || f.End-f.Start == longest && last.Term == "" && f.Term != "" {
			last.Kind, last.Term = f.Kind, f.Term
			longest = f.End - f.Start
		}
		last.End = max(last.End, f.End)
		last.Match = text[last.Start:last.End]
	}
	return out
}
