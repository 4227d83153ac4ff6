package assessment_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"inoculate/internal/returnees/assessment"
)

// The package's strings live in i18n.en.json and i18n.ar.json until they are merged
// into the shared catalogues, whose loader then checks them again. This test keeps
// them complete meanwhile: every key the code and templates use is in both files,
// both files have the same keys, placeholders and plural shapes.

type message struct {
	text   string
	plural map[string]string
}

func loadCatalog(t *testing.T, name string) map[string]message {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	// Decode token by token: a duplicated key would silently hide a translation.
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not an object", name)
	}
	out := map[string]message{}
	for dec.More() {
		tok, _ := dec.Token()
		key := tok.(string)
		if _, dup := out[key]; dup {
			t.Fatalf("%s: duplicate key %s", name, key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("%s: %s: %v", name, key, err)
		}
		var m message
		if err := json.Unmarshal(raw, &m.text); err != nil {
			if err := json.Unmarshal(raw, &m.plural); err != nil {
				t.Fatalf("%s: %s: neither text nor plural forms", name, key)
			}
		}
		out[key] = m
	}
	return out
}

var (
	keyShape    = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	placeholder = regexp.MustCompile(`\{([^{}\s]{1,20})\}`)
	// Keys written literally in code or templates.
	literalKey = regexp.MustCompile(`"((?:assessment|flash)\.[a-z0-9_.]+[a-z0-9_])"`)
	flashKey   = regexp.MustCompile(`flash=(flash\.[a-z0-9_]+)`)
)

func placeholders(m message) []string {
	texts := []string{m.text}
	for _, v := range m.plural {
		texts = append(texts, v)
	}
	var set []string
	for _, t := range texts {
		for _, p := range placeholder.FindAllStringSubmatch(t, -1) {
			if !slices.Contains(set, p[1]) {
				set = append(set, p[1])
			}
		}
	}
	slices.Sort(set)
	return set
}

// usedKeys lists every key the package can look up: literal ones found in the
// sources and templates, and the ones built from enumerations.
func usedKeys(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	tpls, _ := filepath.Glob("templates/*.html")
	seen := map[string]bool{}
	// Action and permission names are not catalogue keys.
	notKeys := map[string]bool{}
	for _, p := range []string{"assessment.cleared", "assessment.read", "assessment.create", "assessment.create_threat", "assessment.review",
		"assessment.risk_threshold", "assessment.risk_threshold_set", "assessment.sign_off", "assessment.return"} {
		notKeys[p] = true
	}
	for _, f := range append(files, tpls...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literalKey.FindAllStringSubmatch(string(data), -1) {
			k := m[1]
			if strings.HasSuffix(k, ".") || (notKeys[k] && strings.HasSuffix(f, ".go")) {
				continue
			}
			seen[k] = true
		}
		for _, m := range flashKey.FindAllStringSubmatch(string(data), -1) {
			seen[m[1]] = true
		}
	}
	// Keys built at run time.
	for _, k := range assessment.Kinds {
		seen["assessment.kind."+string(k)] = true
		seen["assessment.new."+string(k)] = true
		seen["assessment.intro."+string(k)] = true
		in := assessment.InstrumentFor(k)
		for _, d := range in.Domains {
			seen["assessment.domain."+d] = true
		}
		for _, it := range in.Items {
			seen["assessment.item."+it.Key] = true
		}
	}
	for _, l := range assessment.ThreatLevels {
		seen["assessment.level."+string(l)] = true
	}
	for _, l := range assessment.RiskThresholds {
		seen["assessment.threshold."+string(l)] = true
	}
	for _, s := range []assessment.Status{assessment.StatusPending, assessment.StatusCurrent, assessment.StatusExpired, assessment.StatusReturned} {
		seen["assessment.status."+string(s)] = true
	}
	for _, d := range []assessment.Decision{assessment.DecisionSignedOff, assessment.DecisionReturned} {
		seen["assessment.decision."+string(d)] = true
	}
	for i := range 4 {
		seen["assessment.scale.risk."+strconv.Itoa(i)] = true
		seen["assessment.scale.readiness."+strconv.Itoa(i)] = true
	}
	seen["assessment.scale.presence.0"], seen["assessment.scale.presence.1"] = true, true
	for i := assessment.MinWellbeing; i <= assessment.MaxWellbeing; i++ {
		seen["assessment.wellbeing."+strconv.Itoa(i)] = true
	}
	for _, check := range []string{"readiness_ok", "readiness_missing", "readiness_pending", "readiness_expired", "readiness_not_ready",
		"risk_ok", "risk_missing", "risk_pending", "risk_expired", "risk_too_high", "threat_ok", "threat_missing", "threat_pending",
		"threat_expired", "plan_not_needed", "plan_ok", "plan_needed", "plan_in_place", "plan_needed_unknown"} {
		seen["assessment.check."+check] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var pluralForms = map[string][]string{"en": {"one", "other"}, "ar": {"zero", "one", "two", "few", "many", "other"}}

func TestCatalogues(t *testing.T) {
	cats := map[string]map[string]message{"en": loadCatalog(t, "i18n.en.json"), "ar": loadCatalog(t, "i18n.ar.json")}
	used := usedKeys(t)
	for k := range cats["en"] {
		if !slices.Contains(used, k) {
			t.Errorf("key %s is in the catalogue but never used", k)
		}
	}
	for _, k := range used {
		for lang, c := range cats {
			if _, ok := c[k]; !ok {
				t.Errorf("%s: missing key %s", lang, k)
			}
		}
	}
	for key, en := range cats["en"] {
		ar, ok := cats["ar"][key]
		if !ok {
			t.Errorf("ar: missing key %s", key)
			continue
		}
		if !keyShape.MatchString(key) || !(strings.HasPrefix(key, "assessment.") || strings.HasPrefix(key, "flash.")) {
			t.Errorf("key %s: not a namespaced key of this package", key)
		}
		if (en.plural == nil) != (ar.plural == nil) {
			t.Errorf("%s: plural in one language only", key)
		}
		if !slices.Equal(placeholders(en), placeholders(ar)) {
			t.Errorf("%s: placeholders differ: en %v, ar %v", key, placeholders(en), placeholders(ar))
		}
		for lang, m := range map[string]message{"en": en, "ar": ar} {
			if m.plural == nil {
				if strings.TrimSpace(m.text) == "" || strings.Contains(m.text, "{n}") {
					t.Errorf("%s %s: empty, or {n} outside a plural", lang, key)
				}
				continue
			}
			var forms []string
			for f := range m.plural {
				forms = append(forms, f)
			}
			slices.Sort(forms)
			want := slices.Clone(pluralForms[lang])
			slices.Sort(want)
			if !slices.Equal(forms, want) || !strings.Contains(m.plural["other"], "{n}") {
				t.Errorf("%s %s: plural forms %v, want %v with {n} in other", lang, key, forms, want)
			}
		}
	}
	for key := range cats["ar"] {
		if _, ok := cats["en"][key]; !ok {
			t.Errorf("en: missing key %s", key)
		}
	}
	// The English of every reason comes from the same file.
	if got := assessment.English("assessment.check.risk_ok", "Low", "High"); !strings.Contains(got, "Low") || strings.Contains(got, "{") {
		t.Errorf("English reason text: %q", got)
	}
}
