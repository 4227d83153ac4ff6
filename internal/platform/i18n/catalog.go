package i18n

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// keyPattern is the shape of a catalogue key: lower-case, at least one dot, so every
// key sits in a namespace ("nav.returnees", "error.required").
var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// parseCatalog decodes a catalogue token by token rather than into a map, because
// encoding/json silently keeps the last of two duplicated keys, and a duplicate (say,
// from a merge) would hide one of two translations.
func parseCatalog(data []byte) (catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	c := catalog{}
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		if _, dup := c[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		switch v := tok.(type) {
		case string:
			c[key] = message{text: v}
		case json.Delim:
			if v != '{' {
				return nil, fmt.Errorf("key %q: want a string or an object of plural forms", key)
			}
			forms := map[string]string{}
			for dec.More() {
				cat, err := stringToken(dec)
				if err != nil {
					return nil, fmt.Errorf("key %q: %w", key, err)
				}
				if _, dup := forms[cat]; dup {
					return nil, fmt.Errorf("key %q: duplicate plural form %q", key, cat)
				}
				text, err := stringToken(dec)
				if err != nil {
					return nil, fmt.Errorf("key %q form %q: %w", key, cat, err)
				}
				forms[cat] = text
			}
			if err := expectDelim(dec, '}'); err != nil {
				return nil, fmt.Errorf("key %q: %w", key, err)
			}
			c[key] = message{plural: forms}
		default:
			return nil, fmt.Errorf("key %q: want a string or an object of plural forms", key)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the catalogue object")
	}
	return c, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("want %q, got %v", d, tok)
	}
	return nil
}

func stringToken(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %v", tok)
	}
	return s, nil
}

// placeholderPattern finds every {word} in a text: valid ones are {0}…{99} and {n};
// anything else ({name}, {1a}) is reported as a typo.
var placeholderPattern = regexp.MustCompile(`\{([^{}\s]{1,20})\}`)

// placeholders returns the set of placeholders in texts, and the malformed ones.
func placeholders(texts ...string) (set []string, bad []string) {
	for _, t := range texts {
		for _, m := range placeholderPattern.FindAllStringSubmatch(t, -1) {
			name := m[1]
			if name != "n" && !isIndex(name) {
				bad = append(bad, m[0])
				continue
			}
			if !slices.Contains(set, name) {
				set = append(set, name)
			}
		}
	}
	slices.Sort(set)
	return set, bad
}

// checkCatalog validates one language's catalogue on its own: key names, placeholder
// syntax, and plural forms against the language's CLDR categories.
func checkCatalog(lang string, c catalog) []error {
	var errs []error
	need := pluralCategories[lang]
	for _, key := range sortedKeys(c) {
		m := c[key]
		if !keyPattern.MatchString(key) {
			errs = append(errs, fmt.Errorf("%s: key %q: want lower-case namespaced words like \"nav.returnees\"", lang, key))
		}
		texts := []string{m.text}
		if m.plural != nil {
			texts = texts[:0]
			for _, cat := range need {
				text, ok := m.plural[cat]
				if !ok {
					errs = append(errs, fmt.Errorf("%s: %q: missing plural form %q", lang, key, cat))
				}
				texts = append(texts, text)
			}
			for cat := range m.plural {
				if !slices.Contains(need, cat) {
					errs = append(errs, fmt.Errorf("%s: %q: plural form %q is not a category of this language (want %s)", lang, key, cat, strings.Join(need, ", ")))
				}
			}
			// Some forms rightly omit the count (Arabic "عائد واحد"), but "other"
			// must show it, or large counts would be unreadable.
			if other, ok := m.plural["other"]; ok && !strings.Contains(other, "{n}") {
				errs = append(errs, fmt.Errorf("%s: %q: plural form \"other\" must contain {n}", lang, key))
			}
		}
		for _, t := range texts {
			if strings.TrimSpace(t) == "" {
				errs = append(errs, fmt.Errorf("%s: %q: empty text", lang, key))
				break
			}
		}
		set, bad := placeholders(texts...)
		for _, b := range bad {
			errs = append(errs, fmt.Errorf("%s: %q: malformed placeholder %s (want {0}, {1}… or {n})", lang, key, b))
		}
		if m.plural == nil && slices.Contains(set, "n") {
			errs = append(errs, fmt.Errorf("%s: %q: {n} belongs in plural messages only", lang, key))
		}
		// Positional placeholders must be {0}…{k-1} with none skipped, so every
		// argument a caller passes is shown.
		want := 0
		for _, p := range set {
			if p == "n" {
				continue
			}
			if p != fmt.Sprint(want) {
				errs = append(errs, fmt.Errorf("%s: %q: placeholders must be numbered from {0} without gaps", lang, key))
				break
			}
			want++
		}
	}
	return errs
}

// checkParity checks that every language has exactly the keys of every other, with the
// same kind of message (plain or plural) and the same placeholders.
func checkParity(cats map[string]catalog) []error {
	var errs []error
	base := cats[Default]
	for _, lang := range supported[1:] {
		c := cats[lang]
		for _, key := range sortedKeys(base) {
			if _, ok := c[key]; !ok {
				errs = append(errs, fmt.Errorf("%s: missing key %q (present in %s)", lang, key, Default))
			}
		}
		for _, key := range sortedKeys(c) {
			bm, ok := base[key]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: missing key %q (present in %s)", Default, key, lang))
				continue
			}
			m := c[key]
			if (bm.plural == nil) != (m.plural == nil) {
				errs = append(errs, fmt.Errorf("%q: plural in one language and plain text in another", key))
				continue
			}
			bset, _ := placeholders(append(pluralTexts(bm), bm.text)...)
			set, _ := placeholders(append(pluralTexts(m), m.text)...)
			if !slices.Equal(bset, set) {
				errs = append(errs, fmt.Errorf("%q: placeholders differ: %s has %v, %s has %v", key, Default, bset, lang, set))
			}
		}
	}
	return errs
}

func pluralTexts(m message) []string {
	out := make([]string, 0, len(m.plural))
	for _, t := range m.plural {
		out = append(out, t)
	}
	return out
}

func sortedKeys(c catalog) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
