package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func mustNew(t *testing.T) *Assets {
	t.Helper()
	a, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func embedded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := assetsFS.ReadFile("assets/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNames(t *testing.T) {
	a := mustNew(t)
	want := []string{"app.css", "app.js", "favicon.svg", "htmx.min.js", "upload.js"}
	if got := a.Names(); !slices.Equal(got, want) {
		t.Errorf("Names = %v, want %v (VENDORED.md must not be served)", got, want)
	}
}

func TestPath(t *testing.T) {
	a := mustNew(t)
	for name, pattern := range map[string]string{
		"app.css":     `^/static/app\.[0-9a-f]{8}\.css$`,
		"app.js":      `^/static/app\.[0-9a-f]{8}\.js$`,
		"htmx.min.js": `^/static/htmx\.min\.[0-9a-f]{8}\.js$`,
		"favicon.svg": `^/static/favicon\.[0-9a-f]{8}\.svg$`,
	} {
		p := a.Path(name)
		if !regexp.MustCompile(pattern).MatchString(p) {
			t.Errorf("Path(%q) = %q, want %s", name, p, pattern)
		}
		sum := sha256.Sum256(embedded(t, name))
		if !strings.Contains(p, "."+hex.EncodeToString(sum[:])[:hashLen]+".") {
			t.Errorf("Path(%q) = %q does not carry the content hash", name, p)
		}
		if a.MustPath(name) != p {
			t.Errorf("MustPath(%q) differs from Path", name)
		}
		if got, want := a.Integrity(name), "sha256-"+base64.StdEncoding.EncodeToString(sum[:]); got != want {
			t.Errorf("Integrity(%q) = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"", "nope.css", "assets/app.css", "VENDORED.md", "app"} {
		if p := a.Path(name); p != "" {
			t.Errorf("Path(%q) = %q, want empty", name, p)
		}
		if a.Integrity(name) != "" {
			t.Errorf("Integrity(%q) not empty", name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustPath of an unknown name did not panic")
		}
	}()
	a.MustPath("nope.css")
}

func TestHashChangesWithContent(t *testing.T) {
	a1, err := newFromFS(fstest.MapFS{"x.css": {Data: []byte("a{}")}})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := newFromFS(fstest.MapFS{"x.css": {Data: []byte("b{}")}})
	if err != nil {
		t.Fatal(err)
	}
	if a1.Path("x.css") == a2.Path("x.css") {
		t.Error("different content, same URL")
	}
	// The old URL is a 404 for the new release.
	rec := get(t, a2.Handler(), a1.Path("x.css"), nil)
	if rec.Code != http.StatusNotFound {
		t.Errorf("stale URL: status %d", rec.Code)
	}
}

func TestNewRejectsUnknownTypes(t *testing.T) {
	if _, err := newFromFS(fstest.MapFS{"a.css": {Data: []byte("x")}, "evil.html": {Data: []byte("<p>")}}); err == nil {
		t.Error("an .html asset was accepted")
	}
	if _, err := newFromFS(fstest.MapFS{".css": {Data: []byte("x")}}); err == nil {
		t.Error("a nameless asset was accepted")
	}
	a, err := newFromFS(fstest.MapFS{"a.css": {Data: []byte("x")}, "NOTES.md": {Data: []byte("#")}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Names(), []string{"a.css"}) {
		t.Errorf("Names = %v", a.Names())
	}
}

func get(t *testing.T, h http.Handler, path string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerServesAssets(t *testing.T) {
	a := mustNew(t)
	h := a.Handler()
	for name, ctype := range map[string]string{
		"app.css":     "text/css; charset=utf-8",
		"app.js":      "text/javascript; charset=utf-8",
		"htmx.min.js": "text/javascript; charset=utf-8",
		"favicon.svg": "image/svg+xml",
	} {
		rec := get(t, h, a.Path(name), nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", name, rec.Code)
		}
		hd := rec.Header()
		if got := hd.Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type %q, want %q", name, got, ctype)
		}
		if got := hd.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", name, got)
		}
		if got := hd.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", name, got)
		}
		if hd.Get("Content-Encoding") != "" {
			t.Errorf("%s: encoded without Accept-Encoding", name)
		}
		if !bytes.Equal(rec.Body.Bytes(), embedded(t, name)) {
			t.Errorf("%s: body differs from the embedded file", name)
		}
		etag := hd.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", name)
		}
		// A revalidation gets 304 without a body.
		rec = get(t, h, a.Path(name), http.Header{"If-None-Match": {etag}})
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("%s: If-None-Match: status %d, %d bytes", name, rec.Code, rec.Body.Len())
		}
	}
}

func TestHandlerGzip(t *testing.T) {
	a := mustNew(t)
	h := a.Handler()
	rec := get(t, h, a.Path("htmx.min.js"), http.Header{"Accept-Encoding": {"br, gzip;q=0.8"}})
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", rec.Header())
	}
	if !slices.Contains(rec.Header().Values("Vary"), "Accept-Encoding") {
		t.Error("no Vary: Accept-Encoding")
	}
	if rec.Body.Len() >= len(embedded(t, "htmx.min.js")) {
		t.Error("gzipped body is not smaller")
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, embedded(t, "htmx.min.js")) {
		t.Error("gunzipped body differs")
	}
	plainRec := get(t, h, a.Path("htmx.min.js"), nil)
	if plainRec.Header().Get("ETag") == rec.Header().Get("ETag") {
		t.Error("gzip and identity representations share an ETag")
	}
	for _, ae := range []string{"gzip;q=0", "identity", "deflate, gzip;q=0.000", "br"} {
		rec := get(t, h, a.Path("app.css"), http.Header{"Accept-Encoding": {ae}})
		if rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q: got gzip", ae)
		}
	}
}

func TestHandlerHead(t *testing.T) {
	a := mustNew(t)
	req := httptest.NewRequest(http.MethodHead, a.Path("app.css"), nil)
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestHandlerRefuses(t *testing.T) {
	a := mustNew(t)
	h := a.Handler()
	css := a.Path("app.css")
	stale := strings.Replace(css, css[len("/static/app."):len("/static/app.")+hashLen], "00000000", 1)
	if stale == css {
		stale = strings.Replace(css, css[len("/static/app."):len("/static/app.")+hashLen], "11111111", 1)
	}
	for _, path := range []string{
		"/static/app.css",                  // no hash
		stale,                              // another release's hash
		"/static/",                         // the folder
		"/static/nope.12345678.css",        // unknown
		"/static/VENDORED.md",              // documentation
		"/static/../static/app.css",        // traversal
		strings.TrimPrefix(css, "/static"), // without the prefix
		css + "/",
		strings.ToUpper(css),
	} {
		rec := get(t, h, path, nil)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, rec.Code)
		}
		if rec.Header().Get("Cache-Control") == "public, max-age=31536000, immutable" {
			t.Errorf("%s: a 404 must not be cached for a year", path)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	req := httptest.NewRequest(http.MethodPost, css, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// TestVendoredRecord checks htmx.min.js against the sha256 recorded in VENDORED.md.
func TestVendoredRecord(t *testing.T) {
	md, err := os.ReadFile("assets/VENDORED.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("file sha256 \\| `([0-9a-f]{64})`").FindSubmatch(md)
	if m == nil {
		t.Fatal("VENDORED.md has no file sha256 for htmx.min.js")
	}
	sum := sha256.Sum256(embedded(t, "htmx.min.js"))
	if got := hex.EncodeToString(sum[:]); got != string(m[1]) {
		t.Errorf("htmx.min.js sha256 %s, VENDORED.md says %s", got, m[1])
	}
	if !bytes.HasPrefix(embedded(t, "htmx.min.js"), []byte("var htmx=function(){")) {
		t.Error("htmx.min.js does not look like htmx")
	}
}

// stripCSSComments removes /* … */ comments.
func stripCSSComments(s string) string {
	return regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(s, "")
}

// TestCSSRules enforces the stylesheet's own rules: logical properties only, so RTL
// mirrors; nothing loaded from elsewhere; balanced blocks; the class vocabulary styled.
func TestCSSRules(t *testing.T) {
	css := stripCSSComments(string(embedded(t, "app.css")))
	physical := []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b(margin|padding|border|scroll-margin|scroll-padding)-(left|right)\b`),
		regexp.MustCompile(`(?i)\bborder-(top|bottom)-(left|right)-radius\b`),
		regexp.MustCompile(`(?i)(^|[;{\s])(left|right)\s*:`),
		regexp.MustCompile(`(?i)\b(text-align|float|clear)\s*:\s*(left|right)\b`),
	}
	for i, line := range strings.Split(css, "\n") {
		for _, re := range physical {
			if re.MatchString(line) {
				t.Errorf("app.css line %d uses a physical direction: %q", i+1, strings.TrimSpace(line))
			}
		}
	}
	for _, banned := range []string{"url(", "@import", "expression(", "@font-face"} {
		if strings.Contains(strings.ToLower(css), banned) {
			t.Errorf("app.css contains %q: assets must not load anything", banned)
		}
	}
	depth := 0
	for _, c := range css {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
			if depth < 0 {
				t.Fatal("app.css: unbalanced }")
			}
		}
	}
	if depth != 0 {
		t.Fatalf("app.css: %d unclosed blocks", depth)
	}
	for _, sel := range []string{
		".demo-banner", "header.topbar", ".brand", "nav.mainnav a", `a[aria-current="page"]`, ".usermenu",
		".langswitch", "main.page", ".page-header", ".actions", ".card", ".grid", ".stat", ".empty-state",
		".empty-title", ".table-wrap", "table.data", "form.form", ".field", "label", "input", "select",
		"textarea", ".hint", ".field-error", ".field.has-error", ".form-actions", ".button", ".button.primary",
		".button.danger", ".button.link", ".flash.success", ".flash.error", ".flash.info", ".badge",
		".badge.role", ".badge.ok", ".badge.warn", ".badge.danger", ".identity-panel", "dl.kv", ".auth-page",
		".qr", ".muted", ".mono", ".pager", "footer.site-footer", ".visually-hidden", ":focus-visible",
		":lang(ar)", ".htmx-indicator", "@media (max-width: 40rem)",
	} {
		if !strings.Contains(css, sel) {
			t.Errorf("app.css does not style %s", sel)
		}
	}
}

// TestJSRules keeps app.js within the CSP: no eval and no HTML built from strings.
func TestJSRules(t *testing.T) {
	js := string(embedded(t, "app.js"))
	for _, banned := range []string{"eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", ".style."} {
		if strings.Contains(js, banned) {
			t.Errorf("app.js contains %q", banned)
		}
	}
}
