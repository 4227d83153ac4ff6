package upload

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/web"
)

// received records what Complete was handed.
type received struct {
	mu      sync.Mutex
	uploads map[string][]byte
	calls   int
	fail    error // returned by Complete while set
}

func (rc *received) complete(ctx context.Context, up *Upload) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if rc.fail != nil {
		return rc.fail
	}
	r, err := up.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if int64(len(b)) != up.Size {
		return fmt.Errorf("read %d bytes of %d", len(b), up.Size)
	}
	if rc.uploads == nil {
		rc.uploads = map[string][]byte{}
	}
	rc.uploads[up.ID] = b
	return nil
}

func (rc *received) get(id string) []byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.uploads[id]
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	dir   string
	u     *Uploads
	rc    *received
	clock *clock
	srv   *httptest.Server
	// middleware, when set, sees each request before the handlers (fault injection).
	mu         sync.Mutex
	middleware func(w http.ResponseWriter, r *http.Request) bool
}

var testSecret = bytes.Repeat([]byte{0x42}, 32)

func newFixture(t *testing.T, tweak func(*Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), rc: &received{}, clock: &clock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}}
	f.open(tweak)
	mux := http.NewServeMux()
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				web.WriteJSON(w, web.Status(errs.KindOf(err)), map[string]string{"error": errs.KindOf(err).String(), "message": err.Error()})
			}
		})
	}
	// Resolved at request time so a test can restart the Uploads behind the server.
	handle("POST /api/uploads", func(w http.ResponseWriter, r *http.Request) error { return f.u.Create(w, r) })
	handle("PUT /api/uploads/{uid}", func(w http.ResponseWriter, r *http.Request) error { return f.u.Append(w, r) })
	handle("HEAD /api/uploads/{uid}", func(w http.ResponseWriter, r *http.Request) error { return f.u.Offset(w, r) })
	handle("DELETE /api/uploads/{uid}", func(w http.ResponseWriter, r *http.Request) error { return f.u.Cancel(w, r) })
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		mw := f.middleware
		f.mu.Unlock()
		if mw != nil && mw(w, r) {
			return
		}
		// The router's body limit for upload routes, as the lead sets it.
		r.Body = http.MaxBytesReader(w, r.Body, MaxChunk)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// open starts (or restarts) the Uploads over the fixture's directory.
func (f *fixture) open(tweak func(*Config)) {
	f.t.Helper()
	if f.u != nil {
		f.u.Close()
	}
	cfg := Config{
		Dir: f.dir, Secret: testSecret, Complete: f.rc.complete, Now: f.clock.now,
		ChunkSize: MinChunk,
		Owner: func(r *http.Request) (string, error) {
			if o := r.Header.Get("X-Test-Owner"); o != "" {
				return o, nil
			}
			return "user-1", nil
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	u, err := New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	f.u = u
	f.t.Cleanup(func() { u.Close() })
}

func (f *fixture) setMiddleware(mw func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	f.middleware = mw
	f.mu.Unlock()
}

type response struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(method, path string, header map[string]string, body io.Reader) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if br, ok := body.(*bytes.Reader); ok {
		req.ContentLength = int64(br.Len())
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		return response{status: 0, body: err.Error()}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// create starts an upload of size bytes and returns its id.
func (f *fixture) create(size int64, owner string) string {
	f.t.Helper()
	res := f.do("POST", "/api/uploads", map[string]string{"Content-Type": "application/json", "X-Test-Owner": owner},
		strings.NewReader(fmt.Sprintf(`{"size": %d, "contentType": "video/mp4"}`, size)))
	if res.status != http.StatusCreated {
		f.t.Fatalf("Create: %d %s", res.status, res.body)
	}
	var cr createResponse
	if err := json.Unmarshal([]byte(res.body), &cr); err != nil {
		f.t.Fatal(err)
	}
	if loc := res.header.Get("Location"); loc != "/api/uploads/"+cr.ID {
		f.t.Fatalf("Location = %q", loc)
	}
	if cr.ChunkSize != MinChunk || cr.Offset != 0 || !validID(cr.ID) {
		f.t.Fatalf("Create answered %+v", cr)
	}
	return cr.ID
}

// put sends data[a:b+1] as a chunk.
func (f *fixture) put(id string, data []byte, a, b int64, owner string) response {
	f.t.Helper()
	return f.do("PUT", "/api/uploads/"+id, map[string]string{
		"Content-Range": fmt.Sprintf("bytes %d-%d/%d", a, b, len(data)),
		"X-Test-Owner":  owner,
	}, bytes.NewReader(data[a:b+1]))
}

func offsetOf(t *testing.T, res response) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(res.header.Get(HeaderOffset), &n); err != nil {
		t.Fatalf("no Upload-Offset in %d answer: %v", res.status, err)
	}
	return n
}

const canary = "CANARY-voice-of-returnee-77"

// testData is random bytes with the canary every 4 KiB, so that a plaintext leak to
// disk is easy to find and misplaced bytes change the hash.
func testData(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	for i := 0; i+len(canary) <= n; i += 4096 {
		copy(b[i:], canary)
	}
	return b
}

func sameBytes(a, b []byte) bool { return sha256.Sum256(a) == sha256.Sum256(b) }
