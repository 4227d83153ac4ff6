package backup

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

// ReadManifest reads a whole backup, checking its structure, row counts, SHA-256 and
// gzip checksum, and returns its manifest. It touches no database: use it to verify a
// backup (a restore drill starts here).
func ReadManifest(r io.Reader) (Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: read manifest: %w", streamErr(err))
	}
	defer gz.Close()
	m, err := readStream(gz, nopSink{})
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: read manifest: %w", err)
	}
	return m, nil
}

// RestoreFile restores the backup at path; see Restore. It reads the file twice: a
// first pass verifies it whole (ReadManifest), so damage is reported as damage, not
// as whatever constraint a damaged row would have broken; the restore itself checks
// everything again.
func RestoreFile(ctx context.Context, db *store.DB, path string) (Manifest, error) {
	verify := func() (Manifest, error) {
		f, err := os.Open(path)
		if err != nil {
			return Manifest{}, fmt.Errorf("backup: open %s: %w", path, err)
		}
		defer f.Close()
		m, err := ReadManifest(bufio.NewReaderSize(f, 256<<10))
		if err != nil {
			return Manifest{}, fmt.Errorf("%w (file %s)", err, path)
		}
		return m, nil
	}
	if _, err := verify(); err != nil {
		return Manifest{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: open %s: %w", path, err)
	}
	defer f.Close()
	m, err := Restore(ctx, db, bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return Manifest{}, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// Restore restores a backup into db, which must be migrated and empty (ErrNotEmpty
// otherwise) and at a schema version no older than the backup's. Every row goes in
// within one transaction, committed only after the whole file has been read and its
// row counts, SHA-256 and gzip checksum verified: a truncated or damaged file
// (ErrCorrupt) leaves the database untouched. Damage that still parses may surface
// first as the database refusing a row (RestoreFile verifies the file beforehand, so
// its errors say which). Afterwards, apply the vault's tombstones before serving
// (SECURITY.md P31).
func Restore(ctx context.Context, db *store.DB, r io.Reader) (Manifest, error) {
	// Asked before the transaction: with SQLite it holds the only write connection,
	// which SchemaVersion also needs.
	current, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: restore: read the schema version: %w", err)
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: restore: %w", streamErr(err))
	}
	defer gz.Close()
	var m Manifest
	err = db.InTx(ctx, func(tx *store.Tx) error {
		rs := &restorer{ctx: ctx, q: tx, current: current, sqlCache: map[int]string{}}
		var err error
		m, err = readStream(gz, rs)
		return err
	})
	if err != nil && !errors.Is(err, ErrCorrupt) {
		// Damage that still parsed can look like a schema difference or a refused
		// row: read the rest, and if the gzip layer finds damage, say that instead.
		if _, derr := io.Copy(io.Discard, gz); derr != nil {
			if serr := streamErr(derr); errors.Is(serr, ErrCorrupt) {
				err = serr
			}
		}
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: restore into the %s database: %w", db.Dialect(), err)
	}
	return m, nil
}

// corrupt reports a damaged file; detail must never quote a value.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// streamErr classifies an error of the gzip layer: damage is ErrCorrupt, anything else
// (an I/O error, a cancelled context) stays what it is.
func streamErr(err error) error {
	var ce flate.CorruptInputError
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &ce) {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return fmt.Errorf("read the backup: %w", err)
}

// sink receives a backup as readStream parses it.
type sink interface {
	header(h header) error
	table(name string, cols []string) error
	row(vals []any) error
	endTable() error
}

type nopSink struct{}

func (nopSink) header(header) error          { return nil }
func (nopSink) table(string, []string) error { return nil }
func (nopSink) row([]any) error              { return nil }
func (nopSink) endTable() error              { return nil }

// lineReader reads newline-terminated lines of at most maxLine bytes.
type lineReader struct {
	br  *bufio.Reader
	buf []byte
	n   int // number of the last line returned, for messages
}

// next returns the next line with its newline; it is valid until the following call.
// io.EOF means the stream ended cleanly between lines.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		if err == nil && len(lr.buf) == 0 {
			lr.n++
			return frag, nil // the common case: no copy
		}
		if len(lr.buf)+len(frag) > maxLine {
			return nil, corrupt("line %d is longer than %d bytes", lr.n+1, maxLine)
		}
		lr.buf = append(lr.buf, frag...)
		switch {
		case err == nil:
			lr.n++
			return lr.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(lr.buf) == 0 {
				return nil, io.EOF
			}
			return nil, corrupt("truncated: line %d is incomplete", lr.n+1)
		default:
			return nil, streamErr(err)
		}
	}
}

// strictDecode decodes one JSON value from b, refusing unknown fields and trailing data.
func strictDecode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// cell is one typed value of a row; exactly one field is set.
type cell struct {
	I *int64   `json:"i"`
	S *string  `json:"s"`
	B *[]byte  `json:"b"`
	T *bool    `json:"t"`
	F *float64 `json:"f"`
}

// decodeRow parses a row line into portable values: nil, int64, string, []byte, bool, float64.
func decodeRow(line []byte, ncols int) ([]any, error) {
	var cells []*cell
	if err := strictDecode(line, &cells); err != nil {
		return nil, err
	}
	if len(cells) != ncols {
		return nil, fmt.Errorf("%d values for %d columns", len(cells), ncols)
	}
	vals := make([]any, ncols)
	for i, c := range cells {
		if c == nil {
			continue // NULL
		}
		set := 0
		if c.I != nil {
			set++
			vals[i] = *c.I
		}
		if c.S != nil {
			set++
			vals[i] = *c.S
		}
		if c.B != nil {
			set++
			b := *c.B
			if b == nil {
				b = []byte{} // empty bytes, not NULL
			}
			vals[i] = b
		}
		if c.T != nil {
			set++
			vals[i] = *c.T
		}
		if c.F != nil {
			set++
			vals[i] = *c.F
		}
		if set != 1 {
			return nil, fmt.Errorf("value %d is not one typed value", i+1)
		}
	}
	return vals, nil
}

// readStream parses an uncompressed backup from r into s, verifying structure, counts
// and the SHA-256. It returns only after reading r to its end, so the gzip checksum
// below it has been checked too.
func readStream(r io.Reader, s sink) (Manifest, error) {
	lr := &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
	h := sha256.New()

	line, err := lr.next()
	if errors.Is(err, io.EOF) {
		return Manifest{}, corrupt("the file is empty")
	}
	if err != nil {
		return Manifest{}, err
	}
	h.Write(line)
	var hd header
	if err := strictDecode(line, &hd); err != nil {
		return Manifest{}, corrupt("line 1 is not a backup header: %v", err)
	}
	if hd.Format != formatName {
		return Manifest{}, corrupt("line 1: format %q is not %q", hd.Format, formatName)
	}
	if hd.Version != formatVersion {
		return Manifest{}, errs.Ef(errs.Invalid, "backup format version %d is not supported (this build reads version %d)", hd.Version, formatVersion)
	}
	if hd.Dialect != string(store.SQLite) && hd.Dialect != string(store.Postgres) {
		return Manifest{}, corrupt("line 1: unknown dialect %q", hd.Dialect)
	}
	if hd.SchemaVersion < 0 || hd.CreatedAt.IsZero() {
		return Manifest{}, corrupt("line 1: missing schema version or creation time")
	}
	if err := s.header(hd); err != nil {
		return Manifest{}, err
	}

	counts := map[string]int64{}
	cur, ncols, last := "", 0, -1
	for {
		line, err := lr.next()
		if errors.Is(err, io.EOF) {
			return Manifest{}, corrupt("truncated: the trailer is missing after line %d", lr.n)
		}
		if err != nil {
			return Manifest{}, err
		}
		switch line[0] {
		case '[':
			if cur == "" {
				return Manifest{}, corrupt("line %d: a row before any table", lr.n)
			}
			vals, err := decodeRow(line, ncols)
			if err != nil {
				return Manifest{}, corrupt("line %d (table %s): %v", lr.n, cur, err)
			}
			h.Write(line)
			counts[cur]++
			if err := s.row(vals); err != nil {
				return Manifest{}, fmt.Errorf("table %s, row %d: %w", cur, counts[cur], err)
			}
		case '{':
			var c struct {
				tableLine
				trailer
			}
			if err := strictDecode(line, &c); err != nil {
				return Manifest{}, corrupt("line %d: %v", lr.n, err)
			}
			if cur != "" {
				if err := s.endTable(); err != nil {
					return Manifest{}, fmt.Errorf("table %s: %w", cur, err)
				}
			}
			if c.Table != "" {
				if c.Counts != nil || c.SHA256 != "" {
					return Manifest{}, corrupt("line %d: a table line with trailer fields", lr.n)
				}
				i := slices.Index(Tables, c.Table)
				switch {
				case i < 0:
					return Manifest{}, corrupt("line %d: table %q is not one a backup holds", lr.n, c.Table)
				case i <= last:
					return Manifest{}, corrupt("line %d: table %s is repeated or out of order", lr.n, c.Table)
				}
				if err := checkColumns(c.Columns); err != nil {
					return Manifest{}, corrupt("line %d (table %s): %v", lr.n, c.Table, err)
				}
				h.Write(line)
				cur, ncols, last = c.Table, len(c.Columns), i
				counts[cur] = 0
				if err := s.table(cur, c.Columns); err != nil {
					return Manifest{}, fmt.Errorf("table %s: %w", cur, err)
				}
				continue
			}
			// The trailer: everything before it must match it, and nothing may follow.
			if c.Counts == nil || c.SHA256 == "" || c.Columns != nil {
				return Manifest{}, corrupt("line %d is neither a table line nor the trailer", lr.n)
			}
			sum := hex.EncodeToString(h.Sum(nil))
			if c.SHA256 != sum {
				return Manifest{}, corrupt("the SHA-256 of the rows does not match the trailer's")
			}
			if !maps.Equal(counts, c.Counts) {
				return Manifest{}, corrupt("the row counts do not match the trailer's")
			}
			if _, err := lr.next(); !errors.Is(err, io.EOF) {
				if err != nil {
					return Manifest{}, err
				}
				return Manifest{}, corrupt("data after the trailer")
			}
			return Manifest{
				Format:        hd.Format,
				Version:       hd.Version,
				CreatedAt:     hd.CreatedAt,
				Dialect:       hd.Dialect,
				SchemaVersion: hd.SchemaVersion,
				Tables:        counts,
				SHA256:        sum,
			}, nil
		default:
			return Manifest{}, corrupt("line %d is not a backup line", lr.n)
		}
	}
}

// checkColumns checks the columns of a table line: some, named, none twice.
func checkColumns(cols []string) error {
	if len(cols) == 0 {
		return errors.New("no columns")
	}
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if c == "" || !utf8.ValidString(c) || seen[c] {
			return errors.New("an empty, invalid or repeated column name")
		}
		seen[c] = true
	}
	return nil
}

const (
	// A batch is one multi-row INSERT; these bound its parameters (well under SQLite's
	// 32766 and PostgreSQL's 65535), rows and size in memory.
	batchParams = 4096
	batchRows   = 256
	batchBytes  = 4 << 20
)

// restorer inserts a backup's rows into one transaction.
type restorer struct {
	ctx     context.Context
	q       store.Querier
	current int64

	name     string
	cols     []string
	conv     []func(any) (any, error)
	perBatch int
	sqlCache map[int]string // INSERT text by row count: the same text is reused, so PostgreSQL's driver prepares it once
	args     []any
	rows     int
	bytes    int
	inserted int64
}

func (rs *restorer) header(h header) error {
	if h.SchemaVersion > rs.current {
		return errs.Ef(errs.Conflict, "the backup is of schema version %d, newer than this database's %d: restore with the Inoculate version that wrote it", h.SchemaVersion, rs.current)
	}
	// Checked inside the restore's transaction, so nothing can slip in between: SQLite's
	// write transaction already excludes other writers; PostgreSQL's tables are locked
	// against writes (reads go on) until the restore commits or rolls back.
	if rs.q.Dialect() == store.Postgres {
		quoted := make([]string, len(Tables))
		for i, t := range Tables {
			quoted[i] = quoteIdent(t)
		}
		if _, err := rs.q.Exec(rs.ctx, "LOCK TABLE "+strings.Join(quoted, ", ")+" IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("lock the tables: %w", err)
		}
	}
	for _, t := range Tables {
		var one int
		err := rs.q.QueryRow(rs.ctx, "SELECT 1 FROM "+quoteIdent(t)+" LIMIT 1").Scan(&one)
		switch {
		case err == nil:
			return fmt.Errorf("%w (table %s has rows)", ErrNotEmpty, t)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check that table %s is empty: %w", t, err)
		}
	}
	return nil
}

func (rs *restorer) table(name string, cols []string) error {
	dcols, dtypes, err := columnsOf(rs.ctx, rs.q, name)
	if err != nil {
		return fmt.Errorf("this database has no usable table %s: %w", name, err)
	}
	rs.name, rs.cols, rs.inserted = name, cols, 0
	rs.conv = make([]func(any) (any, error), len(cols))
	for i, c := range cols {
		j := slices.Index(dcols, c)
		if j < 0 {
			return errs.Ef(errs.Invalid, "the backup has column %q of table %s, which this database lacks: restore with the Inoculate version that wrote it", c, name)
		}
		rs.conv[i] = converter(rs.q.Dialect(), dtypes[j])
	}
	// Columns only in the destination are left out of the INSERT: they take their defaults.
	rs.perBatch = max(1, min(batchRows, batchParams/len(cols)))
	clear(rs.sqlCache)
	return nil
}

func (rs *restorer) row(vals []any) error {
	for i, v := range vals {
		a, err := rs.conv[i](v)
		if err != nil {
			return fmt.Errorf("column %s: %w", rs.cols[i], err)
		}
		rs.args = append(rs.args, a)
		switch x := a.(type) {
		case string:
			rs.bytes += len(x)
		case []byte:
			rs.bytes += len(x)
		}
	}
	rs.rows++
	if rs.rows >= rs.perBatch || rs.bytes >= batchBytes {
		return rs.flush()
	}
	return nil
}

func (rs *restorer) endTable() error {
	if err := rs.flush(); err != nil {
		return err
	}
	// Count what the database now holds, not what we think we sent.
	var n int64
	if err := rs.q.QueryRow(rs.ctx, "SELECT COUNT(*) FROM "+quoteIdent(rs.name)).Scan(&n); err != nil {
		return fmt.Errorf("count restored rows: %w", err)
	}
	if n != rs.inserted {
		return fmt.Errorf("the table holds %d rows after restoring %d", n, rs.inserted)
	}
	return nil
}

// flush inserts the pending rows with one multi-row INSERT.
func (rs *restorer) flush() error {
	if rs.rows == 0 {
		return nil
	}
	query, ok := rs.sqlCache[rs.rows]
	if !ok {
		query = insertSQL(rs.name, rs.cols, rs.rows)
		rs.sqlCache[rs.rows] = query
	}
	res, err := rs.q.Exec(rs.ctx, query, rs.args...)
	if err != nil {
		return fmt.Errorf("insert rows %d–%d: %w", rs.inserted+1, rs.inserted+int64(rs.rows), err)
	}
	if got, err := res.RowsAffected(); err == nil && got != int64(rs.rows) {
		return fmt.Errorf("inserted %d rows instead of %d", got, rs.rows)
	}
	rs.inserted += int64(rs.rows)
	clear(rs.args) // drop references to row data
	rs.args, rs.rows, rs.bytes = rs.args[:0], 0, 0
	return nil
}

// insertSQL builds "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)…" for n rows.
func insertSQL(table string, cols []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(quoteIdent(table))
	b.WriteString(" (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c))
	}
	b.WriteString(") VALUES ")
	tuple := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	return b.String()
}

// converter returns how to turn a portable value into an argument for a destination
// column of the given database type name. SQLite is dynamically typed and keeps every
// value as it came (a storage class round-trips exactly), except that it has no
// booleans; PostgreSQL needs each value in its column's type.
func converter(d store.Dialect, dbType string) func(any) (any, error) {
	if d == store.SQLite {
		return func(v any) (any, error) {
			if b, ok := v.(bool); ok {
				return boolInt(b), nil
			}
			return v, nil
		}
	}
	switch dbType {
	case "BOOL", "BOOLEAN":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, bool:
				return x, nil
			case int64:
				if x == 0 || x == 1 {
					return x == 1, nil
				}
				return nil, fmt.Errorf("the integer %d cannot go into a boolean column (only 0 or 1)", x)
			}
			return nil, mismatch(v, dbType)
		}
	case "BYTEA":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, []byte:
				return x, nil
			case string:
				return []byte(x), nil
			}
			return nil, mismatch(v, dbType)
		}
	case "INT2", "INT4", "INT8", "SMALLINT", "INTEGER", "BIGINT":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, int64:
				return x, nil
			case bool:
				return boolInt(x), nil
			}
			return nil, mismatch(v, dbType)
		}
	case "FLOAT4", "FLOAT8", "NUMERIC":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, float64:
				return x, nil
			case int64:
				return float64(x), nil // SQLite keeps whole REAL values as integers sometimes
			}
			return nil, mismatch(v, dbType)
		}
	case "TEXT", "VARCHAR", "BPCHAR":
		return func(v any) (any, error) {
			switch x := v.(type) {
			case nil, string:
				return x, nil
			case []byte:
				// Bytes a SQLite TEXT column happened to hold: fine if PostgreSQL can
				// store them as text unaltered.
				if utf8.Valid(x) && bytes.IndexByte(x, 0) < 0 {
					return string(x), nil
				}
				return nil, errors.New("bytes that PostgreSQL text cannot hold unaltered")
			}
			return nil, mismatch(v, dbType)
		}
	default:
		// A type this package does not know: the driver converts or refuses.
		return func(v any) (any, error) { return v, nil }
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// mismatch describes a value that cannot go into a column, without quoting it.
func mismatch(v any, dbType string) error {
	kind := "a value"
	switch v.(type) {
	case int64:
		kind = "an integer"
	case string:
		kind = "text"
	case []byte:
		kind = "bytes"
	case bool:
		kind = "a boolean"
	case float64:
		kind = "a floating-point number"
	}
	return fmt.Errorf("%s cannot go into a %s column", kind, strconv.Quote(dbType))
}
