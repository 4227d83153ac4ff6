package vault_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/platform/vault"
)

func TestBlobKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		kf, err := vault.OpenKeyFile(filepath.Join(t.TempDir(), "keys.json"))
		if err != nil {
			t.Fatal(err)
		}
		v := vault.New(kf, kf)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, created_at) VALUES ('t1', 't1', 'T', 1)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		a, err := v.BlobKey(ctx, db, "t1", "person-1", "recording")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := v.BlobKey(ctx, db, "t1", "person-1", "recording")
		c, _ := v.BlobKey(ctx, db, "t1", "person-1", "rendition")
		d, _ := v.BlobKey(ctx, db, "t1", "person-2", "recording")
		if len(a) != 32 || !bytes.Equal(a, b) || bytes.Equal(a, c) || bytes.Equal(a, d) {
			t.Fatal("blob keys are not stable per subject and purpose, or not distinct")
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return v.Shred(ctx, tx, "t1", "person-1") }); err != nil {
			t.Fatal(err)
		}
		if _, err := v.BlobKey(ctx, db, "t1", "person-1", "recording"); !errors.Is(err, vault.ErrShredded) {
			t.Fatalf("a shredded subject still has a blob key: %v", err)
		}
	})
}
