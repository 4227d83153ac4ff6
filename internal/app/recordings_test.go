package app_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/upload"
)

// wav makes a small WAV file: what the recordings accept by content.
func wav(n int) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(n))
	for i := range n {
		b.WriteByte(byte(i * 7))
	}
	return b.Bytes()
}

// TestRecordingUpload: a communications officer uploads a recording in chunks; it is
// stored sealed (its bytes appear nowhere on disk), a reviewer downloads exactly what
// was sent, and a file that is not audio or video is refused by its content.
func TestRecordingUpload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tm := f.testimony["A"]
		base := "/testimonies/" + tm.ID + "/uploads"
		put := func(body []byte, role authz.Role) (int, string) {
			t.Helper()
			res := f.doJSON("POST", base, fmt.Sprintf(`{"size": %d, "contentType": "audio/wav"}`, len(body)), "A", role)
			if res.status != http.StatusCreated {
				t.Fatalf("create: %d %s", res.status, res.body)
			}
			var c struct {
				ID        string `json:"id"`
				ChunkSize int    `json:"chunkSize"`
			}
			_ = json.Unmarshal([]byte(res.body), &c)
			status := 0
			for a := 0; a < len(body); a += c.ChunkSize {
				b := min(a+c.ChunkSize, len(body))
				r := f.do("PUT", base+"/"+c.ID, string(body[a:b]), "A", role, map[string]string{
					"Content-Range": fmt.Sprintf("bytes %d-%d/%d", a, b-1, len(body)), "Content-Type": "application/octet-stream"})
				status = r.status
				if r.status != http.StatusNoContent {
					return r.status, c.ID
				}
			}
			return status, c.ID
		}
		marker := []byte("UNIQUE-RECORDING-MARKER-0123456789")
		body := append(wav(upload.MinChunk+1000), marker...)
		if status, _ := put(body, authz.CommsOfficer); status != http.StatusNoContent {
			t.Fatalf("upload: %d", status)
		}
		recs, err := f.app.Testimonies.Recordings(context.Background(), f.ten["A"].ID, tm.ID)
		if err != nil || len(recs) != 1 || recs[0].Kind != "wav" || recs[0].Size != int64(len(body)) {
			t.Fatalf("recordings: %+v %v", recs, err)
		}
		// Nothing on disk holds the recording in clear.
		filepath.WalkDir(f.dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(path); bytes.Contains(b, marker) {
					t.Errorf("%s holds the recording in clear", path)
				}
			}
			return nil
		})
		res := f.do("GET", "/testimonies/"+tm.ID+"/recordings/"+recs[0].ID, "", "A", authz.SafetyOfficer, nil)
		if res.status != http.StatusOK || res.body != string(body) || !strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %d, %d bytes, %q", res.status, len(res.body), res.header.Get("Content-Disposition"))
		}
		// Not a recording: refused by its content whatever it claims to be.
		html := []byte("<!doctype html><script>alert(1)</script>" + strings.Repeat(" ", upload.MinChunk))
		if status, _ := put(html, authz.CommsOfficer); status == http.StatusNoContent {
			t.Fatal("an HTML file was accepted as a recording")
		}
		if recs, _ := f.app.Testimonies.Recordings(context.Background(), f.ten["A"].ID, tm.ID); len(recs) != 1 {
			t.Fatalf("%d recordings after a refused file", len(recs))
		}
	})
}
