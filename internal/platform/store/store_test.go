package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

func TestRebind(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"SELECT '?' , \"x?\" FROM t WHERE b = ?", "SELECT '?' , \"x?\" FROM t WHERE b = $1"},
		{"SELECT 'it''s ?' WHERE a = ?", "SELECT 'it''s ?' WHERE a = $1"},
	}
	for _, c := range cases {
		if got := store.Rebind(store.Postgres, c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := store.Rebind(store.SQLite, c.in); got != c.in {
			t.Errorf("SQLite Rebind changed %q to %q", c.in, got)
		}
	}
}

func FuzzRebind(f *testing.F) {
	f.Add("SELECT ? FROM t WHERE x = '?' AND y = ?")
	f.Fuzz(func(t *testing.T, q string) {
		out := store.Rebind(store.Postgres, q)
		if len(out) < len(q) {
			t.Fatalf("rebind shrank the query: %q → %q", q, out)
		}
	})
}

func TestTransactionRollsBackAndMigrationIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		cur, latest, err := db.SchemaVersion(ctx)
		if err != nil || cur != latest || cur < 2 {
			t.Fatalf("schema version %d/%d, err %v", cur, latest, err)
		}
		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)", "t1", "one", "One", 1); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		var n int
		if err := db.Reader().QueryRow(ctx, "SELECT COUNT(*) FROM tenants").Scan(&n); err != nil || n != 0 {
			t.Fatalf("after rollback: %d tenants, err %v", n, err)
		}
	})
}

func TestAuditEntriesAreAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO audit_entries (seq, tenant_id, at, leaf) VALUES (?, ?, ?, ?)", 0, "", 1, []byte("{}"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"UPDATE audit_entries SET leaf = ?", "DELETE FROM audit_entries WHERE leaf = ?"} {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, q, []byte("{}"))
				return err
			})
			if err == nil {
				t.Errorf("%q succeeded on the append-only log", q)
			}
		}
	})
}

func TestSQLiteReaderIsReadOnly(t *testing.T) {
	db := storetest.SQLite(t)
	if _, err := db.Reader().Exec(context.Background(), "INSERT INTO tenants (id, slug, name, created_at) VALUES ('a','a','a',1)"); err == nil {
		t.Fatal("write through the SQLite reader succeeded")
	}
}

// TestSQLiteSettings checks the settings the issue promises are really in force on
// the writer: WAL, foreign keys, secure_delete, a busy timeout, and one connection.
func TestSQLiteSettings(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "secure_delete": "1", "busy_timeout": "10000", "synchronous": "2"} {
			var got string
			if err := tx.QueryRow(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				return err
			}
			if got != want {
				t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Foreign keys are enforced: a user of a tenant that does not exist is refused.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, tenant_id, name, role, password_hash, created_at) VALUES ('u', 'nope', 'n', 'admin', 'x', 1)`)
		return err
	})
	if err == nil {
		t.Error("a row referring to a missing tenant was accepted")
	}
}

// TestReadTxIsASnapshotThatDoesNotBlockWriters: a write committed while a read
// transaction is open is not seen by it, and is not held up by it.
func TestReadTxIsASnapshotThatDoesNotBlockWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		insert := func(id string) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)", id, id, id, 1)
				return err
			})
		}
		if err := insert("before"); err != nil {
			t.Fatal(err)
		}
		err := db.ReadTx(ctx, func(q store.Querier) error {
			count := func() (n int) {
				if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM tenants").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count(); n != 1 {
				t.Fatalf("snapshot sees %d tenants, want 1", n)
			}
			done := make(chan error, 1)
			go func() { done <- insert("during") }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("write during a read transaction: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("a write waited for the read transaction")
			}
			if n := count(); n != 1 {
				t.Errorf("snapshot sees %d tenants after a concurrent write, want still 1", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
