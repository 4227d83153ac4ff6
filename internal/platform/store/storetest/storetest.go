// Package storetest runs a storage test against every store: SQLite always, and
// PostgreSQL when INOCULATE_TEST_POSTGRES holds a URL. Each run gets a fresh, migrated
// database (a temp file for SQLite, a fresh schema for PostgreSQL), so tests never see
// each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"inoculate/internal/platform/store"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "INOCULATE_TEST_POSTGRES"

// Each runs fn once per store as a subtest named after the dialect.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated SQLite database in a temp dir, closed at cleanup.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate SQLite: %v", err)
	}
	return db
}

// PostgresURL returns the test server's URL, skipping the test when none is
// configured. In CI (CI set) a missing URL fails instead: a skipped store test must
// never pass silently there.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgres)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set but CI is: PostgreSQL store tests must run in CI", EnvPostgres)
		}
		t.Skipf("PostgreSQL store tests skipped: set %s=postgres://… to run them", EnvPostgres)
	}
	return u
}

// Postgres returns a migrated PostgreSQL database in a fresh schema, dropped at
// cleanup. It fails (not skips) when the URL is set but the server cannot be reached.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	base := PostgresURL(t)
	schema := "t_" + strings.ToLower(rand.Text()[:16])
	ctx := context.Background()

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open PostgreSQL at %s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(pctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL at %s is set but unusable: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(ctx, store.Config{URL: u.String()})
	if err != nil {
		t.Fatalf("open PostgreSQL schema %s: %v", schema, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate PostgreSQL schema %s: %v", schema, err)
	}
	return db
}

// Name is a short unique string for test fixtures.
func Name(prefix string) string {
	return fmt.Sprintf("%s-%s", prefix, strings.ToLower(rand.Text()[:8]))
}
