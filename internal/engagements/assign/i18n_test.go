package assign_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"inoculate/internal/engagements/assign"
)

// The explanations' texts live in i18n.en.json and i18n.ar.json, loaded by the wiring
// into the shared catalogues, whose loader checks them again. These tests keep them
// complete meanwhile: every key the code uses is in both files, both files have the
// same keys and placeholders, and every Reason the solver returns fills exactly the
// placeholders of its message.

var (
	keyShape    = regexp.MustCompile(`^assign(\.[a-z0-9_]+)+$`)
	placeholder = regexp.MustCompile(`\{([^{}\s]{1,20})\}`)
	literalKey  = regexp.MustCompile(`"(assign\.[a-z0-9_.]+[a-z0-9_])"`)
)

func loadCatalog(t testing.TB, name string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	// Token by token: a duplicated key would silently hide a translation.
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not an object", name)
	}
	out := map[string]string{}
	for dec.More() {
		tok, _ := dec.Token()
		key := tok.(string)
		if _, dup := out[key]; dup {
			t.Fatalf("%s: duplicate key %s", name, key)
		}
		var text string
		if err := dec.Decode(&text); err != nil {
			t.Fatalf("%s: %s: want a plain text: %v", name, key, err)
		}
		out[key] = text
	}
	return out
}

// placeholders returns a message's placeholders, sorted.
func placeholders(text string) []string {
	var set []string
	for _, p := range placeholder.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(set, p[1]) {
			set = append(set, p[1])
		}
	}
	slices.Sort(set)
	return set
}

var (
	englishOnce sync.Once
	englishCat  map[string]string
)

// checkReason checks one explanation against the catalogue: a known key, one
// argument per placeholder, and the English text made from them.
func checkReason(t testing.TB, r assign.Reason) {
	t.Helper()
	englishOnce.Do(func() { englishCat = loadCatalog(t, "i18n.en.json") })
	text, ok := englishCat[r.Key]
	if !ok {
		t.Fatalf("reason key %q is not in the catalogue", r.Key)
	}
	if n := len(placeholders(text)); len(r.Args) != n || r.Args == nil {
		t.Fatalf("reason %s has %d arguments (%v), its message %d placeholders", r.Key, len(r.Args), r.Args, n)
	}
	if r.Text == "" || r.Text != assign.English(r.Key, r.Args...) {
		t.Fatalf("reason %s: text %q", r.Key, r.Text)
	}
}

func TestCatalogues(t *testing.T) {
	cats := map[string]map[string]string{"en": loadCatalog(t, "i18n.en.json"), "ar": loadCatalog(t, "i18n.ar.json")}
	// Every key written in the code.
	files, _ := filepath.Glob("*.go")
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literalKey.FindAllStringSubmatch(string(data), -1) {
			used[m[1]] = true
		}
	}
	for k := range used {
		for lang, c := range cats {
			if _, ok := c[k]; !ok {
				t.Errorf("%s: missing key %s", lang, k)
			}
		}
	}
	for k, en := range cats["en"] {
		if !used[k] {
			t.Errorf("key %s is in the catalogue but never used", k)
		}
		if !keyShape.MatchString(k) {
			t.Errorf("key %s: not a key of this package", k)
		}
		ar, ok := cats["ar"][k]
		if !ok {
			t.Errorf("ar: missing key %s", k)
			continue
		}
		if !slices.Equal(placeholders(en), placeholders(ar)) {
			t.Errorf("%s: placeholders differ: en %v, ar %v", k, placeholders(en), placeholders(ar))
		}
		for i, p := range placeholders(en) {
			if p != strconv.Itoa(i) {
				t.Errorf("%s: placeholders must be {0}, {1}… without gaps, got %v", k, placeholders(en))
				break
			}
		}
		if strings.TrimSpace(en) == "" || strings.TrimSpace(ar) == "" {
			t.Errorf("%s: empty text", k)
		}
	}
	for k := range cats["ar"] {
		if _, ok := cats["en"][k]; !ok {
			t.Errorf("en: missing key %s", k)
		}
	}
	// The embedded files are these files.
	for lang := range cats {
		emb, err := assign.Messages.ReadFile("i18n." + lang + ".json")
		disk, _ := os.ReadFile("i18n." + lang + ".json")
		if err != nil || !bytes.Equal(emb, disk) {
			t.Errorf("Messages lacks i18n.%s.json: %v", lang, err)
		}
	}
}

func TestEnglish(t *testing.T) {
	if got := assign.English("assign.block.rule", "consent covers {0} only"); got != "Not allowed: consent covers {0} only" {
		t.Errorf("an argument was expanded again: %q", got)
	}
	if got := assign.English("assign.no.such.key", 1); got != "assign.no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
}
