package model_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"inoculate/internal/platform/i18n"
	"inoculate/internal/reach/model"
)

// Every message key the package's errors use is in both catalogues, and the
// catalogues load alongside the shared ones (same keys in both languages, same
// placeholders).
func TestMessages(t *testing.T) {
	b, err := i18n.Load(i18n.Fragment{Name: "reach/model", FS: model.Messages})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`"(reach\.error\.[a-z_]+)"`)
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			n++
			for _, lang := range []string{"en", "ar"} {
				if !b.For(lang).Has(m[1]) {
					t.Errorf("%s: %s lacks %s", f, lang, m[1])
				}
			}
		}
	}
	if n < 40 {
		t.Fatalf("found only %d keys in the sources", n)
	}
	ar := b.For("ar")
	if got := ar.T("reach.error.csv_duplicate_row", 7); got != "هذا الصف تكرار للسطر 7." {
		t.Fatalf("ar: %q", got)
	}
}
