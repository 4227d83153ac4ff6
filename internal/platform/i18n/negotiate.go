package i18n

import (
	"slices"
	"strings"
)

// Bounds on the Accept-Language parser: the header is attacker-controlled, so its
// work must not grow with its size. Real browsers send a handful of entries.
const (
	maxAcceptLanguageBytes   = 4096
	maxAcceptLanguageEntries = 32
)

// LanguagePreference is one entry of an Accept-Language header: a language range
// ("ar-eg", "en", "*"), lower-cased, and its quality from 0 to 1.
type LanguagePreference struct {
	Tag string
	Q   float64
}

// ParseAcceptLanguage parses an Accept-Language header (RFC 9110 §12.5.4) into its
// entries, best first (higher q first, header order among equals). Malformed entries
// are skipped, never fatal. Only the first 4 KiB and the first 32 entries are read,
// so a huge header costs no more than a normal one.
func ParseAcceptLanguage(header string) []LanguagePreference {
	if len(header) > maxAcceptLanguageBytes {
		header = header[:maxAcceptLanguageBytes]
	}
	var out []LanguagePreference
	for entries := 0; header != "" && entries < maxAcceptLanguageEntries; entries++ {
		var entry string
		entry, header, _ = strings.Cut(header, ",")
		if p, ok := parseLanguageEntry(entry); ok {
			out = append(out, p)
		}
	}
	// Stable: among equal qualities the header's order is the user's order.
	slices.SortStableFunc(out, func(a, b LanguagePreference) int {
		switch {
		case a.Q > b.Q:
			return -1
		case a.Q < b.Q:
			return 1
		}
		return 0
	})
	return out
}

// parseLanguageEntry parses `range *( OWS ";" OWS param )`, where the only parameter
// that counts is q.
func parseLanguageEntry(entry string) (LanguagePreference, bool) {
	tag, params, _ := strings.Cut(entry, ";")
	tag = strings.ToLower(strings.TrimSpace(tag))
	if !validRange(tag) {
		return LanguagePreference{}, false
	}
	p := LanguagePreference{Tag: tag, Q: 1}
	for params != "" {
		var param string
		param, params, _ = strings.Cut(params, ";")
		name, value, ok := strings.Cut(strings.TrimSpace(param), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue // an unknown parameter is ignored, as RFC 9110 allows
		}
		q, ok := parseQValue(strings.TrimSpace(value))
		if !ok {
			return LanguagePreference{}, false
		}
		p.Q = q
	}
	return p, true
}

// validRange reports whether s is "*" or 1–8 letters followed by "-"-separated
// subtags of 1–8 letters or digits (RFC 4647 language-range).
func validRange(s string) bool {
	if s == "*" {
		return true
	}
	if s == "" {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for _, c := range []byte(sub) {
			isAlpha := c >= 'a' && c <= 'z'
			isDigit := c >= '0' && c <= '9'
			if !isAlpha && !(isDigit && i > 0) {
				return false
			}
		}
	}
	return true
}

// parseQValue parses `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`
// by hand: strconv.ParseFloat would accept "1e0", "NaN" and "0x1p-2".
func parseQValue(s string) (float64, bool) {
	if s == "" || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	whole := s[0] == '1'
	frac := s[1:]
	if frac != "" {
		if frac[0] != '.' || len(frac) > 4 {
			return 0, false
		}
		frac = frac[1:]
	}
	q, scale := 0, 1000
	for _, c := range []byte(frac) {
		if c < '0' || c > '9' || (whole && c != '0') {
			return 0, false
		}
		scale /= 10
		q += int(c-'0') * scale
	}
	if whole {
		return 1, true
	}
	return float64(q) / 1000, true
}

// normalizeLang reduces a language tag to its primary subtag, lower-cased:
// "ar-EG" and "ar_EG" give "ar".
func normalizeLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

func isSupported(lang string) bool { return slices.Contains(supported, lang) }

// Negotiate chooses the language of a response: the ?lang= query parameter if it names
// a supported language, then the language cookie, then the best supported match of
// the Accept-Language header (by q-value; a region such as "ar-EG" matches "ar", and
// q=0 means "not this one"), and Default when nothing matches.
func Negotiate(queryLang, cookieLang, acceptLanguage string) string {
	for _, l := range []string{queryLang, cookieLang} {
		if l := normalizeLang(l); isSupported(l) {
			return l
		}
	}
	prefs := ParseAcceptLanguage(acceptLanguage)
	for _, p := range prefs {
		if p.Q <= 0 {
			break // sorted: every later entry is refused too
		}
		if l := normalizeLang(p.Tag); isSupported(l) {
			return l
		}
		if p.Tag == "*" {
			// "Anything else": the first supported language the header did not refuse.
			for _, l := range supported {
				if !refused(prefs, l) {
					return l
				}
			}
		}
	}
	return Default
}

// refused reports whether prefs give lang (or a region of it) q=0.
func refused(prefs []LanguagePreference, lang string) bool {
	for _, p := range prefs {
		if p.Q == 0 && normalizeLang(p.Tag) == lang {
			return true
		}
	}
	return false
}
