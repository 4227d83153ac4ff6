package backup

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// openDialect returns a fresh migrated database of dialect d (skipping PostgreSQL when
// it is not configured).
func openDialect(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	if d == store.Postgres {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}

var dialects = []store.Dialect{store.SQLite, store.Postgres}

// allBytes is every byte value 0..255, the hardest ciphertext to carry.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// nastyText exercises JSON escaping: quotes, backslashes, controls, non-ASCII, U+2028.
const nastyText = "Alpha — ناجون 🌍 \"quoted\" back\\slash\nnew\rline\ttab\x01\x1f\x7f\u2028\u2029 <&>"

func mustExec(t testing.TB, q store.Querier, query string, args ...any) {
	t.Helper()
	if _, err := q.Exec(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// fill puts rows into every table of the schema, skipped ones included, inserting
// directly with SQL. Booleans are Go bools: SQLite stores them as 0/1.
// fixtureTables are the tables fill writes.
var fixtureTables = []string{"tenants", "users", "api_tokens", "data_keys", "audit_entries", "audit_head", "audit_checkpoints", "returnees", "identity_reveals"}

func fill(t testing.TB, db *store.DB) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		mustExec(t, tx, "INSERT INTO tenants (id, slug, name, demo, created_at) VALUES (?, ?, ?, ?, ?)", "t1", "alpha", nastyText, true, int64(1_700_000_000_123))
		mustExec(t, tx, "INSERT INTO tenants (id, slug, name, demo, created_at) VALUES (?, ?, ?, ?, ?)", "t2", "beta", "", false, int64(-1))

		users := "INSERT INTO users (id, tenant_id, name, role, password_hash, totp_secret, totp_last_step, totp_enrolled, disabled, demo, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		mustExec(t, tx, users, "u1", "t1", "amina", "admin", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g", allBytes(), int64(math.MaxInt64), true, false, true, int64(1_700_000_000_001))
		mustExec(t, tx, users, "u2", "t1", "bashir", "caseworker", "h2", nil, int64(0), false, true, false, int64(1_700_000_000_002))
		mustExec(t, tx, users, "u3", "t2", "chahid", "auditor", "h3", []byte{}, int64(math.MinInt64), true, true, true, int64(0))

		mustExec(t, tx, "INSERT INTO sessions (id_hash, tenant_id, user_id, stage, created_at, last_seen_at, auth_at) VALUES (?, ?, ?, ?, ?, ?, ?)", bytes.Repeat([]byte{7}, 32), "t1", "u1", "full", int64(1), int64(2), int64(3))
		tokens := "INSERT INTO api_tokens (id, tenant_id, user_id, token_hash, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
		mustExec(t, tx, tokens, "a1", "t1", "u1", bytes.Repeat([]byte{0xAB}, 32), int64(10), nil, int64(20))
		mustExec(t, tx, tokens, "a2", "t1", "u2", bytes.Repeat([]byte{0x00}, 32), int64(11), int64(12), nil)
		mustExec(t, tx, "INSERT INTO login_failures (account_key, at) VALUES (?, ?)", []byte("k"), int64(5))
		mustExec(t, tx, "INSERT INTO setup_links (token_hash, tenant_id, expires_at, used_at) VALUES (?, ?, ?, ?)", []byte("link"), "t1", int64(99), nil)

		keys := "INSERT INTO data_keys (subject_id, tenant_id, kek_version, wrapped, created_at) VALUES (?, ?, ?, ?, ?)"
		mustExec(t, tx, keys, "r1", "t1", int64(1), allBytes(), int64(30))
		mustExec(t, tx, keys, "u1", "t1", int64(math.MaxInt32), slices.Concat(allBytes(), allBytes()[:17]), int64(31))

		for seq := range 5 {
			tenant := "t1"
			if seq%2 == 0 {
				tenant = ""
			}
			leaf := fmt.Appendf(nil, `{"seq":%d,"kind":"test","nul":"\u0000"}`, seq)
			leaf = append(leaf, 0, 0xFF, '\n')
			mustExec(t, tx, "INSERT INTO audit_entries (seq, tenant_id, at, leaf) VALUES (?, ?, ?, ?)", int64(seq), tenant, int64(1_700_000_000_000+seq), leaf)
		}
		checkpoint := "inoculate.example/log\n5\nq2Vg0zQ2Kk3d0uV7Jc2s9g==\n\n— inoculate AbCd\n"
		mustExec(t, tx, "INSERT INTO audit_head (id, size, frontier, checkpoint) VALUES (?, ?, ?, ?)", int64(1), int64(5), allBytes()[:64], checkpoint)
		mustExec(t, tx, "INSERT INTO audit_checkpoints (size, checkpoint, created_at) VALUES (?, ?, ?)", int64(5), checkpoint, int64(40))

		returnees := "INSERT INTO returnees (id, tenant_id, alias, legal_name, birth_date, phone, address, created_by, created_at, erased_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		mustExec(t, tx, returnees, "r1", "t1", "Abu Sayf", allBytes(), []byte{1}, []byte{}, bytes.Repeat([]byte{0xFE}, 300), "u1", int64(50), nil)
		mustExec(t, tx, returnees, "r2", "t1", "Umm Layla", nil, nil, nil, nil, "u2", int64(51), int64(52))
		mustExec(t, tx, "INSERT INTO identity_reveals (id, tenant_id, returnee_id, user_id, reason, audit_seq, at) VALUES (?, ?, ?, ?, ?, ?, ?)", "v1", "t1", "r1", "u1", allBytes(), int64(3), int64(60))
		return nil
	})
	if err != nil {
		t.Fatalf("fill: %v", err)
	}
}

// dump reads every row of table as sorted canonical strings. Booleans and 0/1
// integers print alike, so stores of different dialects compare equal exactly when
// every value round-tripped; text and bytes stay distinct.
func dump(t testing.TB, db *store.DB, table string) []string {
	t.Helper()
	rows, err := db.Reader().Query(context.Background(), "SELECT * FROM "+quoteIdent(table))
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			var s string
			switch x := v.(type) {
			case nil:
				s = "NULL"
			case int64:
				s = "i:" + strconv.FormatInt(x, 10)
			case bool:
				s = "i:0"
				if x {
					s = "i:1"
				}
			case string:
				s = "s:" + strconv.Quote(x)
			case []byte:
				s = "b:" + hex.EncodeToString(x)
			default:
				t.Fatalf("dump %s.%s: unexpected %T", table, cols[i], v)
			}
			parts[i] = cols[i] + "=" + s
		}
		slices.Sort(parts)
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	slices.Sort(out)
	return out
}

// assertEmpty fails unless every table of a backup is empty in db.
func assertEmpty(t testing.TB, db *store.DB) {
	t.Helper()
	for _, table := range Tables {
		if rows := dump(t, db, table); len(rows) != 0 {
			t.Fatalf("table %s has %d rows; want the database untouched", table, len(rows))
		}
	}
}

// backupOf writes a backup of db into memory.
func backupOf(t testing.TB, db *store.DB) ([]byte, Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := Write(context.Background(), db, &buf)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes(), m
}

// lines returns the uncompressed lines of a backup, without their newlines.
func lines(t testing.TB, data []byte) [][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	ls := bytes.Split(bytes.TrimSuffix(plain, []byte("\n")), []byte("\n"))
	return ls
}

// pack joins lines into a gzip backup. With resign, the trailer's SHA-256 is
// recomputed, as a forger (or a bug) would, so only the other checks stand.
func pack(t testing.TB, ls [][]byte, resign bool) []byte {
	t.Helper()
	ls = slices.Clone(ls)
	if resign {
		h := sha256.New()
		for _, l := range ls[:len(ls)-1] {
			h.Write(l)
			h.Write([]byte{'\n'})
		}
		var tr trailer
		if err := json.Unmarshal(ls[len(ls)-1], &tr); err != nil {
			t.Fatalf("trailer: %v", err)
		}
		tr.SHA256 = hex.EncodeToString(h.Sum(nil))
		ls[len(ls)-1], _ = json.Marshal(tr)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, l := range ls {
		zw.Write(l)
		zw.Write([]byte{'\n'})
	}
	zw.Close()
	return buf.Bytes()
}

// indexOf returns the index of the first line with prefix p.
func indexOf(t testing.TB, ls [][]byte, p string) int {
	t.Helper()
	for i, l := range ls {
		if bytes.HasPrefix(l, []byte(p)) {
			return i
		}
	}
	t.Fatalf("no line starts with %s", p)
	return -1
}
