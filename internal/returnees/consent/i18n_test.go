package consent

import (
	"bytes"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"inoculate/internal/platform/i18n"
)

// readCatalogue reads one of this package's catalogue files, refusing duplicate keys
// (encoding/json would silently keep the last).
func readCatalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("i18n." + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not an object", lang)
	}
	out := map[string]string{}
	for dec.More() {
		k, _ := dec.Token()
		var v string
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v: %v", lang, k, err)
		}
		key := k.(string)
		if _, dup := out[key]; dup {
			t.Fatalf("%s: duplicate key %s", lang, key)
		}
		out[key] = v
	}
	return out
}

var (
	keyShape    = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	placeholder = regexp.MustCompile(`\{[^{}\s]*\}`)
)

func TestCatalogueFiles(t *testing.T) {
	en, ar := readCatalogue(t, "en"), readCatalogue(t, "ar")
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	existing := bundle.Keys()
	for k, v := range en {
		if !keyShape.MatchString(k) || !(strings.HasPrefix(k, "consent.") || strings.HasPrefix(k, "flash.consent_")) {
			t.Errorf("key %s is not in this package's namespace", k)
		}
		if slices.Contains(existing, k) {
			t.Errorf("key %s is already in the shared catalogue", k)
		}
		a, ok := ar[k]
		if !ok {
			t.Errorf("key %s has no Arabic", k)
			continue
		}
		pe, pa := placeholder.FindAllString(v, -1), placeholder.FindAllString(a, -1)
		slices.Sort(pe)
		slices.Sort(pa)
		if !slices.Equal(pe, pa) {
			t.Errorf("key %s: placeholders %v in English, %v in Arabic", k, pe, pa)
		}
		if strings.TrimSpace(a) == "" || (a == v && k != "consent.list_separator") {
			t.Errorf("key %s: Arabic %q", k, a)
		}
	}
	for k := range ar {
		if _, ok := en[k]; !ok {
			t.Errorf("key %s has no English", k)
		}
	}
	// Every key the code builds from an enumeration exists.
	var want []string
	for _, u := range Uses {
		want = append(want, "consent.use."+string(u))
	}
	for _, l := range Levels {
		want = append(want, "consent.level."+string(l), "consent.level_desc."+string(l))
	}
	for _, a := range Audiences {
		want = append(want, "consent.audience."+string(a), "consent.audience_desc."+string(a), "consent.audience_covers."+string(a))
	}
	for r := range reasonText {
		want = append(want, r)
	}
	want = append(want, StatementKey, "consent.field_communities", "consent.field_community", "consent.field_reason")
	for _, k := range want {
		if _, ok := en[k]; !ok {
			t.Errorf("key %s is used by the code but missing", k)
		}
	}
	// The English reason texts of the API are the catalogue's.
	for r, text := range reasonText {
		if en[r] != text {
			t.Errorf("reason %s: code says %q, catalogue %q", r, text, en[r])
		}
	}
	// Every consent.error.* key the code mentions exists.
	src, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	keyRef := regexp.MustCompile(`"((?:consent|flash)\.[a-z0-9_.]+)"`)
	for _, f := range src {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRef.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if strings.HasSuffix(k, ".") || strings.HasSuffix(k, "_") || k == EventWithdrawn || k == EventChanged ||
				k == "consent.give" || k == "consent.withdraw" || k == "consent.read" || strings.HasPrefix(k, "consent.html") {
				continue // prefixes completed at run time, event kinds, audit actions, permissions, templates
			}
			if _, ok := en[k]; !ok {
				t.Errorf("%s mentions key %s, missing from the catalogue", f, k)
			}
		}
	}
}

// TestNoDependencyOnTheAgreement: consent must stay separate from the agreement, down
// to the imports. This package may use the platform, the case reference and the
// standard library, and nothing of the legal capability.
func TestNoDependencyOnTheAgreement(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			ok := !strings.Contains(path, ".") && !strings.HasPrefix(path, "inoculate/") || // standard library
				strings.HasPrefix(path, "inoculate/internal/platform/") ||
				path == "inoculate/internal/returnees/caseref" ||
				path == "github.com/google/uuid"
			if !ok {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
