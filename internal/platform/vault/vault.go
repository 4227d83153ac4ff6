package vault

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
)

var (
	// ErrShredded means the subject was erased: its data key is destroyed and its
	// fields can never be read again. Its errs kind is NotFound.
	ErrShredded = &errs.Error{Kind: errs.NotFound, Msg: "this record has been erased"}
	// ErrTampered means a ciphertext or wrapped key failed authentication: it was
	// altered, or copied from another row, column, table, subject or tenant. Treat it
	// as an integrity alarm.
	ErrTampered = &errs.Error{Kind: errs.Internal, Msg: "encrypted value failed its integrity check"}
	// ErrKeyUnavailable means the key-encryption key version a data key was wrapped
	// under is not in the key file (destroyed after rotation, or an outdated key file).
	ErrKeyUnavailable = &errs.Error{Kind: errs.Internal, Msg: "encryption key unavailable"}
)

// Vault seals and opens identifying fields with per-subject data keys kept wrapped in
// the data_keys table. It caches no plaintext keys: each call unwraps the key it needs
// and zeroes it afterwards.
type Vault struct {
	keys KeyEncrypter
	tomb Tombstoner
}

// New returns a vault using keys to wrap data keys and tombstones to remember shredded
// subjects. Both are required: without tombstones a restored backup would undo erasure.
func New(keys KeyEncrypter, tombstones Tombstoner) *Vault {
	if keys == nil || tombstones == nil {
		panic("vault: New needs a KeyEncrypter and a Tombstoner")
	}
	return &Vault{keys: keys, tomb: tombstones}
}

// Shredded reports whether subject has been erased.
func (v *Vault) Shredded(subject string) bool { return v.tomb.Shredded(subject) }

func checkRef(ref FieldRef) error {
	if ref.TenantID == "" || ref.Subject == "" || ref.Table == "" || ref.Column == "" || ref.Row == "" {
		// Every part is bound into the ciphertext; an empty one would weaken that.
		return fmt.Errorf("vault: incomplete field reference %s.%s (tenant, subject, table, column and row are all required)", ref.Table, ref.Column)
	}
	return nil
}

// Seal encrypts plaintext for the field ref and returns the ciphertext to store in the
// row. It creates the subject's data key in tx if the subject has none yet.
func (v *Vault) Seal(ctx context.Context, tx *store.Tx, ref FieldRef, plaintext []byte) ([]byte, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	if v.tomb.Shredded(ref.Subject) {
		// A new key would quietly bring an erased person back.
		return nil, fmt.Errorf("vault: seal %s.%s: %w", ref.Table, ref.Column, ErrShredded)
	}
	dek, err := v.dataKeyForSeal(ctx, tx, ref.TenantID, ref.Subject)
	if err != nil {
		return nil, fmt.Errorf("vault: seal %s.%s: %w", ref.Table, ref.Column, err)
	}
	defer clear(dek)
	a, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	ct, err := seal(a, plaintext, fieldAD(ref))
	if err != nil {
		return nil, fmt.Errorf("vault: seal %s.%s: %w", ref.Table, ref.Column, err)
	}
	return ct, nil
}

// dataKeyForSeal returns the subject's data key, creating and storing it if missing.
func (v *Vault) dataKeyForSeal(ctx context.Context, tx *store.Tx, tenantID, subject string) ([]byte, error) {
	dek, err := v.dataKey(ctx, tx, tenantID, subject)
	if !errors.Is(err, errNoDataKey) {
		return dek, err
	}
	if dek, err = randomKey(); err != nil {
		return nil, err
	}
	// The KEK must be durable before anything is wrapped under it.
	if err := v.keys.EnsureTenant(ctx, tenantID); err != nil {
		clear(dek)
		return nil, err
	}
	version, wrapped, err := v.keys.Wrap(ctx, tenantID, dek, dekAD(tenantID, subject))
	if err != nil {
		clear(dek)
		return nil, err
	}
	// ON CONFLICT: a concurrent transaction may have created the key meanwhile; theirs
	// wins and we use it, so one subject never has two keys.
	res, err := tx.Exec(ctx, `INSERT INTO data_keys (subject_id, tenant_id, kek_version, wrapped, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject_id) DO NOTHING`,
		subject, tenantID, version, wrapped, store.Millis(time.Now()))
	if err != nil {
		clear(dek)
		return nil, fmt.Errorf("store data key: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return dek, nil
	}
	clear(dek)
	dek, err = v.dataKey(ctx, tx, tenantID, subject)
	if errors.Is(err, errNoDataKey) {
		return nil, errors.New("data key neither inserted nor found")
	}
	return dek, err
}

var errNoDataKey = errors.New("no data key")

// dataKey loads and unwraps the subject's data key. A key stored for another tenant is
// ErrTampered: subjects never change tenant.
func (v *Vault) dataKey(ctx context.Context, q store.Querier, tenantID, subject string) ([]byte, error) {
	var (
		owner   string
		version int
		wrapped []byte
	)
	err := q.QueryRow(ctx, `SELECT tenant_id, kek_version, wrapped FROM data_keys WHERE subject_id = ?`, subject).
		Scan(&owner, &version, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoDataKey
	}
	if err != nil {
		return nil, fmt.Errorf("load data key: %w", err)
	}
	if owner != tenantID {
		return nil, ErrTampered
	}
	return v.keys.Unwrap(ctx, tenantID, version, wrapped, dekAD(tenantID, subject))
}

// Open decrypts a ciphertext made by Seal for the same ref. It fails with ErrShredded
// for an erased subject — even if a restored backup brought its data key back — and
// with ErrTampered for a ciphertext altered or moved from another place.
func (v *Vault) Open(ctx context.Context, q store.Querier, ref FieldRef, ciphertext []byte) ([]byte, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	if v.tomb.Shredded(ref.Subject) {
		return nil, fmt.Errorf("vault: open %s.%s: %w", ref.Table, ref.Column, ErrShredded)
	}
	// Refuse malformed input before touching the database or keys.
	if len(ciphertext) < minSealed || ciphertext[0] != formatV1 {
		return nil, fmt.Errorf("vault: open %s.%s: %w", ref.Table, ref.Column, ErrTampered)
	}
	dek, err := v.dataKey(ctx, q, ref.TenantID, ref.Subject)
	if errors.Is(err, errNoDataKey) {
		// Shredding is the only way a key disappears; the tombstone may be missing if
		// the key file is older than the shred. Either way the value is gone.
		err = ErrShredded
	}
	if err != nil {
		return nil, fmt.Errorf("vault: open %s.%s: %w", ref.Table, ref.Column, err)
	}
	defer clear(dek)
	a, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	pt, err := unseal(a, ciphertext, fieldAD(ref))
	if err != nil {
		return nil, fmt.Errorf("vault: open %s.%s: %w", ref.Table, ref.Column, err)
	}
	return pt, nil
}

// Shred erases subject: it records the tombstone durably first, then deletes the data
// key in tx. If the transaction then fails, the subject is still unreadable (erring
// towards erasure) and the key row is removed by a retry or by ApplyTombstones.
// Shredding a subject that belongs to another tenant is NotFound and changes nothing.
func (v *Vault) Shred(ctx context.Context, tx *store.Tx, tenantID, subject string) error {
	if tenantID == "" || subject == "" {
		return errors.New("vault: shred: empty tenant or subject")
	}
	var owner string
	err := tx.QueryRow(ctx, `SELECT tenant_id FROM data_keys WHERE subject_id = ?`+tx.ForUpdate(), subject).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// No key yet (or already deleted): the tombstone still stops future seals.
	case err != nil:
		return fmt.Errorf("vault: shred: load data key: %w", err)
	case owner != tenantID:
		return fmt.Errorf("vault: shred: %w", errs.E(errs.NotFound, "record not found"))
	}
	if err := v.tomb.MarkShredded(tenantID, subject); err != nil {
		return fmt.Errorf("vault: shred: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM data_keys WHERE subject_id = ? AND tenant_id = ?`, subject, tenantID); err != nil {
		return fmt.Errorf("vault: shred: delete data key: %w", err)
	}
	return nil
}

// ApplyTombstones deletes the data keys of every tombstoned subject and returns how
// many it deleted. Run it at start-up before serving and after restoring a backup: a
// backup taken before a shred still holds the wrapped key.
func (v *Vault) ApplyTombstones(ctx context.Context, db *store.DB) (int, error) {
	total := 0
	err := db.InTx(ctx, func(tx *store.Tx) error {
		total = 0
		// Scanning data_keys rather than the tombstone list works with any Tombstoner
		// and costs one pass over a small table.
		rows, err := tx.Query(ctx, `SELECT subject_id FROM data_keys`)
		if err != nil {
			return err
		}
		var doomed []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			if v.tomb.Shredded(s) {
				doomed = append(doomed, s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, s := range doomed {
			res, err := tx.Exec(ctx, `DELETE FROM data_keys WHERE subject_id = ?`, s)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("vault: apply tombstones: %w", err)
	}
	return total, nil
}
