package redact

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Digit sequences: phone numbers are 7 to 15 digits (E.164 allows 15), possibly after "+" and
// in groups separated by spaces, dots, dashes or parentheses; longer or unseparated runs that
// do not look like phone numbers are flagged as ID numbers (an Iraqi national card number has
// 12 digits, a Syrian national number 11).
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
	minIDDigits    = 9
)

// isPhoneSeparator reports whether r may sit between digit groups of a phone number.
func isPhoneSeparator(r rune) bool {
	switch r {
	case ' ', '\u00A0', '\u202F', '-', '.', '(', ')', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212':
		return true
	}
	return false
}

// findNumbers flags phone numbers and ID-like digit runs, in any of the three digit scripts
// (Normalize has turned them into ASCII digits).
func findNumbers(text string, n *normText, flags []Flag) []Flag {
	rs := n.runes
	for i := 0; i < len(rs); {
		if !isDigit(rs[i]) {
			i++
			continue
		}
		from := i
		plus := false
		// "+964", "(+964)", "+ 964"
		for k := i - 1; k >= 0 && k >= i-2; k-- {
			if rs[k] == '+' {
				plus = true
				from = k
				break
			}
			if rs[k] != '(' && rs[k] != ' ' {
				break
			}
		}
		// Letters stuck to the digits ("A12345678") are part of a passport-like code.
		lettered := false
		for from > 0 && from > i-3 && rs[from-1] < utf8.RuneSelf && unicode.IsLetter(rs[from-1]) && !plus {
			from--
			lettered = true
		}
		if lettered && from > 0 && isWordRune(rs[from-1]) {
			from, lettered = i, false // the digits end a longer word: not a code prefix
		}
		var groups []int
		j := i
		for {
			start := j
			for j < len(rs) && isDigit(rs[j]) {
				j++
			}
			groups = append(groups, j-start)
			// Up to two separators, then more digits, continue the number.
			k := j
			for k < len(rs) && k < j+2 && isPhoneSeparator(rs[k]) {
				k++
			}
			if k == j || k >= len(rs) || !isDigit(rs[k]) {
				break
			}
			j = k
		}
		end := j
		if from > 0 && rs[from-1] == '(' && slices.Contains(rs[from:end], ')') {
			from-- // "(0770) 123-4567"
		}
		if kind := classifyNumber(rs, i, groups, plus, lettered); kind != "" {
			flags = append(flags, n.flag(text, from, end, kind, ""))
		}
		i = j
	}
	return flags
}

func classifyNumber(rs []rune, first int, groups []int, plus, lettered bool) string {
	total := 0
	for _, g := range groups {
		total += g
	}
	switch {
	case total < minPhoneDigits:
		return ""
	case lettered:
		return KindIDNumber
	case plus || rs[first] == '0':
		if total <= maxPhoneDigits {
			return KindPhone
		}
		return KindIDNumber
	case len(groups) == 1 && total >= minIDDigits:
		return KindIDNumber
	case looksLikeAmount(groups) || looksLikeDate(groups) || looksLikeYearRange(rs[first:], groups):
		return ""
	case total <= maxPhoneDigits:
		return KindPhone
	}
	return KindIDNumber
}

// looksLikeAmount recognises thousands grouping ("1 500 000", "2.000.000").
func looksLikeAmount(groups []int) bool {
	if len(groups) < 2 || groups[0] > 3 {
		return false
	}
	for _, g := range groups[1:] {
		if g != 3 {
			return false
		}
	}
	return true
}

// looksLikeDate recognises "12.05.2016" and "2016-05-12".
func looksLikeDate(groups []int) bool {
	if len(groups) != 3 {
		return false
	}
	return groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4 ||
		groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2
}

// looksLikeYearRange recognises "2014-2015" and "1990 2003".
func looksLikeYearRange(rs []rune, groups []int) bool {
	if len(groups) != 2 || groups[0] != 4 || groups[1] != 4 {
		return false
	}
	second := 4
	for !isDigit(rs[second]) {
		second++
	}
	isYear := func(d []rune) bool { return d[0] == '1' && d[1] == '9' || d[0] == '2' && d[1] == '0' }
	return isYear(rs) && isYear(rs[second:])
}

// findEmails flags e-mail addresses: a local part, "@", and a domain with a dot and a
// top-level label of at least two letters.
func findEmails(text string, n *normText, flags []Flag) []Flag {
	rs := n.runes
	for at, r := range rs {
		if r != '@' {
			continue
		}
		from := at
		for from > 0 && isEmailLocalRune(rs[from-1]) {
			from--
		}
		for from < at && rs[from] == '.' {
			from++
		}
		if from == at {
			continue
		}
		end := at + 1
		lastDot := -1
		for end < len(rs) && (isWordRune(rs[end]) || rs[end] == '-' || rs[end] == '.') {
			if rs[end] == '.' {
				if end+1 >= len(rs) || !isWordRune(rs[end+1]) {
					break
				}
				lastDot = end
			}
			end++
		}
		if lastDot < 0 || end-lastDot-1 < 2 {
			continue
		}
		tldLetters := true
		for _, t := range rs[lastDot+1 : end] {
			if !unicode.IsLetter(t) {
				tldLetters = false
			}
		}
		if tldLetters {
			flags = append(flags, n.flag(text, from, end, KindEmail, ""))
		}
	}
	return flags
}

func isEmailLocalRune(r rune) bool {
	return isWordRune(r) || strings.ContainsRune("._%+-", r)
}

// Street words, normalised. Those where the name follows the word (French, Arabic) extend the
// flag over the next words; English ones end it.
var (
	streetWordsNameAfter = setOf("rue", "avenue", "av", "boulevard", "bd", "blvd", "chemin", "allee",
		"impasse", "quai", "route", "place", "cours", "ruelle", "passage",
		"شارع", "زقاق", "محله", "حي", "طريق", "ساحه", "دار", "بنايه", "عماره", "شقه", "منزل", "بيت", "مجمع")
	streetWordsNameBefore = setOf("street", "st", "road", "rd", "lane", "ln", "drive", "square", "sq",
		"close", "crescent", "terrace")
	// numberWords may sit between a street word and its number: "زقاق رقم 7", "Street No. 52".
	numberWords = setOf("رقم", "no", "n", "number", "numero", "num")
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// maxNameWordsAfterStreet bounds how far a French or Arabic address flag extends after the
// street word ("12 rue de la Paix").
const maxNameWordsAfterStreet = 3

// findAddresses flags street addresses: a house number with a street word ("12 rue X",
// "221B Baker Street", "14 شارع"), or a street word with a number ("شارع 14", "محلة 512 زقاق
// 7 دار 23", "Street 52"). A street name without a number is not flagged: "شارع الرشيد" is a
// landmark, not an address, and "حي" also means "alive".
func findAddresses(text string, n *normText, words []word, flags []Flag) []Flag {
	str := func(i int) string { return n.sub(words[i].from, words[i].to) }
	var splits []split
	isStreet := func(i int) (nameAfter, ok bool) {
		s := str(i)
		if streetWordsNameBefore[s] {
			return false, true
		}
		// Arabic street words take clitics: "بشارع", "والشارع".
		splits = splitPrefixes(splits[:0], s)
		for _, sp := range splits {
			if streetWordsNameAfter[sp.rest] {
				return true, true
			}
		}
		return false, false
	}
	isHouseNumber := func(i int) bool {
		s := str(i)
		digits := 0
		for digits < len(s) && isDigit(rune(s[digits])) {
			digits++
		}
		return digits > 0 && digits <= 5 && len(s)-digits <= 3
	}
	// sameClause reports whether only spaces separate words i and i+1.
	sameClause := func(i int) bool {
		for _, r := range n.runes[words[i].to:words[i+1].from] {
			if r != ' ' && r != '\u00A0' && r != '-' && r != '\'' && r != '’' {
				return false
			}
		}
		return true
	}
	// streetThenNumber returns the index of the number word if a street word at i is followed
	// by one.
	streetThenNumber := func(i int) (int, bool) {
		j := i + 1
		if j < len(words) && numberWords[str(j)] {
			j++
		}
		if j >= len(words) || !isHouseNumber(j) {
			return 0, false
		}
		_, ok := isStreet(i)
		return j, ok
	}
	for i := 0; i < len(words); i++ {
		start, end := -1, -1
		if num, ok := streetThenNumber(i); ok {
			start, end = i, num
		} else if isHouseNumber(i) {
			j := i + 1
			if j < len(words) && (str(j) == "bis" || str(j) == "ter") {
				j++
			}
			if j < len(words) {
				// Number first is how French and English write addresses; in Arabic a number
				// before a street word counts things ("100 بيت" is a hundred houses).
				if nameAfter, ok := isStreet(j); ok && !isArabicWord(str(j)) {
					start, end = i, j
					for k := 0; nameAfter && k < maxNameWordsAfterStreet && end+1 < len(words) && sameClause(end); k++ {
						end++
					}
				} else {
					// English order: number, capitalised name words, street word.
					for k := j; k < len(words) && k < j+3; k++ {
						if nameAfter, ok := isStreet(k); ok && !nameAfter {
							start, end = i, k
							break
						}
						if !startsUpper(text, n, words[k]) {
							break
						}
					}
				}
			}
		}
		if start < 0 {
			continue
		}
		// "محلة 512 زقاق 7 دار 23": keep going while street-and-number pairs follow.
		for end+1 < len(words) {
			num, ok := streetThenNumber(end + 1)
			if !ok {
				break
			}
			end = num
		}
		flags = append(flags, n.flag(text, words[start].from, words[end].to, KindAddress, ""))
		i = end
	}
	return flags
}

func isArabicWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return isArabicLetter(r)
}

// startsUpper reports whether the original text of w begins with an upper-case letter or a
// digit, which is how English street names are written.
func startsUpper(text string, n *normText, w word) bool {
	r, _ := utf8.DecodeRuneInString(text[n.start[w.from]:])
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}
