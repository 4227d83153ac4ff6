// Package backup writes a consistent, portable backup of the whole database to one
// file and restores it into an empty database, on SQLite and PostgreSQL and across
// them (export from SQLite, restore into PostgreSQL, and back).
//
// The file is gzip-compressed JSON lines:
//
//	{"format":"inoculate-backup","version":1,"created_at":…,"dialect":…,"schema_version":…}
//	{"table":"tenants","columns":["id","slug",…]}
//	[{"s":"…"},{"i":1700000000000},null,{"b":"base64…"},{"t":true},{"f":31.5}]   one line per row
//	…                                                                  next table, rows…
//	{"counts":{"tenants":2,…},"sha256":"hex of every preceding line"}
//
// Values are typed (integer, string, bytes, boolean, null) so ciphertexts and
// millisecond times round-trip exactly; booleans, stored as INTEGER 0/1 by SQLite and
// BOOLEAN by PostgreSQL, are converted to what the destination column needs.
//
// What a backup holds, and what it does not: every table in Tables — ciphertexts of
// identity fields, wrapped data keys, aliases, password hashes, the audit log. It does
// NOT hold the key file whose keys unwrap the data keys: the two must be kept apart,
// and the backup file itself must be encrypted to offline custodians (SECURITY.md P41).
// Because a backup taken before an erasure brings the erased subject's data key back,
// run the vault's ApplyTombstones after every restore, before serving (P31).
package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// Tables lists, in restore order (parents before children), every table a backup holds.
var Tables = []string{
	"tenants", "jobs", "users", "api_tokens", "data_keys", "audit_entries", "audit_head", "audit_checkpoints",
	"teams", "team_members", "returnees", "identity_reveals", "pipeline_moves", "identity_access_requests", "erasure_requests",
	"legal_screenings", "legal_offences", "legal_referrals", "legal_agreements", "legal_obligations",
	"legal_agreement_events", "legal_signatures", "legal_documents",
	"consent_versions", "events",
	"assessments", "assessment_settings", "safety_plans", "wellbeing_checkins", "wellbeing_dues",
	"relatives", "relative_versions", "family_reveals", "mentor_assignments", "milestones",
	"communities", "community_authorities", "community_partners", "community_partner_contacts",
	"community_figures", "community_reveals",
	"channels", "engagements", "engagement_speakers", "engagement_approvals", "engagement_events",
	"engagement_media", "engagement_coverage", "engagement_debriefs", "calendar_feeds", "engagement_settings",
	"survey_links", "survey_responses",
	"audience_cells", "channel_reach", "channel_pickups", "reach_options", "reach_plans", "reach_plan_items",
	"testimonies", "testimony_segments", "testimony_flags", "testimony_clips", "testimony_recordings", "testimony_renditions",
	"rendition_reviews", "rendition_releases", "publications", "takedown_tasks",
}

// Skipped lists tables deliberately left out of backups, with the reason. Every table
// of the live schema must be in Tables or here: Write refuses otherwise, so a new
// table can never be silently missing from backups.
var Skipped = map[string]string{
	"sessions":         "a restore must not revive sign-ins: everyone signs in again",
	"login_failures":   "transient throttle state, worthless after a restore",
	"setup_links":      "one-time links must not come back to life",
	"goose_db_version": "the migrations own it: the destination is migrated before a restore",
}

// Manifest describes a backup: where it came from and what it holds.
type Manifest struct {
	Format        string           `json:"format"`
	Version       int              `json:"version"`
	CreatedAt     time.Time        `json:"created_at"`
	Dialect       string           `json:"dialect"`
	SchemaVersion int64            `json:"schema_version"`
	Tables        map[string]int64 `json:"tables"` // row counts
	SHA256        string           `json:"sha256"` // hex SHA-256 of the row stream (every line before the trailer)
}

// Errors a caller may want to tell apart; both carry an errs.Kind.
var (
	// ErrCorrupt: the file is truncated, damaged or not a backup. Nothing was restored.
	ErrCorrupt = errs.E(errs.Invalid, "the backup file is corrupt, truncated or not an Inoculate backup")
	// ErrNotEmpty: Restore only fills a freshly migrated, empty database.
	ErrNotEmpty = errs.E(errs.Conflict, "the database is not empty: restore only into a fresh database")
)

const (
	formatName    = "inoculate-backup"
	formatVersion = 1

	// maxLine bounds one line, both when writing and reading, so a backup that Write
	// accepts can always be read back, and a hostile file cannot exhaust memory.
	maxLine = 256 << 20
)

// header is the first line of a backup.
type header struct {
	Format        string    `json:"format"`
	Version       int       `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	Dialect       string    `json:"dialect"`
	SchemaVersion int64     `json:"schema_version"`
}

// tableLine starts the rows of one table.
type tableLine struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
}

// trailer is the last line: what a reader must have seen.
type trailer struct {
	Counts map[string]int64 `json:"counts"`
	SHA256 string           `json:"sha256"`
}

// Write writes a backup of the whole database to w, from one consistent snapshot, and
// returns its manifest. w receives gzip data; the caller owns where it goes (prefer
// WriteFile, which makes the file private and never leaves a half-written backup).
func Write(ctx context.Context, db *store.DB, w io.Writer) (Manifest, error) {
	// Migrations only run at start-up, so the version cannot change under the snapshot.
	current, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: read the schema version: %w", err)
	}
	m := Manifest{
		Format:        formatName,
		Version:       formatVersion,
		CreatedAt:     time.Now().UTC(),
		Dialect:       string(db.Dialect()),
		SchemaVersion: current,
		Tables:        make(map[string]int64, len(Tables)),
	}
	gz := gzip.NewWriter(w) // no name or time in the gzip header: nothing to leak
	e := &encoder{w: bufio.NewWriterSize(gz, 256<<10), h: sha256.New()}

	err = snapshot(ctx, db, func(q store.Querier) error {
		if err := checkCoverage(ctx, q); err != nil {
			return err
		}
		hb, err := json.Marshal(header{Format: m.Format, Version: m.Version, CreatedAt: m.CreatedAt, Dialect: m.Dialect, SchemaVersion: m.SchemaVersion})
		if err != nil {
			return fmt.Errorf("encode the header: %w", err)
		}
		if err := e.line(hb); err != nil {
			return err
		}
		for _, t := range Tables {
			n, err := writeTable(ctx, q, e, t)
			if err != nil {
				return fmt.Errorf("table %s: %w", t, err)
			}
			m.Tables[t] = n
		}
		return nil
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: write: %w", err)
	}
	m.SHA256 = hex.EncodeToString(e.h.Sum(nil))
	tb, err := json.Marshal(trailer{Counts: m.Tables, SHA256: m.SHA256})
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: encode the trailer: %w", err)
	}
	tb = append(tb, '\n')
	if _, err := e.w.Write(tb); err != nil {
		return Manifest{}, fmt.Errorf("backup: write the trailer: %w", err)
	}
	if err := e.w.Flush(); err != nil {
		return Manifest{}, fmt.Errorf("backup: write: %w", err)
	}
	if err := gz.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: finish the gzip stream: %w", err)
	}
	return m, nil
}

// snapshot runs fn in one read transaction that sees a single consistent state of
// the database without making writers wait (store.DB.ReadTx).
func snapshot(ctx context.Context, db *store.DB, fn func(q store.Querier) error) error {
	return db.ReadTx(ctx, fn)
}

// liveTables lists the tables of the database's schema (the current schema for
// PostgreSQL), SQLite's own tables excepted.
func liveTables(ctx context.Context, q store.Querier) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	if q.Dialect() == store.Postgres {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	rows, err := q.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// checkCoverage refuses to back up a database holding a table that is neither in
// Tables nor in Skipped: a backup silently missing a new table would lose its data on
// the day it is needed.
func checkCoverage(ctx context.Context, q store.Querier) error {
	names, err := liveTables(ctx, q)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, skip := Skipped[n]; !skip && !slices.Contains(Tables, n) {
			return fmt.Errorf("table %s is neither backed up nor deliberately skipped: add it to backup.Tables (or backup.Skipped, with the reason)", n)
		}
	}
	return nil
}

// quoteIdent quotes an SQL identifier for both dialects.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// columnsOf returns the column names and database type names of a table, without
// reading any row. The names come from the database, never from a backup file.
func columnsOf(ctx context.Context, q store.Querier, table string) ([]string, []string, error) {
	rows, err := q.Query(ctx, "SELECT * FROM "+quoteIdent(table)+" WHERE 1=0")
	if err != nil {
		return nil, nil, fmt.Errorf("read the columns of table %s: %w", table, err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, fmt.Errorf("read the column types of table %s: %w", table, err)
	}
	names := make([]string, len(cts))
	types := make([]string, len(cts))
	for i, ct := range cts {
		names[i], types[i] = ct.Name(), strings.ToUpper(ct.DatabaseTypeName())
	}
	return names, types, rows.Close()
}

// writeTable writes the table line and every row of table, returning the row count.
func writeTable(ctx context.Context, q store.Querier, e *encoder, table string) (int64, error) {
	cols, _, err := columnsOf(ctx, q, table)
	if err != nil {
		return 0, err
	}
	if len(cols) == 0 {
		return 0, errors.New("the table has no columns")
	}
	tl, err := json.Marshal(tableLine{Table: table, Columns: cols})
	if err != nil {
		return 0, fmt.Errorf("encode the table line: %w", err)
	}
	if err := e.line(tl); err != nil {
		return 0, err
	}

	// With SQLite, read every value raw, with its storage class: the driver otherwise
	// turns time-looking text into time.Time and 0/1 into bool for some declared
	// types, which would not round-trip exactly. Text is read as a BLOB (the same
	// bytes) and typeof says it was text.
	sqlite := q.Dialect() == store.SQLite
	exprs := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		qc := quoteIdent(c)
		if sqlite {
			exprs = append(exprs, "typeof("+qc+")", "CASE WHEN typeof("+qc+") = 'text' THEN CAST("+qc+" AS BLOB) ELSE "+qc+" END")
		} else {
			exprs = append(exprs, qc)
		}
	}
	rows, err := q.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+quoteIdent(table))
	if err != nil {
		return 0, fmt.Errorf("read rows: %w", err)
	}
	defer rows.Close()

	raw := make([]any, len(exprs))
	ptrs := make([]any, len(exprs))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	vals := make([]any, len(cols))
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("read row %d: %w", n+1, err)
		}
		for i, c := range cols {
			var v any
			if sqlite {
				v, err = sqliteValue(raw[2*i], raw[2*i+1])
			} else {
				v, err = portableValue(raw[i])
			}
			if err != nil {
				// Never the value itself: it may identify someone.
				return n, fmt.Errorf("row %d, column %s: %w", n+1, c, err)
			}
			vals[i] = v
		}
		if err := e.row(vals); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read rows: %w", err)
	}
	return n, nil
}

// sqliteValue turns a raw SQLite value and its storage class (typeof) into a
// portable value.
func sqliteValue(class, v any) (any, error) {
	cls, _ := class.(string)
	switch cls {
	case "null":
		return nil, nil
	case "integer":
		if i, ok := v.(int64); ok {
			return i, nil
		}
	case "text":
		if b, ok := v.([]byte); ok {
			return portableValue(string(b))
		}
	case "blob":
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	case "real":
		if f, ok := v.(float64); ok {
			return portableValue(f)
		}
	}
	return nil, fmt.Errorf("unexpected SQLite value of storage class %q (%T)", cls, v)
}

// portableValue checks v is one of the types the format carries exactly.
func portableValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, int64, bool:
		return x, nil
	case float64:
		// The shortest decimal that reads back as the same float64 carries it
		// exactly; NaN and infinities have no JSON form.
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("a floating-point value that is not a finite number")
		}
		return x, nil
	case []byte:
		if x == nil {
			x = []byte{} // typed nil is an empty value, not NULL
		}
		return x, nil
	case string:
		// JSON cannot carry invalid UTF-8: refuse rather than silently alter it.
		if !utf8.ValidString(x) {
			return nil, errors.New("text that is not valid UTF-8, which would not survive the backup unaltered")
		}
		return x, nil
	default:
		return nil, fmt.Errorf("a value of type %T, which the backup format cannot carry exactly", v)
	}
}

// encoder writes lines of the backup and hashes them.
type encoder struct {
	w   *bufio.Writer
	h   hash.Hash
	buf []byte
}

// line writes b and a newline, and hashes both.
func (e *encoder) line(b []byte) error {
	if len(b)+1 > maxLine {
		return fmt.Errorf("a line of %d bytes exceeds the format's limit of %d", len(b)+1, maxLine)
	}
	e.h.Write(b)
	e.h.Write([]byte{'\n'})
	if _, err := e.w.Write(b); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := e.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// row writes one row of portable values.
func (e *encoder) row(vals []any) error {
	b := append(e.buf[:0], '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		switch x := v.(type) {
		case nil:
			b = append(b, "null"...)
		case int64:
			b = append(b, `{"i":`...)
			b = strconv.AppendInt(b, x, 10)
			b = append(b, '}')
		case bool:
			b = append(b, `{"t":`...)
			b = strconv.AppendBool(b, x)
			b = append(b, '}')
		case float64:
			b = append(b, `{"f":`...)
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
			b = append(b, '}')
		case []byte:
			b = append(b, `{"b":"`...)
			b = base64.StdEncoding.AppendEncode(b, x)
			b = append(b, `"}`...)
		case string:
			b = append(b, `{"s":`...)
			b = appendJSONString(b, x)
			b = append(b, '}')
		default:
			return fmt.Errorf("internal: unexpected value type %T", v)
		}
	}
	b = append(b, ']')
	e.buf = b
	return e.line(b)
}

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			b = append(b, c) // valid UTF-8 passes through as is
		}
	}
	return append(b, '"')
}

// WriteFile writes a backup to path, readable by its owner only (0600). It writes a
// temporary file in the same directory, syncs it, reads it back to check it, and only
// then renames it to path: a crash or a full disk never leaves a half-written backup
// under the final name.
func WriteFile(ctx context.Context, db *store.DB, path string) (m Manifest, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".partial-*")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: create a temporary file next to %s: %w", path, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600; say so explicitly, whatever a future Go does.
	if err = f.Chmod(0o600); err != nil {
		return Manifest{}, fmt.Errorf("backup: make %s private: %w", tmp, err)
	}
	if m, err = Write(ctx, db, f); err != nil {
		return Manifest{}, err
	}
	if err = f.Sync(); err != nil {
		return Manifest{}, fmt.Errorf("backup: sync %s: %w", tmp, err)
	}
	// Read back what was written: a backup that cannot be restored is worse than none,
	// because it is trusted until the day it is needed.
	if _, err = f.Seek(0, io.SeekStart); err != nil {
		return Manifest{}, fmt.Errorf("backup: rewind %s: %w", tmp, err)
	}
	got, err := ReadManifest(bufio.NewReader(f))
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: check %s after writing: %w", tmp, err)
	}
	if got.SHA256 != m.SHA256 || !maps.Equal(got.Tables, m.Tables) {
		return Manifest{}, fmt.Errorf("backup: %s does not read back as written", tmp)
	}
	closed = true
	if err = f.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return Manifest{}, fmt.Errorf("backup: rename to %s: %w", path, err)
	}
	// Make the rename itself durable. Past this point the backup is in place, so a
	// failure is reported but the file is not removed.
	if d, derr := os.Open(dir); derr == nil {
		derr = d.Sync()
		_ = d.Close()
		if derr != nil {
			return m, fmt.Errorf("backup: %s written, but syncing its directory failed: %w", path, derr)
		}
	} else {
		return m, fmt.Errorf("backup: %s written, but opening its directory to sync it failed: %w", path, derr)
	}
	return m, nil
}
