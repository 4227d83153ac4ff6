package vault

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/google/uuid"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

func TestRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v, _ := newVault(t)
		tenant := newTenant(t, db)
		subject := uuid.NewString()
		for _, pt := range [][]byte{[]byte("Abu Example"), {}, bytes.Repeat([]byte{0xff}, 1<<16)} {
			r := ref(tenant, subject)
			ct := mustSeal(t, db, v, r, pt)
			if ct[0] != formatV1 || len(ct) != minSealed+len(pt) {
				t.Fatalf("ciphertext format: version %d, len %d for %d plaintext bytes", ct[0], len(ct), len(pt))
			}
			if got := mustOpen(t, db, v, r, ct); !bytes.Equal(got, pt) {
				t.Fatalf("round trip: got %d bytes, want %d", len(got), len(pt))
			}
		}
		// Open also works inside a write transaction.
		r := ref(tenant, subject)
		ct := mustSeal(t, db, v, r, []byte("x"))
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := v.Open(context.Background(), tx, r, ct)
			return err
		})
		if err != nil {
			t.Fatalf("Open in tx: %v", err)
		}
		if n := countDataKeys(t, db); n != 1 {
			t.Fatalf("one subject has %d data keys, want 1", n)
		}
		if _, err := v.Open(context.Background(), db.Reader(), FieldRef{TenantID: tenant, Subject: subject}, ct); err == nil {
			t.Fatal("Open with an incomplete ref succeeded")
		}
	})
}

func TestMovedCiphertextFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v, _ := newVault(t)
		a, b := newTenant(t, db), newTenant(t, db)
		s1, s2 := uuid.NewString(), uuid.NewString()
		r := ref(a, s1)
		ct := mustSeal(t, db, v, r, []byte("secret name"))
		mustSeal(t, db, v, ref(a, s2), []byte("other"))
		mustSeal(t, db, v, ref(b, uuid.NewString()), []byte("other tenant"))

		moved := map[string]FieldRef{
			"row":     {TenantID: a, Subject: s1, Table: r.Table, Column: r.Column, Row: "another-row"},
			"column":  {TenantID: a, Subject: s1, Table: r.Table, Column: "alias", Row: r.Row},
			"table":   {TenantID: a, Subject: s1, Table: "users", Column: r.Column, Row: r.Row},
			"tenant":  {TenantID: b, Subject: s1, Table: r.Table, Column: r.Column, Row: r.Row},
			"subject": {TenantID: a, Subject: s2, Table: r.Table, Column: r.Column, Row: r.Row},
		}
		for name, m := range moved {
			if _, err := v.Open(context.Background(), db.Reader(), m, ct); !errors.Is(err, ErrTampered) {
				t.Errorf("ciphertext moved to another %s: err = %v, want ErrTampered", name, err)
			}
		}
		// Every single-bit flip and every truncation fails.
		for i := range ct {
			c := bytes.Clone(ct)
			c[i] ^= 0x01
			if _, err := v.Open(context.Background(), db.Reader(), r, c); !errors.Is(err, ErrTampered) {
				t.Fatalf("bit flip at %d: err = %v, want ErrTampered", i, err)
			}
			if _, err := v.Open(context.Background(), db.Reader(), r, ct[:i]); !errors.Is(err, ErrTampered) {
				t.Fatalf("truncated to %d: err = %v, want ErrTampered", i, err)
			}
		}
		// Moving the subject's key row to another tenant does not help: B's KEK cannot
		// unwrap a key wrapped for A.
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec(context.Background(), `UPDATE data_keys SET tenant_id = ? WHERE subject_id = ?`, b, s1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rb := r
		rb.TenantID = b
		if _, err := v.Open(context.Background(), db.Reader(), rb, ct); !errors.Is(err, ErrTampered) {
			t.Fatalf("key row moved to other tenant: err = %v, want ErrTampered", err)
		}
	})
}

func TestOtherTenantKEKCannotUnwrap(t *testing.T) {
	ctx := context.Background()
	k := openKeys(t, keyPath(t))
	dek, _ := randomKey()
	ad := dekAD("A", "s")
	ver, w, err := k.Wrap(ctx, "A", dek, ad)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.EnsureTenant(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Unwrap(ctx, "B", ver, w, ad); !errors.Is(err, ErrTampered) {
		t.Fatalf("unwrap with tenant B's KEK: err = %v, want ErrTampered", err)
	}
	if _, err := k.Unwrap(ctx, "A", ver, w, dekAD("A", "other")); !errors.Is(err, ErrTampered) {
		t.Fatalf("unwrap for another subject: err = %v, want ErrTampered", err)
	}
	if _, err := k.Unwrap(ctx, "A", ver+1, w, ad); !errors.Is(err, ErrKeyUnavailable) {
		t.Fatalf("unwrap with unknown KEK version: err = %v, want ErrKeyUnavailable", err)
	}
	got, err := k.Unwrap(ctx, "A", ver, w, ad)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("unwrap: %v", err)
	}
}

func TestShred(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		path := keyPath(t)
		k := openKeys(t, path)
		v := New(k, k)
		tenant := newTenant(t, db)
		s1, s2 := uuid.NewString(), uuid.NewString()
		ct1 := mustSeal(t, db, v, ref(tenant, s1), []byte("to be erased"))
		ct2 := mustSeal(t, db, v, ref(tenant, s2), []byte("stays"))
		backup, ok := loadDataKeyRow(t, db, s1) // what a backup taken before the shred holds
		if !ok {
			t.Fatal("no data key row for s1")
		}

		if err := db.InTx(ctx, func(tx *store.Tx) error { return v.Shred(ctx, tx, tenant, s1) }); err != nil {
			t.Fatalf("Shred: %v", err)
		}
		if _, ok := loadDataKeyRow(t, db, s1); ok {
			t.Fatal("data key row survives the shred")
		}
		_, err := v.Open(ctx, db.Reader(), ref(tenant, s1), ct1)
		if !errors.Is(err, ErrShredded) || !errs.Is(err, errs.NotFound) {
			t.Fatalf("Open after shred: err = %v, want ErrShredded of kind NotFound", err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := v.Seal(ctx, tx, ref(tenant, s1), []byte("again"))
			return err
		})
		if !errors.Is(err, ErrShredded) {
			t.Fatalf("Seal after shred: err = %v, want ErrShredded", err)
		}
		if got := mustOpen(t, db, v, ref(tenant, s2), ct2); string(got) != "stays" {
			t.Fatalf("other subject: %q", got)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return v.Shred(ctx, tx, tenant, s1) }); err != nil {
			t.Fatalf("second Shred is not idempotent: %v", err)
		}

		// Simulated restore of a backup taken before the shred, with a key file reopened
		// from disk: the tombstone must still win.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO data_keys (subject_id, tenant_id, kek_version, wrapped, created_at) VALUES (?,?,?,?,?)`,
				backup.subject, backup.tenant, backup.version, backup.wrapped, backup.created)
			return err
		})
		if err != nil {
			t.Fatalf("restore old row: %v", err)
		}
		k2 := openKeys(t, path)
		v2 := New(k2, k2)
		if _, err := v2.Open(ctx, db.Reader(), ref(tenant, s1), ct1); !errors.Is(err, ErrShredded) {
			t.Fatalf("Open after restore of the old key row: err = %v, want ErrShredded", err)
		}
		if ts := k2.Tombstones(); len(ts) != 1 || ts[0] != s1 {
			t.Fatalf("tombstones after reopen: %v", ts)
		}
		n, err := v2.ApplyTombstones(ctx, db)
		if err != nil || n != 1 {
			t.Fatalf("ApplyTombstones = %d, %v; want 1", n, err)
		}
		if _, ok := loadDataKeyRow(t, db, s1); ok {
			t.Fatal("ApplyTombstones left the resurrected key")
		}
		if n, err := v2.ApplyTombstones(ctx, db); err != nil || n != 0 {
			t.Fatalf("second ApplyTombstones = %d, %v; want 0", n, err)
		}
		if got := mustOpen(t, db, v2, ref(tenant, s2), ct2); string(got) != "stays" {
			t.Fatalf("other subject after ApplyTombstones: %q", got)
		}
	})
}

func TestShredOtherTenantsSubjectRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v, k := newVault(t)
		a, b := newTenant(t, db), newTenant(t, db)
		s := uuid.NewString()
		ct := mustSeal(t, db, v, ref(a, s), []byte("keep"))
		err := db.InTx(ctx, func(tx *store.Tx) error { return v.Shred(ctx, tx, b, s) })
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("tenant B shredding A's subject: err = %v, want NotFound", err)
		}
		if k.Shredded(s) {
			t.Fatal("refused shred still wrote a tombstone")
		}
		mustOpen(t, db, v, ref(a, s), ct)
	})
}

func TestConcurrentSealSameSubject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v, _ := newVault(t)
		tenant := newTenant(t, db)
		s := uuid.NewString()
		const n = 8
		cts := make([][]byte, n)
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				err := db.InTx(context.Background(), func(tx *store.Tx) error {
					var err error
					cts[i], err = v.Seal(context.Background(), tx, ref(tenant, s), []byte{byte(i)})
					return err
				})
				if err != nil {
					errc <- err
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatalf("concurrent Seal: %v", err)
		}
		for i, ct := range cts {
			if got := mustOpen(t, db, v, ref(tenant, s), ct); !bytes.Equal(got, []byte{byte(i)}) {
				t.Fatalf("value %d: got %v", i, got)
			}
		}
		if c := countDataKeys(t, db); c != 1 {
			t.Fatalf("%d data keys for one subject", c)
		}
	})
}

// TestNonceUniqueness seals the same plaintext 10,000 times: every nonce and every
// ciphertext must differ.
func TestNonceUniqueness(t *testing.T) {
	db := storetest.SQLite(t)
	v, _ := newVault(t)
	r := ref(newTenant(t, db), uuid.NewString())
	const n = 10000
	nonces := make(map[string]struct{}, n)
	cts := make(map[string]struct{}, n)
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		for range n {
			ct, err := v.Seal(context.Background(), tx, r, []byte("same plaintext"))
			if err != nil {
				return err
			}
			nonces[string(ct[1:1+nonceSize])] = struct{}{}
			cts[string(ct)] = struct{}{}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(nonces) != n || len(cts) != n {
		t.Fatalf("%d distinct nonces and %d distinct ciphertexts of %d", len(nonces), len(cts), n)
	}
}

// TestCanaryNotInRawFiles stores sealed canaries and greps the raw SQLite files
// (database, WAL, shared memory) and the key file for them (P29).
func TestCanaryNotInRawFiles(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	v, k := newVault(t)
	tenant := newTenant(t, db)
	canary := []byte("CANARY-" + uuid.NewString())
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE vault_canary (id TEXT PRIMARY KEY, subject TEXT NOT NULL, v BLOB NOT NULL)`); err != nil {
			return err
		}
		for i := range 50 {
			id, subject := uuid.NewString(), uuid.NewString()
			if i%2 == 0 {
				subject = "shared-subject"
			}
			ct, err := v.Seal(ctx, tx, FieldRef{TenantID: tenant, Subject: subject, Table: "vault_canary", Column: "v", Row: id}, canary)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO vault_canary (id, subject, v) VALUES (?, ?, ?)`, id, subject, ct); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Read everything back through Open so the plaintext also takes the read path.
	rows, err := db.Reader().Query(ctx, `SELECT id, subject, v FROM vault_canary`)
	if err != nil {
		t.Fatal(err)
	}
	var refs []FieldRef
	var cts [][]byte
	for rows.Next() {
		r := FieldRef{TenantID: tenant, Table: "vault_canary", Column: "v"}
		var ct []byte
		if err := rows.Scan(&r.Row, &r.Subject, &ct); err != nil {
			t.Fatal(err)
		}
		refs, cts = append(refs, r), append(cts, ct)
	}
	rows.Close()
	if len(refs) != 50 {
		t.Fatalf("%d rows, want 50", len(refs))
	}
	for i := range refs {
		if pt := mustOpen(t, db, v, refs[i], cts[i]); !bytes.Equal(pt, canary) {
			t.Fatalf("row %d does not open to the canary", i)
		}
	}

	files := []string{db.Where(), db.Where() + "-wal", db.Where() + "-shm", k.Path()}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		seen += len(b)
		if bytes.Contains(b, canary) || bytes.Contains(b, canary[:16]) {
			t.Errorf("canary found in raw bytes of %s", f)
		}
	}
	if seen == 0 {
		t.Fatal("read no raw database bytes")
	}
}

func TestSealRejectsIncompleteRef(t *testing.T) {
	db := storetest.SQLite(t)
	v, _ := newVault(t)
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := v.Seal(context.Background(), tx, FieldRef{TenantID: "t", Subject: "s", Table: "x", Column: "y"}, []byte("a"))
		return err
	})
	if err == nil {
		t.Fatal("Seal without a row id succeeded")
	}
}

func TestSealedValueSurvivesRestart(t *testing.T) {
	db := storetest.SQLite(t)
	path := keyPath(t)
	k := openKeys(t, path)
	r := ref(newTenant(t, db), uuid.NewString())
	ct := mustSeal(t, db, New(k, k), r, []byte("persisted"))
	k2 := openKeys(t, path)
	if k2.Created() {
		t.Fatal("reopened key file reports Created")
	}
	if got := mustOpen(t, db, New(k2, k2), r, ct); string(got) != "persisted" {
		t.Fatalf("after reopening the key file: %q", got)
	}
}
