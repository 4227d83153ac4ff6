// Package store opens the database (embedded SQLite by default, PostgreSQL for
// production), migrates it with embedded versioned SQL per dialect, and runs every write
// in one transaction. Queries are written once with "?" placeholders and rebound for
// PostgreSQL, so both stores share one code path.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "github.com/ncruces/go-sqlite3/driver"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open, migrated database. With SQLite, writes go through a single
// connection (one writer, as SQLite wants) and reads through a pool; with PostgreSQL
// both share one pool.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	where   string // a description for messages, never with credentials
}

// Config says which database to open.
type Config struct {
	// URL is empty for the SQLite file in DataDir, "postgres://…" for PostgreSQL, or
	// "sqlite:PATH" / "file:PATH" for an explicit SQLite file.
	URL     string
	DataDir string
}

// Open opens the database without migrating it.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	u := cfg.URL
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return openPostgres(ctx, u)
	case u == "":
		if cfg.DataDir == "" {
			return nil, errors.New("store: no database URL and no data directory")
		}
		return openSQLite(ctx, filepath.Join(cfg.DataDir, "inoculate.db"))
	case strings.HasPrefix(u, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//"))
	case strings.HasPrefix(u, "file:"):
		return openSQLite(ctx, strings.TrimPrefix(u, "file:"))
	default:
		return nil, fmt.Errorf("store: unsupported database URL %q: use postgres://… or sqlite:PATH", redact(u))
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(wal)", "secure_delete(on)", "synchronous(full)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1) // one writer: SQLite serialises writes anyway, this avoids SQLITE_BUSY
	w.SetConnMaxIdleTime(0)
	rq := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "query_only(1)"} {
		rq.Add("_pragma", p)
	}
	r, err := sql.Open("sqlite3", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db := &DB{dialect: SQLite, write: w, read: r, where: path}
	if err := db.ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// Secure file mode: the database holds ciphertexts, but also aliases and hashes.
	_ = os.Chmod(path, 0o600)
	return db, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL %s: %w", redact(dsn), err)
	}
	p.SetMaxOpenConns(16)
	p.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{dialect: Postgres, write: p, read: p, where: redact(dsn)}
	if err := db.ping(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: cannot reach the %s database at %s: %w", db.dialect, db.where, err)
	}
	return nil
}

// redact removes a password from a URL so it can appear in messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Dialect returns the SQL engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Where describes the database for messages (path or redacted URL).
func (db *DB) Where() string { return db.where }

// Close closes all connections.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks the database answers, for the health endpoint.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Querier runs queries written with "?" placeholders on either dialect.
// Both *Tx and the reader returned by DB.Reader implement it.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type querier struct {
	c       conn
	dialect Dialect
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.c.ExecContext(ctx, Rebind(q.dialect, query), args...)
}

func (q querier) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.c.QueryContext(ctx, Rebind(q.dialect, query), args...)
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.c.QueryRowContext(ctx, Rebind(q.dialect, query), args...)
}

func (q querier) Dialect() Dialect { return q.dialect }

// Reader returns a Querier for reads outside a transaction. With SQLite it is
// read-only: a write through it fails.
func (db *DB) Reader() Querier { return querier{c: db.read, dialect: db.dialect} }

// Tx is a write transaction.
type Tx struct {
	querier
	tx *sql.Tx
}

// ForUpdate returns " FOR UPDATE" on PostgreSQL and "" on SQLite, whose write
// transactions are already exclusive (BEGIN IMMEDIATE).
func (tx *Tx) ForUpdate() string {
	if tx.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// InTx runs fn in one write transaction: committed if fn returns nil, rolled back
// otherwise (and on panic). Every multi-row change goes through here.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{querier: querier{c: stx, dialect: db.dialect}, tx: stx}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Rebind rewrites "?" placeholders to "$1, $2…" for PostgreSQL, leaving
// question marks inside quoted strings and identifiers alone.
func Rebind(d Dialect, query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// IsUniqueViolation reports whether err is a unique-constraint failure on either store.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// Millis is the storage form of a time: Unix milliseconds, the same on both stores.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis is the inverse of Millis, in UTC.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// ReadTx runs fn in one read-only transaction that sees a single consistent state of
// the database, without holding up writers: on SQLite a transaction on the reader
// pool (in WAL mode its first read fixes the snapshot), on PostgreSQL REPEATABLE
// READ, READ ONLY. Backups use it.
func (db *DB) ReadTx(ctx context.Context, fn func(q Querier) error) error {
	var opts *sql.TxOptions
	if db.dialect == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	stx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer stx.Rollback() // read-only: nothing to commit
	return fn(querier{c: stx, dialect: db.dialect})
}
