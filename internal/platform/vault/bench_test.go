package vault

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"

	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

var field64 = bytes.Repeat([]byte("n"), 64)

// BenchmarkSeal measures Seal on SQLite for a subject whose data key exists: one key
// lookup, one unwrap, one field encryption. All iterations share one transaction so
// the figure is Seal's, not BEGIN/COMMIT's.
func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	v, _ := newVault(b)
	r := ref(newTenant(b, db), uuid.NewString())
	mustSeal(b, db, v, r, field64)
	b.SetBytes(int64(len(field64)))
	b.ReportAllocs()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		b.ResetTimer()
		for b.Loop() {
			if _, err := v.Seal(ctx, tx, r, field64); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOpen measures Open through the SQLite read pool.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	v, _ := newVault(b)
	r := ref(newTenant(b, db), uuid.NewString())
	ct := mustSeal(b, db, v, r, field64)
	q := db.Reader()
	b.SetBytes(int64(len(field64)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Open(ctx, q, r, ct); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealCryptoOnly measures the field encryption alone, without the database
// or the key unwrap.
func BenchmarkSealCryptoOnly(b *testing.B) {
	dek, _ := randomKey()
	r := ref("tenant", "subject")
	b.SetBytes(int64(len(field64)))
	b.ReportAllocs()
	for b.Loop() {
		a, err := newAEAD(dek)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := seal(a, field64, fieldAD(r)); err != nil {
			b.Fatal(err)
		}
	}
}
