// Package static serves the web UI's own assets (stylesheet, scripts, icon), embedded
// in the binary so the server needs no files beside it and the Content-Security-Policy
// can allow 'self' only.
//
// Every asset is served under a name carrying a hash of its content,
// /static/app.3f2a1b9c.css, and cached by browsers for a year: a new release changes
// the hash, hence the URL, so no one ever runs a stale script against a new page.
// Templates get the URL from Path (or MustPath, which panics at template execution
// on a typo).
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

//go:embed assets
var assetsFS embed.FS

// Prefix is the URL path under which Handler serves the assets.
const Prefix = "/static/"

// hashLen is the number of hex digits of the content hash in a URL: 32 bits tell
// versions of one file apart; the full hash is the ETag.
const hashLen = 8

// contentTypes lists the file types that may be served. A file of another type in
// assets/ stops New, so nothing is ever served with a guessed type.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

// compressible types are also held gzipped, for clients that accept it.
var compressible = map[string]bool{".css": true, ".js": true, ".svg": true, ".txt": true}

// skipped extensions are documentation kept beside the assets, never served.
var skipped = map[string]bool{".md": true}

type asset struct {
	name        string // "app.css"
	url         string // "/static/app.3f2a1b9c.css"
	contentType string
	body        []byte
	gz          []byte // nil when not worth it
	etag        string
	integrity   string // "sha256-…", for a Subresource Integrity attribute
}

// Assets is the set of embedded assets with their hashed URLs. It is read-only after
// New and safe for concurrent use.
type Assets struct {
	byName map[string]*asset
	byURL  map[string]*asset // keyed by the path after Prefix: "app.3f2a1b9c.css"
}

// New reads the embedded assets and computes their content hashes.
func New() (*Assets, error) {
	sub, err := fs.Sub(assetsFS, "assets")
	if err != nil {
		return nil, err
	}
	return newFromFS(sub)
}

func newFromFS(fsys fs.FS) (*Assets, error) {
	a := &Assets{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		ext := path.Ext(name)
		if e.IsDir() || skipped[ext] {
			continue
		}
		ctype, ok := contentTypes[ext]
		if !ok || name == ext {
			return nil, fmt.Errorf("static: %s: unsupported file type", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("static: %w", err)
		}
		sum := sha256.Sum256(body)
		hexSum := hex.EncodeToString(sum[:])
		hashed := strings.TrimSuffix(name, ext) + "." + hexSum[:hashLen] + ext
		as := &asset{
			name: name, url: Prefix + hashed, contentType: ctype, body: body,
			etag:      `"` + hexSum + `"`,
			integrity: "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
		}
		if compressible[ext] {
			as.gz = gzipped(body)
		}
		a.byName[name] = as
		a.byURL[hashed] = as
	}
	return a, nil
}

// gzipped returns body compressed, or nil when compression saves too little to be
// worth a second representation.
func gzipped(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	if buf.Len() >= len(body)*9/10 {
		return nil
	}
	return buf.Bytes()
}

// Names returns the names of all assets, sorted.
func (a *Assets) Names() []string {
	names := make([]string, 0, len(a.byName))
	for n := range a.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Path returns the URL of the named asset ("app.css" → "/static/app.3f2a1b9c.css"),
// or "" when there is no such asset.
func (a *Assets) Path(name string) string {
	if as, ok := a.byName[name]; ok {
		return as.url
	}
	return ""
}

// MustPath is Path for templates: it panics on an unknown name, so a typo fails the
// page test that renders the template instead of shipping a broken link.
func (a *Assets) MustPath(name string) string {
	p := a.Path(name)
	if p == "" {
		panic(fmt.Sprintf("static: no asset named %q", name))
	}
	return p
}

// Integrity returns the Subresource Integrity value of the named asset
// ("sha256-…"), or "" when there is no such asset.
func (a *Assets) Integrity(name string) string {
	if as, ok := a.byName[name]; ok {
		return as.integrity
	}
	return ""
}

// Handler serves the assets at their hashed URLs. Mount it at Prefix without
// stripping the prefix (mux.Handle("GET /static/", a.Handler())). An unknown name or
// a stale hash is a 404: the page asking for it is from another release, and a
// year-long cache must never hold the wrong content under a URL.
func (a *Assets) Handler() http.Handler {
	return http.HandlerFunc(a.serve)
}

func (a *Assets) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	as := a.byURL[rest]
	if !ok || as == nil {
		h.Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", as.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	// Only our own pages load these; no other site may embed them.
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	body, etag := as.body, as.etag
	if as.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body = as.gz
			// A different representation needs a different validator.
			etag = strings.TrimSuffix(as.etag, `"`) + `-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, as.name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip (with q > 0).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.TrimSpace(coding)
		if !strings.EqualFold(coding, "gzip") && coding != "*" {
			continue
		}
		params = strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q, ok := strings.CutPrefix(params, "q="); ok && strings.Trim(q, "0.") == "" {
			return false // q=0: refused
		}
		return true
	}
	return false
}

// Read returns the content of the embedded asset name (as in Names), for a package
// that must know its own script, such as the upload client's tests.
func Read(name string) ([]byte, error) {
	return assetsFS.ReadFile("assets/" + name)
}
