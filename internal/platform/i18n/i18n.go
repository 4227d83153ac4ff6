// Package i18n holds the user-interface text of Inoculate in every supported language
// (English and Arabic) and the rules to use it: catalogue lookup with positional
// placeholders, CLDR plural categories, dates with localised month names, and
// language negotiation from the query, a cookie and Accept-Language.
//
// The catalogues are embedded JSON files (catalog/<lang>.json), flat maps from a
// namespaced key ("nav.returnees") to either a string or an object of plural forms
// keyed by CLDR category ("one", "other", …). Placeholders are positional, {0}, {1}…,
// and plural messages use {n} for the count. Load validates them all at start-up, so
// a missing translation, a dropped placeholder or a missing plural form stops the
// server before it serves a page with the wrong words.
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed catalog/*.json
var catalogFS embed.FS

// Default is the language used when nothing better is known, and the fallback text
// for a key missing in another language.
const Default = "en"

// supported lists the languages with a catalogue, Default first.
var supported = []string{"en", "ar"}

// rtl marks the languages written right to left.
var rtl = map[string]bool{"ar": true}

// Supported returns the codes of the supported languages ("en", "ar"), Default first.
func Supported() []string { return slices.Clone(supported) }

// Key is a catalogue key passed as an argument: T and N translate it in the
// localizer's language before substituting it, so an error such as "{0} is required."
// can name its field in the reader's language (T("error.required", Key("returnees.alias"))).
type Key string

// message is one catalogue entry: a plain text, or plural forms by category.
type message struct {
	text   string
	plural map[string]string // nil for a plain text
}

// catalog is one language's messages.
type catalog map[string]message

// Bundle is the set of validated catalogues. It is safe for concurrent use.
type Bundle struct {
	cats map[string]catalog

	mu      sync.Mutex
	missing map[string]struct{} // "lang:key" looked up but absent, for tests
}

// maxMissing bounds the record of missing keys: keys come from code, but a bug
// building keys from input must not grow memory without limit.
const maxMissing = 1000

// Load reads and validates the embedded catalogues. It fails when a catalogue is not
// well-formed JSON, has a badly named or duplicated key, when a key of one language
// is missing in another, when placeholders differ between languages, or when a plural
// message lacks a category its language needs (or has one it does not know).
//
// Each fragment adds a capability's own messages: its fsys holds "i18n.<lang>.json"
// for every supported language. A key defined twice, in the shared catalogues or in
// two fragments, is an error: each message has one home.
func Load(fragments ...Fragment) (*Bundle, error) { return loadFS(catalogFS, "catalog", fragments...) }

// Fragment is a capability's catalogue files.
type Fragment struct {
	Name string // the capability, for error messages
	FS   fs.FS  // holds i18n.en.json, i18n.ar.json…
}

// loadFS loads "<dir>/<lang>.json" for every supported language from fsys, then the
// fragments.
func loadFS(fsys fs.FS, dir string, fragments ...Fragment) (*Bundle, error) {
	cats := make(map[string]catalog, len(supported))
	var errs []error
	for _, lang := range supported {
		name := dir + "/" + lang + ".json"
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: read %s: %w", name, err)
		}
		c, err := parseCatalog(data)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		from := map[string]string{}
		for _, f := range fragments {
			fname := "i18n." + lang + ".json"
			fdata, err := fs.ReadFile(f.FS, fname)
			if err != nil {
				return nil, fmt.Errorf("i18n: %s: read %s: %w", f.Name, fname, err)
			}
			fc, err := parseCatalog(fdata)
			if err != nil {
				return nil, fmt.Errorf("i18n: %s/%s: %w", f.Name, fname, err)
			}
			for k, m := range fc {
				if _, dup := c[k]; dup {
					where := from[k]
					if where == "" {
						where = "the shared catalogue"
					}
					errs = append(errs, fmt.Errorf("%s: key %q of %s is already defined in %s", lang, k, f.Name, where))
					continue
				}
				c[k], from[k] = m, f.Name
			}
		}
		errs = append(errs, checkCatalog(lang, c)...)
		cats[lang] = c
	}
	errs = append(errs, checkParity(cats)...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("i18n: invalid catalogues: %w", errors.Join(errs...))
	}
	return newBundle(cats), nil
}

func newBundle(cats map[string]catalog) *Bundle {
	return &Bundle{cats: cats, missing: map[string]struct{}{}}
}

// Keys returns every catalogue key, sorted. (Load guarantees every language has the
// same keys; these are the Default language's.)
func (b *Bundle) Keys() []string {
	keys := make([]string, 0, len(b.cats[Default]))
	for k := range b.cats[Default] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// MissingKeys returns the keys looked up but absent, as "lang:key", sorted. Page tests
// render every view and then assert this is empty, so a typo in a template key is
// caught by a test rather than by a reader.
func (b *Bundle) MissingKeys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.missing))
	for k := range b.missing {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (b *Bundle) noteMissing(lang, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.missing) < maxMissing {
		b.missing[lang+":"+key] = struct{}{}
	}
}

// For returns the localizer of lang. A region subtag is ignored ("ar-EG" is "ar") and
// an unsupported language gives the Default one, so For never returns nil.
func (b *Bundle) For(lang string) *Localizer {
	l := normalizeLang(lang)
	if _, ok := b.cats[l]; !ok {
		l = Default
	}
	return &Localizer{b: b, lang: l}
}

// Localizer translates into one language.
type Localizer struct {
	b    *Bundle
	lang string
}

// Lang returns the language code, "en" or "ar".
func (l *Localizer) Lang() string { return l.lang }

// Dir returns the text direction of the language, "ltr" or "rtl", for <html dir>.
func (l *Localizer) Dir() string {
	if rtl[l.lang] {
		return "rtl"
	}
	return "ltr"
}

// Has reports whether the language's catalogue has key.
func (l *Localizer) Has(key string) bool {
	_, ok := l.b.cats[l.lang][key]
	return ok
}

// T returns the text of key with {0}, {1}… replaced by args (formatted with fmt.Sprint;
// an argument of type Key is translated first). A plural message gives its "other"
// form. A key missing in this language falls back to the Default language, then to
// the key itself, and is recorded for MissingKeys.
func (l *Localizer) T(key string, args ...any) string {
	m, lang, ok := l.lookup(key)
	if !ok {
		return key
	}
	text := m.text
	if m.plural != nil {
		text = m.plural["other"]
	}
	return l.format(text, lang, -1, false, args)
}

// N returns the plural form of key for count n in this language, with {n} replaced by
// n (digits grouped by thousands) and {0}, {1}… by args as in T. A plain-text key is
// used as it is, still with {n} replaced.
func (l *Localizer) N(key string, n int, args ...any) string {
	m, lang, ok := l.lookup(key)
	if !ok {
		return key
	}
	text := m.text
	if m.plural != nil {
		var found bool
		if text, found = m.plural[pluralCategory(lang, n)]; !found {
			text = m.plural["other"]
		}
	}
	return l.format(text, lang, n, true, args)
}

// lookup finds key in the localizer's language, else in Default. It returns the
// language the message was found in, whose plural rules then apply.
func (l *Localizer) lookup(key string) (message, string, bool) {
	if m, ok := l.b.cats[l.lang][key]; ok {
		return m, l.lang, true
	}
	l.b.noteMissing(l.lang, key)
	if l.lang != Default {
		if m, ok := l.b.cats[Default][key]; ok {
			return m, Default, true
		}
	}
	return message{}, "", false
}

// format substitutes placeholders in one pass over text, so an argument that itself
// contains "{1}" is never expanded again (arguments may come from user input).
// A placeholder without an argument is left as it is, visible and easy to spot.
func (l *Localizer) format(text, lang string, n int, hasN bool, args []any) string {
	if !strings.Contains(text, "{") {
		return text
	}
	var sb strings.Builder
	sb.Grow(len(text) + 16)
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			sb.WriteString(text)
			return sb.String()
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			sb.WriteString(text)
			return sb.String()
		}
		name := text[i+1 : i+j]
		sb.WriteString(text[:i])
		switch {
		case name == "n" && hasN:
			sb.WriteString(groupDigits(n))
		case isIndex(name):
			idx, err := strconv.Atoi(name)
			if err == nil && idx < len(args) {
				sb.WriteString(l.arg(args[idx]))
			} else {
				sb.WriteString(text[i : i+j+1])
			}
		default:
			sb.WriteString(text[i : i+j+1])
		}
		text = text[i+j+1:]
	}
}

// arg formats one argument; a Key is translated in the localizer's language.
func (l *Localizer) arg(a any) string {
	if k, ok := a.(Key); ok {
		return l.T(string(k))
	}
	return fmt.Sprint(a)
}

// groupDigits writes n with a comma every three digits, as both English and Arabic
// (in Western digits, which the app uses throughout) do: 12,345.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	first := len(s) % 3
	if first == 0 {
		first = 3
	}
	sb.WriteString(s[:first])
	for i := first; i < len(s); i += 3 {
		sb.WriteByte(',')
		sb.WriteString(s[i : i+3])
	}
	return sb.String()
}

func isIndex(s string) bool {
	if s == "" || len(s) > 2 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
