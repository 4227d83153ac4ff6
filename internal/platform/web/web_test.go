package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"inoculate/internal/platform/errs"
)

func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"/returnees/1":          "/returnees/1",
		"/a?b=c":                "/a?b=c",
		"//evil.example/x":      "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"":                      "/",
		"/a\r\nSet-Cookie: x=y": "/",
		"/\t/evil.example":      "/",
		"/%":                    "/",
	}
	for in, want := range cases {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeNext: whatever a ?next= holds, the redirect stays on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "http://x", "/ok?next=//x", "\t//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeNext(s)
		u, err := url.Parse(got)
		if err != nil {
			if got != "/" {
				t.Fatalf("SafeNext(%q) = %q does not parse", s, got)
			}
			return
		}
		if u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("SafeNext(%q) = %q leaves the site", s, got)
		}
		// What browsers do with backslashes: "/\x" is read as "//x".
		if strings.HasPrefix(strings.ReplaceAll(got, "\\", "/"), "//") {
			t.Fatalf("SafeNext(%q) = %q is protocol-relative", s, got)
		}
	})
}

type sample struct {
	Alias string `json:"alias"`
	N     int    `json:"n"`
}

// FuzzDecodeJSON: any body either decodes into exactly the declared fields or is an
// Invalid error; it never panics and never yields another kind.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"alias":"a","n":1}`, `{"alias":1}`, `{"x":1}`, `{}{}`, `[]`, `"`, `{"alias":"\u0000"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, MaxJSONBytes)
		var v sample
		if err := DecodeJSON(r, &v); err != nil && errs.KindOf(err) != errs.Invalid {
			t.Fatalf("DecodeJSON(%q) gave a %v error: %v", body, errs.KindOf(err), err)
		}
	})
}

func TestDecodeJSONRefusals(t *testing.T) {
	for body, field := range map[string]string{`{"alias":"a","role":"admin"}`: "role", `{"n":"x"}`: "n"} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		var v sample
		err := DecodeJSON(r, &v)
		var e *errs.Error
		if err == nil || !errorsAs(err, &e) || e.Field != field {
			t.Errorf("DecodeJSON(%s) = %v, want an error about %q", body, err, field)
		}
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "text/plain")
	if err := DecodeJSON(r, &sample{}); !errs.Is(err, errs.Invalid) {
		t.Errorf("text/plain body accepted: %v", err)
	}
}

func errorsAs(err error, target **errs.Error) bool {
	e, ok := err.(*errs.Error)
	if ok {
		*target = e
	}
	return ok
}
