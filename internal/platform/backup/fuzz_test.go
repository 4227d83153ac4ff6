package backup

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"testing"
	"time"
)

// FuzzRestore feeds arbitrary bytes to ReadManifest (the gzip layer and everything
// under it) and to the line reader directly (so inputs reach the JSON lines without
// first having to be valid gzip). Neither may panic, and anything accepted must be
// accepted consistently.
func FuzzRestore(f *testing.F) {
	// Seeds are built without a database: under the fuzzer's coverage instrumentation
	// opening and migrating SQLite in every worker takes many seconds.
	data := synthetic(f)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		f.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(plain)
	f.Add(data[:len(data)/2])
	f.Add(plain[:len(plain)/3])
	f.Add([]byte{})
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"format":"inoculate-backup","version":1,"created_at":"2026-01-01T00:00:00Z","dialect":"sqlite","schema_version":2}` + "\n" +
		`{"table":"tenants","columns":["id"]}` + "\n" + `[{"s":"x"}]` + "\n" + `[null]` + "\n" + `[{"b":""}]` + "\n" +
		`{"counts":{"tenants":3},"sha256":"00"}` + "\n"))

	f.Fuzz(func(t *testing.T, in []byte) {
		if m, err := ReadManifest(bytes.NewReader(in)); err == nil {
			if m.Format != formatName || len(m.SHA256) != 64 {
				t.Fatalf("accepted with manifest %+v", m)
			}
		}
		m, err := readStream(bytes.NewReader(in), nopSink{})
		if err == nil {
			// Accepted plain lines must read back the same once compressed.
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(in)
			zw.Close()
			m2, err := ReadManifest(&buf)
			if err != nil || m2.SHA256 != m.SHA256 {
				t.Fatalf("plain accepted, gzip of it not: %v", err)
			}
		}
	})
}

// synthetic builds a valid backup of a few rows of every value type, without a database.
func synthetic(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	e := &encoder{w: bufio.NewWriter(zw), h: sha256.New()}
	hb, _ := json.Marshal(header{Format: formatName, Version: formatVersion, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Dialect: "sqlite", SchemaVersion: 2})
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.line(hb))
	counts := map[string]int64{}
	for _, tl := range []tableLine{
		{Table: "tenants", Columns: []string{"id", "slug", "name", "demo", "created_at"}},
		{Table: "data_keys", Columns: []string{"subject_id", "tenant_id", "kek_version", "wrapped", "created_at"}},
	} {
		b, _ := json.Marshal(tl)
		must(e.line(b))
		counts[tl.Table] = 2
		must(e.row([]any{"t1", "alpha", nastyText, true, int64(-1)}))
		must(e.row([]any{"t2", "", nil, false, []byte{}}))
	}
	b, _ := json.Marshal(trailer{Counts: counts, SHA256: hex.EncodeToString(e.h.Sum(nil))})
	e.w.Write(append(b, '\n'))
	must(e.w.Flush())
	must(zw.Close())
	if _, err := ReadManifest(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("synthetic backup: %v", err)
	}
	return buf.Bytes()
}
