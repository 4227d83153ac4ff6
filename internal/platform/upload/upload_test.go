package upload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/errs"
)

// scanForCanary fails if any file under dir holds the plaintext canary (P33).
func scanForCanary(t *testing.T, dir string) (files int) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		files++
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(canary)) {
			t.Errorf("plaintext found on disk in %s", p)
		}
		return nil
	})
	return files
}

func chunkFiles(t *testing.T, dir, id string) int {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(dir, id))
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "c-") {
			n++
		}
	}
	return n
}

func TestFullUploadInChunks(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(3*MinChunk + 12345)
	id := f.create(int64(len(data)), "")
	var off int64
	for i := 0; off < int64(len(data)); i++ {
		end := min(off+MinChunk, int64(len(data))) - 1
		res := f.put(id, data, off, end, "")
		if res.status != http.StatusNoContent {
			t.Fatalf("chunk %d: %d %s", i, res.status, res.body)
		}
		off = offsetOf(t, res)
		if off != end+1 {
			t.Fatalf("chunk %d: offset %d, want %d", i, off, end+1)
		}
		last := off == int64(len(data))
		if got := res.header.Get(HeaderComplete); (got == "1") != last {
			t.Fatalf("chunk %d: Upload-Complete %q", i, got)
		}
		if res.header.Get("Cache-Control") != "no-store" {
			t.Fatal("no Cache-Control: no-store")
		}
		if i == 1 && scanForCanary(t, f.dir) < 3 {
			t.Fatal("expected the description and two chunk files staged")
		}
	}
	if !sameBytes(f.rc.get(id), data) {
		t.Fatal("Complete received other bytes than were sent")
	}
	if n := chunkFiles(t, f.dir, id); n != 0 {
		t.Fatalf("%d staged chunks kept after the hand-over", n)
	}
	head := f.do("HEAD", "/api/uploads/"+id, nil, nil)
	if head.status != 200 || offsetOf(t, head) != int64(len(data)) || head.header.Get(HeaderComplete) != "1" ||
		head.header.Get(HeaderLength) != fmt.Sprint(len(data)) || head.header.Get(HeaderExpires) != "2026-11-25T10:00:00Z" {
		t.Fatalf("HEAD after completion: %d %v", head.status, head.header)
	}
	// The last chunk again (its answer was lost): a no-op, not a second hand-over.
	if res := f.put(id, data, 3*MinChunk, int64(len(data))-1, ""); res.status != 204 || res.header.Get(HeaderComplete) != "1" {
		t.Fatalf("repeated last chunk: %d %v", res.status, res.header)
	}
	if f.rc.calls != 1 {
		t.Fatalf("Complete called %d times", f.rc.calls)
	}
}

// dropAfter is a request body that sends n bytes and then fails, like a network drop.
type dropAfter struct {
	r io.Reader
	n int
}

func (d *dropAfter) Read(p []byte) (int, error) {
	if d.n <= 0 {
		return 0, errors.New("network dropped")
	}
	p = p[:min(len(p), d.n)]
	n, err := d.r.Read(p)
	d.n -= n
	return n, err
}

func TestResumeAfterDropAndRestart(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(5*MinChunk + 7)
	id := f.create(int64(len(data)), "")
	for i := range 3 {
		a := int64(i * MinChunk)
		if res := f.put(id, data, a, a+MinChunk-1, ""); res.status != 204 {
			t.Fatalf("chunk %d: %d %s", i, res.status, res.body)
		}
	}
	// Chunk 3 is cut off half-way.
	req, _ := http.NewRequest("PUT", f.srv.URL+"/api/uploads/"+id, &dropAfter{r: bytes.NewReader(data[3*MinChunk : 4*MinChunk]), n: MinChunk / 2})
	req.ContentLength = MinChunk
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", 3*MinChunk, 4*MinChunk-1, len(data)))
	if res, err := f.srv.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("cut-off chunk answered %d", res.StatusCode)
	}
	// The server restarts; a new client asks where to go on.
	f.open(nil)
	head := f.do("HEAD", "/api/uploads/"+id, nil, nil)
	if head.status != 200 || offsetOf(t, head) != 3*MinChunk {
		t.Fatalf("HEAD after drop and restart: %d, offset %q", head.status, head.header.Get(HeaderOffset))
	}
	for off := int64(3 * MinChunk); off < int64(len(data)); {
		res := f.put(id, data, off, min(off+MinChunk, int64(len(data)))-1, "")
		if res.status != 204 {
			t.Fatalf("resumed chunk at %d: %d %s", off, res.status, res.body)
		}
		off = offsetOf(t, res)
	}
	if !sameBytes(f.rc.get(id), data) {
		t.Fatal("resumed upload differs from the file")
	}
	scanForCanary(t, f.dir)
}

func TestDuplicateChunkIsNoOp(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(2*MinChunk + 1)
	id := f.create(int64(len(data)), "")
	for range 3 {
		res := f.put(id, data, 0, MinChunk-1, "")
		if res.status != 204 || offsetOf(t, res) != MinChunk {
			t.Fatalf("chunk 0 again: %d offset %q", res.status, res.header.Get(HeaderOffset))
		}
	}
	f.put(id, data, MinChunk, 2*MinChunk-1, "")
	f.put(id, data, 0, MinChunk-1, "") // an old retry arriving late
	res := f.put(id, data, 2*MinChunk, 2*MinChunk, "")
	if res.status != 204 || res.header.Get(HeaderComplete) != "1" {
		t.Fatalf("last chunk: %d %s", res.status, res.body)
	}
	if !sameBytes(f.rc.get(id), data) {
		t.Fatal("duplicates changed the file")
	}
}

func TestOutOfOrderChunkConflict(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(4 * MinChunk)
	id := f.create(int64(len(data)), "")
	res := f.put(id, data, 2*MinChunk, 3*MinChunk-1, "")
	if res.status != http.StatusConflict || offsetOf(t, res) != 0 {
		t.Fatalf("chunk ahead of the offset: %d, offset %q", res.status, res.header.Get(HeaderOffset))
	}
	f.put(id, data, 0, MinChunk-1, "")
	// Overlapping the offset without starting at it.
	res = f.put(id, data, MinChunk/2, MinChunk/2+MinChunk-1, "")
	if res.status != http.StatusConflict || offsetOf(t, res) != MinChunk {
		t.Fatalf("overlapping chunk: %d, offset %q", res.status, res.header.Get(HeaderOffset))
	}
	if n := chunkFiles(t, f.dir, id); n != 1 {
		t.Fatalf("%d chunk files staged, want 1", n)
	}
}

func TestRefusedRequests(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxSize = 10 * MinChunk })
	data := testData(3 * MinChunk)
	id := f.create(int64(len(data)), "")
	rangeHdr := func(a, b, total int64) map[string]string {
		return map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/%d", a, b, total)}
	}
	big := make([]byte, MaxChunk+1)
	cases := []struct {
		name   string
		method string
		header map[string]string
		body   io.Reader
		want   int
	}{
		{"create too large", "POST", nil, strings.NewReader(fmt.Sprintf(`{"size": %d}`, 10*MinChunk+1)), 400},
		{"create empty file", "POST", nil, strings.NewReader(`{"size": 0}`), 400},
		{"create negative", "POST", nil, strings.NewReader(`{"size": -5}`), 400},
		{"create unknown field", "POST", nil, strings.NewReader(`{"size": 5, "name": "abu-x.mp4"}`), 400},
		{"create two objects", "POST", nil, strings.NewReader(`{"size": 5} {"size": 6}`), 400},
		{"create bad type", "POST", nil, strings.NewReader(`{"size": 5, "contentType": "text/html; charset=x"}`), 400},
		{"create huge body", "POST", nil, strings.NewReader(`{"size": 5, "contentType": "` + strings.Repeat("a", 5000) + `"}`), 400},
		{"wrong total", "PUT", rangeHdr(0, MinChunk-1, int64(len(data))+1), bytes.NewReader(data[:MinChunk]), 400},
		{"no range", "PUT", nil, bytes.NewReader(data[:MinChunk]), 400},
		{"chunk over the maximum", "PUT", rangeHdr(0, MaxChunk, 20*MinChunk), bytes.NewReader(big), 400},
		{"small chunk not last", "PUT", rangeHdr(0, 999, int64(len(data))), bytes.NewReader(data[:1000]), 400},
		{"body shorter than range", "PUT", rangeHdr(0, MinChunk-1, int64(len(data))), io.MultiReader(bytes.NewReader(data[:100])), 400},
		{"body longer than range", "PUT", rangeHdr(0, MinChunk-1, int64(len(data))), io.MultiReader(bytes.NewReader(data[:MinChunk+100])), 400},
		{"range past total", "PUT", rangeHdr(0, int64(len(data)), int64(len(data))), bytes.NewReader(data[:MinChunk]), 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/uploads"
			if tc.method == "PUT" {
				path += "/" + id
			}
			if res := f.do(tc.method, path, tc.header, tc.body); res.status != tc.want {
				t.Fatalf("status %d, want %d: %s", res.status, tc.want, res.body)
			}
		})
	}
	// None of it moved the upload.
	if head := f.do("HEAD", "/api/uploads/"+id, nil, nil); offsetOf(t, head) != 0 {
		t.Fatalf("offset moved to %s by refused requests", head.header.Get(HeaderOffset))
	}
	if n := scanForCanary(t, f.dir); n != 1 {
		t.Fatalf("%d files staged, want only the description", n)
	}
}

func TestUnknownAndForeignUploads(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxActivePerOwner = 2 })
	data := testData(MinChunk)
	id := f.create(int64(len(data)), "alice")
	for _, path := range []string{"/api/uploads/" + id, "/api/uploads/aaaaaaaaaaaaaaaaaaaaaaaaaa", "/api/uploads/..%2f..%2fetc", "/api/uploads/" + strings.ToUpper(id)} {
		for _, method := range []string{"HEAD", "PUT", "DELETE"} {
			h := map[string]string{"X-Test-Owner": "mallory", "Content-Range": fmt.Sprintf("bytes 0-%d/%d", len(data)-1, len(data))}
			if res := f.do(method, path, h, bytes.NewReader(data)); res.status != http.StatusNotFound {
				t.Errorf("%s %s by another owner: %d, want 404", method, path, res.status)
			}
		}
	}
	f.create(10, "alice")
	res := f.do("POST", "/api/uploads", map[string]string{"X-Test-Owner": "alice"}, strings.NewReader(`{"size": 10}`))
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("third upload under way: %d, want 429", res.status)
	}
	f.create(10, "bob") // the limit is per owner
	// Cancelling frees a place and deletes the bytes.
	if res := f.do("DELETE", "/api/uploads/"+id, map[string]string{"X-Test-Owner": "alice"}, nil); res.status != 204 {
		t.Fatalf("cancel: %d", res.status)
	}
	if _, err := os.Stat(filepath.Join(f.dir, id)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("cancelled upload left files")
	}
	f.create(10, "alice")
}

func TestExpirySweep(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(2 * MinChunk)
	old := f.create(int64(len(data)), "")
	f.put(old, data, 0, MinChunk-1, "")
	f.clock.add(23 * time.Hour)
	fresh := f.create(10, "")
	f.clock.add(time.Hour)
	if res := f.put(old, data, MinChunk, 2*MinChunk-1, ""); res.status != http.StatusNotFound {
		t.Fatalf("chunk to an expired upload: %d, want 404", res.status)
	}
	n, err := f.u.Sweep(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, old)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("expired upload's files kept")
	}
	if head := f.do("HEAD", "/api/uploads/"+fresh, nil, nil); head.status != 200 {
		t.Fatalf("fresh upload swept: %d", head.status)
	}
	// Swept uploads stay gone after a restart.
	f.open(nil)
	if head := f.do("HEAD", "/api/uploads/"+old, nil, nil); head.status != 404 {
		t.Fatalf("swept upload back after restart: %d", head.status)
	}
}

func TestFailedHandOverIsRetried(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(MinChunk + 10)
	id := f.create(int64(len(data)), "")
	f.put(id, data, 0, MinChunk-1, "")
	f.rc.fail = errs.E(errs.Invalid, "not a video")
	res := f.put(id, data, MinChunk, int64(len(data))-1, "")
	if res.status != 400 || res.header.Get(HeaderComplete) != "" {
		t.Fatalf("failed hand-over answered %d %v", res.status, res.header)
	}
	head := f.do("HEAD", "/api/uploads/"+id, nil, nil)
	if offsetOf(t, head) != int64(len(data)) || head.header.Get(HeaderComplete) != "" {
		t.Fatalf("after failed hand-over: %v", head.header)
	}
	f.rc.fail = nil
	f.open(nil) // and across a restart
	res = f.put(id, data, MinChunk, int64(len(data))-1, "")
	if res.status != 204 || res.header.Get(HeaderComplete) != "1" {
		t.Fatalf("retried hand-over: %d %s", res.status, res.body)
	}
	if !sameBytes(f.rc.get(id), data) || f.rc.calls != 2 {
		t.Fatalf("retry handed over wrong bytes or %d calls", f.rc.calls)
	}
}

// TestStagedChunkMovedFails swaps a staged chunk for one of another upload: the
// hand-over reads it under the wrong key and associated data and fails.
func TestStagedChunkMovedFails(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(MinChunk + 10)
	other := testData(MinChunk + 10)
	a := f.create(int64(len(data)), "")
	b := f.create(int64(len(other)), "")
	f.put(a, data, 0, MinChunk-1, "")
	f.put(b, other, 0, MinChunk-1, "")
	name := fmt.Sprintf("c-%020d-%020d", 0, MinChunk-1)
	foreign, err := os.ReadFile(filepath.Join(f.dir, b, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, a, name), foreign, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := f.put(a, data, MinChunk, int64(len(data))-1, ""); res.status != 500 {
		t.Fatalf("hand-over of a tampered upload: %d, want 500", res.status)
	}
	if f.rc.get(a) != nil {
		t.Fatal("tampered upload handed over")
	}
}

func TestRestartClearsLeftovers(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(2 * MinChunk)
	id := f.create(int64(len(data)), "")
	f.put(id, data, 0, MinChunk-1, "")
	// A crash left a half-written temporary file and a directory without description.
	os.WriteFile(filepath.Join(f.dir, id, ".put-crashed"), []byte("partial"), 0o600)
	orphan := filepath.Join(f.dir, "bbbbbbbbbbbbbbbbbbbbbbbbbb")
	os.MkdirAll(orphan, 0o700)
	os.WriteFile(filepath.Join(orphan, fmt.Sprintf("c-%020d-%020d", 0, 9)), []byte("x"), 0o600)
	f.open(nil)
	if _, err := os.Stat(filepath.Join(f.dir, id, ".put-crashed")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("temporary file kept across restart")
	}
	if _, err := os.Stat(orphan); !errors.Is(err, fs.ErrNotExist) {
		t.Error("chunks without a description kept")
	}
	if head := f.do("HEAD", "/api/uploads/"+id, nil, nil); offsetOf(t, head) != MinChunk {
		t.Fatalf("offset after restart %s", head.header.Get(HeaderOffset))
	}
}

func TestParseContentRange(t *testing.T) {
	good := map[string][3]int64{
		"bytes 0-0/1":                 {0, 0, 1},
		"bytes 0-1048575/8589934592":  {0, 1048575, 8589934592},
		"bytes 5-9/10":                {5, 9, 10},
		"bytes 0-99999999999999/1e18": {},
	}
	for in, want := range good {
		a, b, total, err := ParseContentRange(in)
		if want == ([3]int64{}) {
			if err == nil {
				t.Errorf("%q accepted", in)
			}
			continue
		}
		if err != nil || [3]int64{a, b, total} != want {
			t.Errorf("%q = %d %d %d %v", in, a, b, total, err)
		}
	}
	for _, in := range []string{"", "bytes", "bytes */10", "bytes 1-0/10", "bytes 0-10/10", "bytes -1-5/10", "bytes +1-5/10",
		"bytes 0 -5/10", "bytes 0-5/ 10", "Bytes 0-5/10", "bytes 0-5/10 ", "bytes 0x1-5/10", "bytes 0-5", "bytes 0-5/*",
		"bytes 0-5/10/11", "bytes 1_0-20/30", "bytes 9999999999999999999-1/2", "bytes 0-5/١٠"} {
		if _, _, _, err := ParseContentRange(in); !errs.Is(err, errs.Invalid) {
			t.Errorf("%q: %v, want Invalid", in, err)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-0/1", "bytes 5-9/10", "bytes 0-1048575/8589934592", "bytes */10", "bytes 1-0/10", "bytes 0-5/10 ", "bytes 999999999999999999-999999999999999999/999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, b, total, err := ParseContentRange(s)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("%q: error of kind %v", s, errs.KindOf(err))
			}
			return
		}
		if a < 0 || a > b || b >= total {
			t.Fatalf("%q accepted as %d-%d/%d", s, a, b, total)
		}
		// Strict: only the canonical spelling parses (bar leading zeros).
		canon := fmt.Sprintf("bytes %d-%d/%d", a, b, total)
		if stripZeros(s) != canon {
			t.Fatalf("%q accepted but is not canonical (%q)", s, canon)
		}
	})
}

// stripZeros removes leading zeros of each number in a Content-Range.
func stripZeros(s string) string {
	var out strings.Builder
	prevDigit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		isDigit := '0' <= c && c <= '9'
		if c == '0' && !prevDigit && i+1 < len(s) && '0' <= s[i+1] && s[i+1] <= '9' {
			continue
		}
		prevDigit = isDigit
		out.WriteByte(c)
	}
	return out.String()
}

func TestConcurrentSameChunk(t *testing.T) {
	f := newFixture(t, nil)
	data := testData(2 * MinChunk)
	id := f.create(int64(len(data)), "")
	results := make(chan response, 4)
	for range 4 {
		go func() { results <- f.put(id, data, 0, MinChunk-1, "") }()
	}
	for range 4 {
		if res := <-results; res.status != 204 || offsetOf(t, res) != MinChunk {
			t.Fatalf("concurrent duplicate: %d %s", res.status, res.body)
		}
	}
	if n := chunkFiles(t, f.dir, id); n != 1 {
		t.Fatalf("%d chunk files, want 1", n)
	}
	f.put(id, data, MinChunk, 2*MinChunk-1, "")
	if !sameBytes(f.rc.get(id), data) {
		t.Fatal("concurrent duplicates corrupted the file")
	}
}
