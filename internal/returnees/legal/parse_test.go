package legal

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
)

func checkOffences(t *testing.T, offs []Offence) {
	t.Helper()
	if len(offs) > maxOffences {
		t.Fatalf("%d offences, max %d", len(offs), maxOffences)
	}
	for _, o := range offs {
		d := o.Description
		if d == "" || d != strings.TrimSpace(d) || !utf8.ValidString(d) || utf8.RuneCountInString(d) > maxOffence {
			t.Fatalf("offence %q accepted", d)
		}
		for _, r := range d {
			if unicode.IsControl(r) || isBidiControl(r) {
				t.Fatalf("offence %q holds control character %U", d, r)
			}
		}
	}
}

func checkObligations(t *testing.T, obs []Obligation) {
	t.Helper()
	seen := map[ObligationKind]bool{}
	for _, o := range obs {
		if !o.Kind.valid() || seen[o.Kind] {
			t.Fatalf("obligation kind %q accepted (twice: %v)", o.Kind, seen[o.Kind])
		}
		seen[o.Kind] = true
		if o.Count < 1 || o.Count > maxCount || (o.Kind == ObligationTestimony && o.Count != 1) {
			t.Fatalf("count %d accepted for %s", o.Count, o.Kind)
		}
		from, err1 := time.Parse(time.DateOnly, o.From)
		until, err2 := time.Parse(time.DateOnly, o.Until)
		if err1 != nil || err2 != nil || until.Before(from) || until.After(from.AddDate(maxPeriodYears, 0, 0)) {
			t.Fatalf("period %s..%s accepted", o.From, o.Until)
		}
	}
}

func wantInvalid(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errs.Is(err, errs.Invalid) {
		t.Fatalf("error of kind %v, want invalid: %v", errs.KindOf(err), err)
	}
}

func TestParseOffences(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		json    string
		want    []string
		invalid bool
	}{
		{name: "lines and blanks", text: "a\r\n\n  b  \n", json: `["a", " ", {"description": " b "}]`, want: []string{"a", "b"}},
		{name: "empty", text: "", json: `null`, want: nil},
		{name: "control character", text: "a\x07b", json: `["a\u0007b"]`, invalid: true},
		{name: "bidi override", text: "a\u202eb", json: `["a\u202eb"]`, invalid: true},
		{name: "too long", text: strings.Repeat("x", maxOffence+1), json: `["` + strings.Repeat("x", maxOffence+1) + `"]`, invalid: true},
		{name: "too many", text: strings.Repeat("x\n", maxOffences+1), json: `[` + strings.Repeat(`"x",`, maxOffences) + `"x"]`, invalid: true},
		{name: "Arabic", text: "الانتماء إلى تنظيم", json: `["الانتماء إلى تنظيم"]`, want: []string{"الانتماء إلى تنظيم"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for via, parse := range map[string]func() ([]Offence, error){
				"text": func() ([]Offence, error) { return ParseOffencesText(tc.text) },
				"json": func() ([]Offence, error) { return ParseOffencesJSON([]byte(tc.json)) },
			} {
				got, err := parse()
				if tc.invalid {
					if !errs.Is(err, errs.Invalid) {
						t.Fatalf("%s: got %v, %v; want invalid", via, got, err)
					}
					continue
				}
				if err != nil || len(got) != len(tc.want) {
					t.Fatalf("%s: got %v, %v; want %v", via, got, err, tc.want)
				}
				for i := range got {
					if got[i].Description != tc.want[i] {
						t.Fatalf("%s: got %v, want %v", via, got, tc.want)
					}
				}
			}
		})
	}
	for _, bad := range []string{`{"a":1}`, `[1]`, `[{"description": "x", "extra": 1}]`, `["x"] trailing`, `[[]]`, `[{"description": 3}]`} {
		if _, err := ParseOffencesJSON([]byte(bad)); !errs.Is(err, errs.Invalid) {
			t.Fatalf("offences %s: %v, want invalid", bad, err)
		}
	}
}

func TestObligations(t *testing.T) {
	tests := []struct {
		name  string
		form  string
		json  string
		want  int
		field string // the field at fault, "" when accepted
	}{
		{name: "none", form: "public_forums_count=0", json: `[]`, want: 0},
		{name: "forums and testimony",
			form: "public_forums_count=3&public_forums_from=2026-01-01&public_forums_until=2026-12-31&recorded_testimony_required=on&recorded_testimony_from=2026-01-01&recorded_testimony_until=2026-03-01",
			json: `[{"kind":"recorded_testimony","from":"2026-01-01","until":"2026-03-01"},{"kind":"public_forums","count":3,"from":"2026-01-01","until":"2026-12-31"}]`, want: 2},
		{name: "count out of range", form: "media_interviews_count=101&media_interviews_from=2026-01-01&media_interviews_until=2026-12-31",
			json: `[{"kind":"media_interviews","count":101,"from":"2026-01-01","until":"2026-12-31"}]`, field: "media_interviews_count"},
		{name: "count missing", form: "media_interviews_from=2026-01-01&media_interviews_until=2026-12-31",
			json: `[{"kind":"media_interviews","from":"2026-01-01","until":"2026-12-31"}]`, field: "media_interviews_count"},
		{name: "end before start", form: "public_forums_count=1&public_forums_from=2026-05-01&public_forums_until=2026-04-30",
			json: `[{"kind":"public_forums","count":1,"from":"2026-05-01","until":"2026-04-30"}]`, field: "public_forums_until"},
		{name: "period too long", form: "public_forums_count=1&public_forums_from=2026-05-01&public_forums_until=2036-05-02",
			json: `[{"kind":"public_forums","count":1,"from":"2026-05-01","until":"2036-05-02"}]`, field: "public_forums_until"},
		{name: "no start date", form: "public_forums_count=1&public_forums_until=2026-04-30",
			json: `[{"kind":"public_forums","count":1,"until":"2026-04-30"}]`, field: "public_forums_from"},
		{name: "not a date", form: "public_forums_count=1&public_forums_from=2026-02-30&public_forums_until=2026-04-30",
			json: `[{"kind":"public_forums","count":1,"from":"2026-02-30","until":"2026-04-30"}]`, field: "public_forums_from"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := url.ParseQuery(tc.form)
			for via, parse := range map[string]func() ([]Obligation, error){
				"form": func() ([]Obligation, error) { return ObligationsFromForm(f) },
				"json": func() ([]Obligation, error) { return ParseObligationsJSON([]byte(tc.json)) },
			} {
				got, err := parse()
				if tc.field != "" {
					var e *errs.Error
					if !errs.Is(err, errs.Invalid) || !asErr(err, &e) || e.Field != tc.field {
						t.Fatalf("%s: got %v, %v; want invalid %s", via, got, err, tc.field)
					}
					continue
				}
				if err != nil || len(got) != tc.want {
					t.Fatalf("%s: got %v, %v; want %d", via, got, err, tc.want)
				}
				checkObligations(t, got)
			}
		})
	}
	for _, bad := range []string{`[{"kind":"bribes","count":1,"from":"2026-01-01","until":"2026-02-01"}]`,
		`[{"kind":"recorded_testimony","count":2,"from":"2026-01-01","until":"2026-02-01"}]`,
		`[{"kind":"public_forums","count":1,"from":"2026-01-01","until":"2026-02-01"},{"kind":"public_forums","count":2,"from":"2026-01-01","until":"2026-02-01"}]`,
		`[{"kind":"public_forums","count":1,"from":"2026-01-01","until":"2026-02-01","paid":true}]`, `{"kind":"public_forums"}`} {
		if _, err := ParseObligationsJSON([]byte(bad)); !errs.Is(err, errs.Invalid) {
			t.Fatalf("obligations %s: %v, want invalid", bad, err)
		}
	}
}

func asErr(err error, e **errs.Error) bool {
	x, ok := err.(*errs.Error)
	*e = x
	return ok
}

func TestSniffDocument(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"%PDF-1.7\n", "application/pdf"},
		{"\x89PNG\r\n\x1a\nrest", "image/png"},
		{"\xff\xd8\xff\xe0JFIF", "image/jpeg"},
		{"<html><script>", ""},
		{"<svg xmlns", ""},
		{" %PDF-1.7", ""},
		{"GIF89a", ""},
		{"", ""},
		{"%PDF", ""},
		{"PK\x03\x04", ""},
	}
	for _, tc := range tests {
		ct, _, ok := SniffDocument([]byte(tc.in))
		if ct != tc.want || ok != (tc.want != "") {
			t.Errorf("SniffDocument(%q) = %q, %v; want %q", tc.in, ct, ok, tc.want)
		}
	}
}

func FuzzParseOffencesText(f *testing.F) {
	for _, s := range []string{"", "a\nb", "a\r\n\r\nb", "\u202e", strings.Repeat("x\n", 60), "الانتماء\n\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		offs, err := ParseOffencesText(s)
		wantInvalid(t, err)
		if err == nil {
			checkOffences(t, offs)
		}
	})
}

func FuzzParseOffencesJSON(f *testing.F) {
	for _, s := range []string{`null`, `[]`, `["a", {"description": "b"}]`, `[1]`, `[{"description": "x", "y": 1}]`, `"x"`, `[` + strings.Repeat(`"x",`, 60) + `"x"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		offs, err := ParseOffencesJSON(b)
		wantInvalid(t, err)
		if err == nil {
			checkOffences(t, offs)
		}
	})
}

func FuzzParseObligationsJSON(f *testing.F) {
	for _, s := range []string{`null`, `[]`, `[{"kind":"public_forums","count":3,"from":"2026-01-01","until":"2026-12-31"}]`,
		`[{"kind":"recorded_testimony","from":"2026-01-01","until":"2026-01-01"}]`, `[{"kind":"media_interviews","count":-1}]`, `[{}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		obs, err := ParseObligationsJSON(b)
		wantInvalid(t, err)
		if err == nil {
			checkObligations(t, obs)
		}
	})
}

func FuzzObligationsFromForm(f *testing.F) {
	for _, s := range []string{"", "public_forums_count=3&public_forums_from=2026-01-01&public_forums_until=2026-12-31",
		"recorded_testimony_required=on&recorded_testimony_from=2026-01-01&recorded_testimony_until=2025-01-01",
		"media_interviews_count=%20%2B5&media_interviews_from=2026-01-01&media_interviews_until=2027-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		form, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		obs, err := ObligationsFromForm(form)
		wantInvalid(t, err)
		if err == nil {
			checkObligations(t, obs)
		}
	})
}

func FuzzSniffDocument(f *testing.F) {
	for _, s := range []string{"%PDF-1.4", "\x89PNG\r\n\x1a\n", "\xff\xd8\xff", "<html>", "<?xml", "\xef\xbb\xbf%PDF-"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, ext, ok := SniffDocument(b)
		if !ok {
			if ct != "" || ext != "" {
				t.Fatalf("refused but typed %q %q", ct, ext)
			}
			return
		}
		var magic []byte
		switch ct {
		case "application/pdf":
			magic = []byte("%PDF-")
		case "image/png":
			magic = []byte("\x89PNG\r\n\x1a\n")
		case "image/jpeg":
			magic = []byte("\xff\xd8\xff")
		default:
			t.Fatalf("content type %q", ct)
		}
		if !bytes.HasPrefix(b, magic) || extFor(ct) != ext {
			t.Fatalf("%q typed %s/%s", b, ct, ext)
		}
		// Nothing a browser would run as a page is ever accepted.
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte("<")) {
			t.Fatalf("markup accepted: %q", b)
		}
	})
}
