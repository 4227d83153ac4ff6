package vault

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// newTenant inserts a tenant row (data_keys has a foreign key to tenants).
func newTenant(tb testing.TB, db *store.DB) string {
	tb.Helper()
	id := uuid.NewString()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO tenants (id, slug, name, created_at) VALUES (?,?,?,?)`,
			id, storetest.Name("t"), "Tenant", store.Millis(time.Now()))
		return err
	})
	if err != nil {
		tb.Fatalf("insert tenant: %v", err)
	}
	return id
}

// keyPath is a key file path in a not-yet-existing subdirectory of a temp dir.
func keyPath(tb testing.TB) string {
	return filepath.Join(tb.TempDir(), "keys", "keys.json")
}

func openKeys(tb testing.TB, path string) *KeyFile {
	tb.Helper()
	k, err := OpenKeyFile(path)
	if err != nil {
		tb.Fatalf("OpenKeyFile: %v", err)
	}
	return k
}

func newVault(tb testing.TB) (*Vault, *KeyFile) {
	tb.Helper()
	k := openKeys(tb, keyPath(tb))
	return New(k, k), k
}

func ref(tenant, subject string) FieldRef {
	return FieldRef{TenantID: tenant, Subject: subject, Table: "returnees", Column: "legal_name", Row: subject}
}

func mustSeal(tb testing.TB, db *store.DB, v *Vault, r FieldRef, pt []byte) []byte {
	tb.Helper()
	var ct []byte
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		ct, err = v.Seal(context.Background(), tx, r, pt)
		return err
	})
	if err != nil {
		tb.Fatalf("Seal: %v", err)
	}
	return ct
}

func mustOpen(tb testing.TB, db *store.DB, v *Vault, r FieldRef, ct []byte) []byte {
	tb.Helper()
	pt, err := v.Open(context.Background(), db.Reader(), r, ct)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return pt
}

type dataKeyRow struct {
	subject, tenant string
	version         int
	wrapped         []byte
	created         int64
}

func loadDataKeyRow(tb testing.TB, db *store.DB, subject string) (dataKeyRow, bool) {
	tb.Helper()
	r := dataKeyRow{subject: subject}
	err := db.Reader().QueryRow(context.Background(),
		`SELECT tenant_id, kek_version, wrapped, created_at FROM data_keys WHERE subject_id = ?`, subject).
		Scan(&r.tenant, &r.version, &r.wrapped, &r.created)
	if err != nil {
		return r, false
	}
	return r, true
}

func countDataKeys(tb testing.TB, db *store.DB) int {
	tb.Helper()
	var n int
	if err := db.Reader().QueryRow(context.Background(), `SELECT COUNT(*) FROM data_keys`).Scan(&n); err != nil {
		tb.Fatalf("count data keys: %v", err)
	}
	return n
}
