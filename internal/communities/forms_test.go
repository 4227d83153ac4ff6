package communities

import (
	"encoding/json"
	"io/fs"
	"math"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/errs"
)

// FuzzParseForms feeds arbitrary form bodies to every form parser and the input
// checks behind them: never a panic, and anything accepted is within bounds.
func FuzzParseForms(f *testing.F) {
	for _, s := range []string{"name=x&kind=place&languages=ar,ckb", "kind=elder&display_name=Imam&position=2",
		"figure_kind=population&value=1,000&source=census&year=2024", "position=-1", "value=NaN&year=99999999999",
		"figure_kind=youth_share&value=Inf&source=x&year=2020", "name=%00&kind=diaspora", "contact_name=a&phone=%2B1&email=a@b.c"} {
		f.Add(s)
	}
	now := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		if c, err := parseCommunityForm(v).normalize(); err == nil {
			if c.Name == "" || (c.Kind != KindPlace && c.Kind != KindDiaspora) || strings.ContainsRune(c.Name, 0) {
				t.Fatalf("accepted %+v", c)
			}
		} else if errs.KindOf(err) != errs.Invalid {
			t.Fatalf("kind %v", err)
		}
		if a, err := parseAuthorityForm(v); err == nil && a.Position < 0 {
			t.Fatalf("position %d", a.Position)
		}
		if p, err := parsePosition(v); err == nil && p < 1 {
			t.Fatalf("position %d", p)
		}
		if in, err := parseFigureForm(v); err == nil {
			if in, err := in.normalize(now); err == nil {
				if math.IsNaN(in.Value) || math.IsInf(in.Value, 0) || in.Value < 0 || in.Year < 1900 || in.Year > 2027 || in.Source == "" {
					t.Fatalf("accepted figure %+v", in)
				}
			}
		}
		d := ContactDetails{Name: v.Get("contact_name"), Phone: v.Get("phone"), Email: v.Get("email")}
		if d, err := d.normalize(); err == nil && (d.Name == "" || len(d.Phone) > 40*4) {
			t.Fatalf("accepted contact %+v", d)
		}
	})
}

// TestMessages checks that every key the package uses is in both catalogue
// fragments, and that both fragments hold the same keys.
func TestMessages(t *testing.T) {
	cat := map[string]map[string]any{}
	for _, lang := range []string{"en", "ar"} {
		b, err := fs.ReadFile(Messages, "i18n."+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(lang, err)
		}
		cat[lang] = m
	}
	for k := range cat["en"] {
		if _, ok := cat["ar"][k]; !ok {
			t.Errorf("%s missing in ar", k)
		}
	}
	for k := range cat["ar"] {
		if _, ok := cat["en"][k]; !ok {
			t.Errorf("%s missing in en", k)
		}
	}
	var src strings.Builder
	for _, glob := range []string{"*.go", "templates/*.html"} {
		files, _ := fs.Glob(os.DirFS("."), glob)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || f == "permissions.go" {
				continue
			}
			b, _ := os.ReadFile(f)
			src.Write(b)
		}
	}
	for _, m := range regexp.MustCompile(`"(communities\.[a-z0-9_.]*[a-z0-9_]|nav\.communities|flash\.community_[a-z]+)"`).FindAllStringSubmatch(src.String(), -1) {
		if _, ok := cat["en"][m[1]]; !ok {
			t.Errorf("key %s used but not in the catalogue", m[1])
		}
	}
	// Keys built with printf from the value lists.
	for _, k := range KindValues {
		hasKey(t, cat, "communities.kind."+string(k))
	}
	for _, k := range AuthorityKindValues {
		hasKey(t, cat, "communities.authority."+string(k))
	}
	for _, k := range PartnerKindValues {
		hasKey(t, cat, "communities.partner."+string(k))
	}
	for _, k := range FigureKindValues {
		hasKey(t, cat, "communities.figure."+string(k))
	}
}

func hasKey(t *testing.T, cat map[string]map[string]any, key string) {
	t.Helper()
	if _, ok := cat["en"][key]; !ok {
		t.Errorf("key %s missing", key)
	}
}
